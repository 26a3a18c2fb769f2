"""The IVI 2.0 schema read as data, loaded once per container (None when no schema is configured)."""
import logging

from nameko import config
from nameko.extensions import DependencyProvider

from common.config import settings
from common.ivi.schema import load_schema
from common.ivi.xsd import schema_missing_message

log = logging.getLogger(__name__)


class IviSchema(DependencyProvider):
    """Hands workers the `IviSchema` that checks vehicle-level CoC data, types CSV values and reads IVI XML.

    The path comes from nameko config `IVI_SCHEMA_PATH` when given, else from ECOC_IVI_SCHEMA. Without a
    schema, CoC data is imported unchecked (validation reports it) and IVI messages cannot be read."""

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

    def get_dependency(self, worker_ctx):
        return self.schema
