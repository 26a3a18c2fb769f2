from common.migration_env import run
from services.signing.models import metadata

run(metadata)
