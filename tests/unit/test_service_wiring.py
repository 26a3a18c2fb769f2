"""Every service in `common.config.SERVICES` is wired the same way: the gateway has an RPC client named after it,
it answers the shared `health` RPC on a table of its own database, its RPC entrypoints are `common.rpc.rpc`, and
its models carry the outbox and inbox that every database has (adding-a-service.md)."""
import inspect
from importlib import import_module
from pathlib import Path

import pytest

from common.config import PROCESSES, SERVICES
from common.db import alembic_config, migrations_dir
from common.health import Health
from common.migration_env import models_module
from common.rpc import Rpc, ServiceRpc
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


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_answers_rpc_only_through_the_entrypoint_that_outlives_a_broker_outage(name):
    """nameko's own `rpc` beside ours would also consume the service's queue (two consumers, each knowing only its
    own methods) and die when a reply cannot be sent."""
    from nameko.rpc import Rpc as NamekoRpc

    entrypoints = [e for _, member in inspect.getmembers(service_class(name))
                   for e in getattr(member, "nameko_entrypoints", ()) if isinstance(e, NamekoRpc)]
    assert entrypoints and {type(e) for e in entrypoints} == {Rpc}


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
