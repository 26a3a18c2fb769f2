from common.migration_env import run
from services.validation.models import metadata

run(metadata)
