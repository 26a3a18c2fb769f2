"""Every service in `common.config.SERVICES` is wired the same way: the gateway has an RPC client named after it,
it answers the shared `health` RPC on a table of its own database, and its models carry the outbox and inbox that
every database has (adding-a-service.md)."""
from importlib import import_module
from pathlib import Path

import pytest

from common.config import PROCESSES, SERVICES
from common.db import alembic_config, migrations_dir
from common.health import Health
from common.migration_env import models_module
from common.rpc import ServiceRpc
from common.topology import service_class
from gateway.service import GatewayService


@pytest.mark.parametrize("name", SERVICES)
def test_the_gateway_has_an_rpc_client_named_after_each_service(name):
    client = GatewayService.__dict__.get(name)
    assert isinstance(client, ServiceRpc), f"GatewayService.{name} = ServiceRpc({name!r}, ...) is missing"
    assert client.target_service == name


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_answers_health_on_a_table_of_its_own(name):
    cls = service_class(name)
    assert issubclass(cls, Health)
    assert cls.health_table is not None
    assert cls.health_table.metadata is import_module(models_module(name)).metadata


@pytest.mark.parametrize("name", PROCESSES)
def test_each_database_has_its_revisions_and_the_shared_environment(name):
    assert sorted(Path(migrations_dir(name)).glob("0001_*.py")), f"{name} has no first revision"
    cfg = alembic_config(name, "postgresql+psycopg://127.0.0.1/unused")
    assert (Path(cfg.get_main_option("script_location")) / "env.py").is_file()
    assert cfg.get_main_option("ecoc_service") == name


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_database_has_an_outbox_and_an_inbox(name):
    metadata = import_module(models_module(name)).metadata
    assert {"outbox", "inbox"} <= set(metadata.tables)
