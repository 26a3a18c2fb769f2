"""Benchmark: sealed eCoCs per second through the signing service and in a bare in-process loop, side by
side in one table. Prints; asserts nothing.

- Through the service: the approvals and signing services started as two processes (their own throwaway
  databases and RabbitMQ vhost, a temporary keys directory in local mode: an RSA-3072 seal), the demo entity
  and approval registered, and `signing.sign_batch` called over RabbitMQ with batches of 250 vehicles, one
  batch at a time and four in flight. Each call resolves the approvals, builds, schema-checks, seals,
  verifies and stores every certificate, and writes its events to the outbox.
- Bare loop: `issue_batch` (the same generator, schema checks, sealer and check of the seal) in this
  process with the same seal key, plain XML-DSig and XAdES baseline-B, nothing stored.

    .venv/bin/python -m bench.signing_throughput [N]     (default 1000)
"""
import os
import sys

import common  # noqa: F401 - first: quiets eventlet's import-time deprecation notice

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import logging  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

from cli import demo_data  # noqa: E402
from common.config import REPO_ROOT, settings  # noqa: E402
from common.db import migrate  # noqa: E402
from common.dependencies import caller_context  # noqa: E402
from common.ivi.schema import load_schema  # noqa: E402
from common.ivi.xsd import SchemaValidator  # noqa: E402
from services.signing.domain.issuance import issue_batch  # noqa: E402
from services.signing.domain.keys import FileKeyProvider  # noqa: E402
from services.signing.domain.seal import Sealer  # noqa: E402

if str(REPO_ROOT) not in sys.path:
    sys.path.append(str(REPO_ROOT))
from bench.stack import start_service, stop_service, wait_rpc_healthy  # noqa: E402
from bench.tables import table  # noqa: E402
from tests.support import drop_stack_databases, throwaway_prefix, throwaway_vhost  # noqa: E402

BATCH = 250
IN_FLIGHT = 4
SERVICES = ("approvals", "signing")


def batches(items, size=BATCH):
    return [items[i:i + size] for i in range(0, len(items), size)]


def workload(count, seed):
    return [dict(v, revision=1) for v in demo_data.vehicles(count, seed=seed)]


# -- through the service -----------------------------------------------------------------------------------

class Services:
    """approvals + signing as processes on a throwaway vhost and databases, with a temporary keys directory."""

    def __init__(self, keys_dir, logs):
        self.keys_dir, self.logs, self.processes = keys_dir, Path(logs), []
        self.prefix = throwaway_prefix()

    def __enter__(self):
        s = settings()
        self._vhost = throwaway_vhost("bench-signing")
        self.amqp_uri = self._vhost.__enter__()
        for name in SERVICES:
            migrate(name, f"{s.database_server.rstrip('/')}/{self.prefix}_{name}")
        env = dict(os.environ, ECOC_AMQP_URI=self.amqp_uri, ECOC_DB_PREFIX=self.prefix, ECOC_LOG_LEVEL="WARNING",
                   ECOC_KEYS_DIR=str(self.keys_dir), ECOC_LOCAL_MODE="1", PSYCOPG_WAIT_FUNC="wait_selector")
        self.processes = [start_service(name, env, self.logs) for name in SERVICES]
        try:
            wait_rpc_healthy(self.amqp_uri, SERVICES, self.logs)
        except RuntimeError:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for process, log in self.processes:
            stop_service(process, log)
        drop_stack_databases(self.prefix)
        self._vhost.__exit__(None, None, None)


def through_service(services, count):
    from nameko.standalone.rpc import ClusterRpcClient

    # the entity's signatory, as an admin: sign_batch seals only as the caller
    identity = caller_context({"sub": demo_data.SIGNATORY["sub"], "roles": ["admin"], "entities": ["*"]})
    with ClusterRpcClient(context_data=identity, uri=services.amqp_uri) as rpc:
        seal = rpc.signing.ensure_seal(demo_data.ENTITY, demo_data.LEGAL_NAME)
        rpc.approvals.put_entity(dict(demo_data.entity(), code=demo_data.ENTITY, seal_certificate=seal))
        rpc.approvals.register(demo_data.approval())

        def sign(batch):
            return rpc.signing.sign_batch.call_async(str(uuid.uuid4()), demo_data.ENTITY, demo_data.SIGNATORY, batch)

        warm = sign(workload(5, seed=1)).result()  # connections, schema, seal key
        assert warm["signed"] == 5, warm
        rows, signed = [], 0
        for label, vehicles, in_flight in (("1 batch of 250 at a time", workload(count, seed=2), 1),
                                           (f"{IN_FLIGHT} batches of 250 in flight", workload(count, seed=3),
                                            IN_FLIGHT)):
            start = time.perf_counter()
            for group in batches(batches(vehicles), in_flight):
                signed += sum(call.result()["signed"] for call in [sign(b) for b in group])
            elapsed = time.perf_counter() - start
            rows.append([f"signing service: sign_batch RPC, {label}", count, f"{elapsed:.2f}",
                         f"{count / elapsed:,.0f}"])
    return rows, signed


# -- bare loop ---------------------------------------------------------------------------------------------

def bare_loop(keys_dir, count, xades):
    s = settings()
    schema, validator = load_schema(s.schema_path), SchemaValidator(s.schema_path)
    sealer = Sealer(FileKeyProvider(keys_dir).get(demo_data.ENTITY), xades=xades)
    vehicles = workload(count, seed=4)
    resolved = [demo_data.resolution(v) for v in vehicles]
    issue_batch(schema, validator, sealer, vehicles[:5], resolved[:5], demo_data.SIGNATORY,
                {v["vin"]: 1 for v in vehicles[:5]})  # warm
    start = time.perf_counter()
    issued = 0
    for chunk, chunk_resolved in zip(batches(vehicles), batches(resolved)):
        result = issue_batch(schema, validator, sealer, chunk, chunk_resolved, demo_data.SIGNATORY,
                             {v["vin"]: 1 for v in chunk})
        issued += len(result.issued)
    elapsed = time.perf_counter() - start
    label = "bare in-process loop: issue_batch" + (", XAdES baseline-B" if xades else "")
    return [label, count, f"{elapsed:.2f}", f"{count / elapsed:,.0f}"], issued


# -- output ------------------------------------------------------------------------------------------------

def main(argv):
    count = int(argv[0]) if argv else 1000
    logging.getLogger("amqp").setLevel(logging.ERROR)  # a closing RPC client's ignored acks are not news
    with tempfile.TemporaryDirectory() as keys_dir, tempfile.TemporaryDirectory() as logs:
        with Services(keys_dir, logs) as services:
            rows, signed = through_service(services, count)
        plain, issued = bare_loop(keys_dir, count, xades=False)  # the seal the service generated and used
        xades, issued_xades = bare_loop(keys_dir, count, xades=True)
    rows += [plain, xades]
    print(f"\necoc signing throughput, {count} vehicles per row, RSA-3072 seal — {date.today()} — "
          f"{platform.node()}, {platform.machine()}, Python {platform.python_version()}")
    print(table(rows, ["sealed eCoCs (build, XSD, seal, verify)", "vehicles", "seconds", "eCoCs/s"]))
    service_rate = float(rows[0][3].replace(",", ""))
    print(f"\nservice (1 batch at a time) / bare loop: {service_rate / float(plain[3].replace(',', '')):.2f}; "
          f"sealed {signed} through the service (of {2 * count}), {issued + issued_xades} in process "
          f"(of {2 * count})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
