from common.migration_env import run
from services.vehicles.models import metadata

run(metadata)
