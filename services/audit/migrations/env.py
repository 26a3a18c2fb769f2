from common.migration_env import run
from services.audit.models import metadata

run(metadata)
