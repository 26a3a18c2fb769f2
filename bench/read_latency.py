"""Benchmark: latency of the main reads and the release sequence's throughput, on an empty database and again
after seeding a region's volume (`bench.seed`), in one run on a stack of its own (`bench.stack`). Asserts nothing.

    .venv/bin/python -m bench.read_latency [--requests 200] [--release 1000] [--vehicles N] [--certificates N]
                                           [--audit N] [--entities 20]

Each phase releases `--release` fresh demo vehicles through the gateway (`tests.support.ReleaseRun`: import,
validation, request, approval, signing) and times it, then sends each read `--requests` times through the gateway
over HTTP with real tokens, about the vehicles of that release (and, once seeded, about a seeded vehicle too).
Then it times the audit chain's checks: re-hashing only the entries after a checkpoint (what sealing
costs) against re-hashing the whole history (what `verify_chain` does), with the audit service's own code.
"""
import argparse
import statistics
import sys
import time
from datetime import datetime, timezone

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bench import seed
from bench.release_sequence import machine
from bench.stack import bench_stack
from bench.tables import table
from cli import demo_data
from cli.client import Client
from common.config import settings
from services.audit import repository as audit_repo
from tests.support import ReleaseRun


class StackClients:
    """What `ReleaseRun` needs of a stack: clients of its gateway and its database URLs."""

    def client(self, sub, roles, entities=("*",)):
        return Client(sub, list(roles), list(entities))

    def database_url(self, service):
        return settings().database_url(service)


def reads(run, seeded_vin=None):
    """{read name: a function sending it once} about the release `run` (and a seeded vehicle when given)."""
    e = [demo_data.ENTITY]
    viewer = Client("vera", ["data_steward"], e)
    auditor = Client("audrey", ["auditor"], e)
    vin = run.vins[len(run.vins) // 2]
    cursor = viewer.get("/v1/events", params={"limit": 100})["next_cursor"]
    out = {
        "vehicle": lambda: viewer.get(f"/v1/vehicles/{vin}"),
        "vehicle list (entity, status)": lambda: viewer.get(
            "/v1/vehicles", params={"entity": demo_data.ENTITY, "status": "released", "limit": 100}),
        "vehicle list (approval number)": lambda: viewer.get(
            "/v1/vehicles", params={"approval_number": demo_data.APPROVAL_NUMBER, "limit": 100}),
        "dashboard": lambda: viewer.get("/v1/dashboard", params={"entity": demo_data.ENTITY}),
        "release page": lambda: viewer.request("GET", f"/dashboard/releases/{run.release_id}"),
        "release (API)": lambda: viewer.get(f"/v1/releases/{run.release_id}"),
        "certificate": lambda: viewer.request("GET", f"/v1/vehicles/{vin}/certificate"),
        "audit query by subject": lambda: auditor.get("/v1/audit", params={"subject": vin, "limit": 100}),
        "evidence pack": lambda: auditor.request("GET", f"/v1/vehicles/{vin}/evidence"),
        "audit verify (since checkpoint)": lambda: auditor.get("/v1/audit/verify"),
        "event feed (first page)": lambda: viewer.get("/v1/events", params={"limit": 100}),
        "event feed (after a cursor)": lambda: viewer.get("/v1/events", params={"after": cursor, "limit": 100}),
    }
    if seeded_vin:
        entity = [seed.entity_code(0)]
        seeded_viewer, seeded_auditor = Client("vera", ["data_steward"], entity), Client("audrey", ["auditor"], entity)
        out["seeded vehicle"] = lambda: seeded_viewer.get(f"/v1/vehicles/{seeded_vin}")
        out["seeded vehicle list (entity, status)"] = lambda: seeded_viewer.get(
            "/v1/vehicles", params={"entity": entity[0], "status": "released", "limit": 100})
        out["seeded dashboard"] = lambda: seeded_viewer.get("/v1/dashboard", params={"entity": entity[0]})
        out["seeded audit query by subject"] = lambda: seeded_auditor.get(
            "/v1/audit", params={"subject": seeded_vin, "limit": 100})
        out["seeded evidence pack"] = lambda: seeded_auditor.request("GET", f"/v1/vehicles/{seeded_vin}/evidence")
        seeded_cursor = seeded_viewer.get("/v1/events", params={"limit": 100})["next_cursor"]
        out["seeded event feed (after a cursor)"] = lambda: seeded_viewer.get(
            "/v1/events", params={"after": seeded_cursor, "limit": 100})
    return out


def measure(read_set, requests):
    """{read: (p50, p95, max) in ms}."""
    out = {}
    for name, send in read_set.items():
        send()  # warm: the first call pays for connections and plans
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            send()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        out[name] = (statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], times[-1])
    return out


def release(count, seed_value):
    run = ReleaseRun(StackClients(), count, seed=seed_value)
    start = time.perf_counter()
    run.prepare()
    run.sign()
    run.wait_released()
    return run, count / (time.perf_counter() - start)


def audit_checks(whole_chain):
    """(entries after the checkpoint before the newest, seconds to re-hash them as sealing does, entries in all,
    seconds to re-hash them all as `verify_chain` does), with the audit service's repository code in this process:
    through the gateway, `GET /v1/audit/verify` of a seeded log outlasts the RPC timeout."""
    engine = create_engine(settings().database_url("audit"))
    try:
        with Session(engine) as session:
            sealed = audit_repo.checkpoints(session)
            start = time.perf_counter()
            since = audit_repo.verify_after(session, sealed[-2] if len(sealed) > 1 else sealed[-1])
            incremental = time.perf_counter() - start
            full, whole = None, None
            if whole_chain:
                start = time.perf_counter()
                full = audit_repo.verify(session, sealed)
                whole = time.perf_counter() - start
                assert full["valid"], full
            total = full["entries"] if full else session.execute(text("SELECT count(*) FROM audit_entries")).scalar()
    finally:
        engine.dispose()
    assert since["valid"], since
    return since["entries"], incremental, total, whole


def latency_table(empty, seeded):
    rows = []
    for name in dict.fromkeys([*empty, *seeded]):
        a, b = empty.get(name), seeded.get(name)
        rows.append([name, *(f"{v:.0f}" if a else "-" for v in (a or (0, 0, 0))),
                     *(f"{v:.0f}" if b else "-" for v in (b or (0, 0, 0)))])
    return table(rows, ["read (ms)", "empty p50", "p95", "max", "seeded p50", "p95", "max"])


def main(argv):
    parser = argparse.ArgumentParser(prog="bench.read_latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--release", type=int, default=1000)
    parser.add_argument("--vehicles", type=int, default=seed.REGION["vehicles"])
    parser.add_argument("--certificates", type=int, default=seed.REGION["certificates"])
    parser.add_argument("--audit", type=int, default=seed.REGION["audit"])
    parser.add_argument("--entities", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--whole-chain", action=argparse.BooleanOptionalAction, default=True,
                        help="also time re-hashing the whole chain (about 190 s per million entries)")
    args = parser.parse_args(argv)
    started = datetime.now(timezone.utc)
    with bench_stack():
        empty_run, empty_rate = release(args.release, 1)
        empty = measure(reads(empty_run), args.requests)
        print(latency_table(empty, {}), f"\nrelease: {empty_rate:.1f} vehicles/s", file=sys.stderr)
        rates = seed.seed(args.vehicles, args.certificates, args.audit, args.entities, args.batch,
                          echo=lambda line: print(line, file=sys.stderr))
        seeded_run, seeded_rate = release(args.release, 2)
        seeded = measure(reads(seeded_run, seed.vin_of(args.entities * 7)), args.requests)
        print(latency_table(empty, seeded), f"\nrelease: {seeded_rate:.1f} vehicles/s", file=sys.stderr)
        since, incremental, total, full = audit_checks(args.whole_chain)
    print(f"\necoc read latency — {started:%Y-%m-%d %H:%M} UTC — {machine()}")
    print(f"seeded: {args.vehicles:,} vehicles, {args.certificates:,} certificates, {args.audit:,} audit entries, "
          f"{args.entities} entities; {args.requests} requests per read\n")
    print(latency_table(empty, seeded))
    print()
    print(table([["empty", f"{empty_rate:.1f}", "1.00"], ["seeded", f"{seeded_rate:.1f}",
                                                          f"{seeded_rate / empty_rate:.2f}"]],
                [f"release sequence, {args.release} vehicles", "vehicles/s", "ratio"]))
    print()
    print(table([["after the newest checkpoint (what sealing re-hashes)", f"{since:,}", f"{incremental:.2f}"],
                 ["whole chain (what verify_chain re-hashes)", f"{total:,}",
                  f"{full:.2f}" if full is not None else "not timed (--no-whole-chain)"]],
                ["audit chain check", "entries", "seconds"]))
    print()
    print(table([[name, f"{rows:,}", f"{secs:.1f}", f"{rows / secs if secs else 0:,.0f}"]
                 for name, (rows, secs) in rates.items()], ["seeded table", "rows", "seconds", "rows/s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
