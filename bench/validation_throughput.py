"""Benchmark: validation throughput. Prints tables; asserts nothing.

1. The rule engine in this process, one core, for N demo vehicles judged in batches of 250 as the service
   does: without the schema check, with libxml2 run for every vehicle, and with the batch schema check
   (libxml2 once per shape of data, values of the other vehicles checked in Python). The same again for
   vehicles shaped like the official Lexus RZ450e specimen, whose axle and energy tables are per vehicle.
2. Through the service: the approvals and validation services started as two processes (their own throwaway
   databases and RabbitMQ vhost), the demo approval registered, and `validation.validate_batch` called over
   RabbitMQ in batches of 250, one batch at a time and four at a time.

    .venv/bin/python -m bench.validation_throughput [N]     (default 10000)
"""
import os
import sys

import common  # noqa: F401 - first: quiets eventlet's import-time deprecation notice

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import copy  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

from cli import demo_data  # noqa: E402
from common.config import REPO_ROOT, settings  # noqa: E402
from common.db import migrate  # noqa: E402
from common.dependencies import caller_context  # noqa: E402
from services.validation.domain.batch import judge, judge_batch, resolution_plan  # noqa: E402
from services.validation.domain.draft import DraftChecker  # noqa: E402

BATCH = 250
IN_FLIGHT = 4
WMIS = {demo_data.ENTITY: (demo_data.WMI,)}
SPECIMEN = REPO_ROOT.parent / "shared" / "ivi" / "samples" / "M1-01-LexusRZ450e.xml"

if str(REPO_ROOT) not in sys.path:
    sys.path.append(str(REPO_ROOT))
from tests.support import drop_stack_databases, throwaway_prefix, throwaway_vhost  # noqa: E402
from bench.stack import start_service, stop_service, wait_rpc_healthy  # noqa: E402
from bench.tables import table  # noqa: E402


def batches(items, size=BATCH):
    return [items[i:i + size] for i in range(0, len(items), size)]


# -- 1. in process ------------------------------------------------------------------------------------

def demo_workload(count):
    """Demo vehicles with their resolutions, shared per batch and reference as `resolution_plan` shares them."""
    vehicles = [dict(v, revision=1) for v in demo_data.vehicles(count, seed=5)]
    resolved = {}
    work = []
    for batch in batches(vehicles):
        plan = resolution_plan(batch)
        results = []
        for item in plan.items:
            key = tuple(sorted(item.items()))
            if key not in resolved:
                resolved[key] = demo_data.resolution(dict(item, vin="X"))
            results.append(copy.deepcopy(resolved[key]))  # a new object per batch, as an RPC answer is
        work.append((batch, plan.per_vehicle(results)))
    return work


def specimen_workload(count, checker):
    from common.ivi.reader import read_ivi
    from services.validation.domain.document import case_from_document

    vehicle, resolution, wmis, _ = case_from_document(read_ivi(SPECIMEN.read_bytes(), checker.schema),
                                                      entity=demo_data.ENTITY)
    vehicle.update(production_date="2026-08-03", intended_country="NL")
    vehicle["coc"]["SigningAuthorityTable"][0]["SignatureDate"] = "2026-08-04"
    vins = demo_data.vins(count, seed=6, wmi="JTJ")
    work = []
    for batch_vins in batches(vins):
        shared = copy.deepcopy(resolution)
        batch = []
        for i, vin in enumerate(batch_vins):
            own = copy.deepcopy(vehicle["coc"])
            own["MassGroup"]["ActualMass"] = 2180 + i % 40
            batch.append(dict(vehicle, vin=vin, coc=own))
        work.append((batch, [shared] * len(batch)))
    return work, {demo_data.ENTITY: wmis}


def timed(work, run):
    """(wall seconds, CPU seconds of this process): the CPU time is what one core spent, whatever else runs."""
    wall, cpu = time.perf_counter(), time.process_time()
    for vehicles, resolutions in work:
        run(vehicles, resolutions)
    return time.perf_counter() - wall, time.process_time() - cpu


def in_process(count):
    checker = DraftChecker.from_path(settings().schema_path)
    demo = demo_workload(count)
    specimen, specimen_wmis = specimen_workload(count, checker)
    sessions = []

    def per_batch(wmis):
        def run(vehicles, resolutions):
            session = checker.session()
            sessions.append(session)
            for v, r in zip(vehicles, resolutions):
                judge(v, r, session, wmis=wmis.get(v["entity"]))
        return run

    def every_vehicle(wmis):
        return lambda vehicles, resolutions: [judge(v, r, checker, wmis=wmis.get(v["entity"]))
                                              for v, r in zip(vehicles, resolutions)]

    def no_schema(wmis):
        return lambda vehicles, resolutions: judge_batch(vehicles, resolutions, None, wmis_by_entity=wmis)

    rows = []
    for label, work, wmis in (("demo M1 (NORDWIND)", demo, WMIS), ("Lexus RZ450e specimen shape", specimen,
                                                                     specimen_wmis)):
        n = sum(len(v) for v, _ in work)
        sessions.clear()
        results = [
            ("rule engine, no schema check", timed(work, no_schema(wmis))),
            ("rule engine + schema check per batch (once per shape)", timed(work, per_batch(wmis))),
        ]
        runs = sum(s.schema_runs for s in sessions)
        results.append(("rule engine + libxml2 schema check for every vehicle", timed(work, every_vehicle(wmis))))
        for name, (wall, cpu) in results:
            rows.append([label, name, n, f"{wall:.2f}", f"{cpu:.2f}", f"{n / cpu:,.0f}", f"{cpu / n * 1e6:,.0f}"])
        rows.append([label, f"  (batch schema check: {runs} libxml2 runs for {n} vehicles)", "", "", "", "", ""])
    return rows


# -- 2. through the service ------------------------------------------------------------------------------

def _identity(sub, roles):
    return caller_context({"sub": sub, "roles": roles, "entities": ["*"]})


def through_service(count):
    from nameko.standalone.rpc import ClusterRpcClient

    s = settings()
    vehicles = [dict(v, revision=1) for v in demo_data.vehicles(count, seed=7)]
    with throwaway_vhost("bench-validation") as amqp_uri, tempfile.TemporaryDirectory() as logs:
        prefix = throwaway_prefix()
        server = s.database_server.rstrip("/")
        processes = []
        try:
            for name in ("approvals", "validation"):
                migrate(name, f"{server}/{prefix}_{name}")
            env = dict(os.environ, ECOC_AMQP_URI=amqp_uri, ECOC_DB_PREFIX=prefix, ECOC_LOG_LEVEL="WARNING",
                       PSYCOPG_WAIT_FUNC="wait_selector")
            for name in ("approvals", "validation"):
                processes.append(start_service(name, env, logs))
            wait_rpc_healthy(amqp_uri, ("approvals", "validation"), logs)
            with ClusterRpcClient(context_data=_identity("bench", ["admin"]), uri=amqp_uri) as admin:
                admin.approvals.put_entity(dict(demo_data.entity(), code=demo_data.ENTITY))
                admin.approvals.register(demo_data.approval())
            with ClusterRpcClient(context_data=_identity("bench", ["data_steward"]), uri=amqp_uri) as client:
                client.validation.validate_batch(vehicles[:BATCH])  # warm: connections, schema, caches
                start = time.perf_counter()
                statuses = []
                for batch in batches(vehicles):
                    statuses += [r["status"] for r in client.validation.validate_batch(batch)]
                one = time.perf_counter() - start

                again = [dict(v, revision=2) for v in vehicles]
                start = time.perf_counter()
                groups = batches(batches(again), IN_FLIGHT)
                for group in groups:
                    calls = [client.validation.validate_batch.call_async(b) for b in group]
                    statuses += [r["status"] for c in calls for r in c.result()]
                many = time.perf_counter() - start
            valid = statuses.count("valid")
        finally:
            for process, log in processes:
                stop_service(process, log)
            drop_stack_databases(prefix)
    n = len(vehicles)
    return [
        ["validate_batch, 1 batch of 250 at a time", n, f"{one:.2f}", f"{n / one:,.0f}",
         f"{one / len(batches(vehicles)) * 1000:,.0f}"],
        [f"validate_batch, {IN_FLIGHT} batches of 250 in flight", n, f"{many:.2f}", f"{n / many:,.0f}", "-"],
        [f"  ({valid} of {2 * n} judgements valid)", "", "", "", ""],
    ]


# -- output ------------------------------------------------------------------------------------------------

def main(argv):
    count = int(argv[0]) if argv else 10_000
    logging.getLogger("amqp").setLevel(logging.ERROR)  # a closing RPC client's ignored acks are not news
    print(f"\necoc validation throughput, {count} vehicles — {date.today()} — {platform.node()}, "
          f"{platform.machine()}, Python {platform.python_version()}, one process")
    print("\nIn process (one core; batches of 250; goal >= 2,000 vehicles/s for the rule engine):")
    print(table(in_process(count), ["vehicles", "run", "n", "wall s", "CPU s", "vehicles/s per core", "us/vehicle"], text_columns=2))
    print("\nThrough the service (approvals + validation processes, RabbitMQ, PostgreSQL; reports stored):")
    print(table(through_service(count), ["call", "n", "seconds", "vehicles/s", "ms/batch"], text_columns=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
