"""The alembic environment every service shares (`common/migrations/env.py` runs it): online migrations against
the service's database, autogenerate compared with the models module of the service named in the config."""
from importlib import import_module

from alembic import context
from sqlalchemy import engine_from_config, pool


def models_module(service):
    return "gateway.models" if service == "gateway" else f"services.{service}.models"


def run():
    config = context.config
    target_metadata = import_module(models_module(config.get_main_option("ecoc_service"))).metadata
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
