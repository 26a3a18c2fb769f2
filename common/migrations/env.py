from common.migration_env import run

run()
