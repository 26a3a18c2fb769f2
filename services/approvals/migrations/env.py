from common.migration_env import run
from services.approvals.models import metadata

run(metadata)
