"""The IVI draft checker, loaded once per container (None when no schema is configured)."""
import logging

from nameko import config
from nameko.extensions import DependencyProvider

from common.config import settings
from services.validation.domain.draft import DraftChecker

log = logging.getLogger(__name__)


class DraftSchema(DependencyProvider):
    """Hands workers the shared `DraftChecker`, or None when schema checks are off.

    The schema comes from nameko config `IVI_SCHEMA_PATH` when given (an empty value turns checks
    off), else from ECOC_IVI_SCHEMA. A configured path that does not exist stops the service: a
    schema the operator meant to use is never skipped silently.
    """

    def __init__(self):
        self.checker = None

    def setup(self):
        path = config.get("IVI_SCHEMA_PATH")
        if path is None:
            path = settings().schema_path
        if not path:
            log.warning("no IVI schema configured: schema checks are off (XSD-000 warnings)")
            return
        self.checker = DraftChecker.from_path(path)
        log.info("IVI draft schema loaded from %s", self.checker.xsd_path)

    def get_dependency(self, worker_ctx):
        return self.checker
