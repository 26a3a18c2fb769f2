"""The IVI schema the approvals service judges CoC data with, loaded once per container."""
import logging

from nameko import config
from nameko.extensions import DependencyProvider

from common.config import settings
from common.ivi.document import document_checker
from common.ivi.schema import load_schema
from common.ivi.xsd import schema_missing_message

log = logging.getLogger(__name__)


class IviSchema(DependencyProvider):
    """Hands workers the `IviSchema`, or None when schema checks are off (no schema configured).

    The path comes from nameko config `IVI_SCHEMA_PATH` when given (an empty value turns checks off),
    else from ECOC_IVI_SCHEMA. A configured path that does not exist stops the service."""

    def __init__(self):
        self.schema = None

    def setup(self):
        path = config.get("IVI_SCHEMA_PATH")
        if path is None:
            path = settings().schema_path
        if not path:
            log.warning(schema_missing_message(path))
            return
        self.schema = load_schema(path)
        document_checker(self.schema)  # compile the checks before the first request
        log.info("IVI schema loaded from %s", self.schema.path)

    def get_dependency(self, worker_ctx):
        return self.schema
