"""Benchmark: deliveries per second to a NAP answering in 50 ms, by a target's concurrency, and the ratio to the
sealing rate. Prints; asserts nothing.

- The delivery service runs as a process of its own (throwaway database and RabbitMQ vhost); the NAP is an
  `ecoc nap-sim --latency-ms 50` process over mutual TLS that checks every message's schema and seal.
- For each concurrency, N messages sealed beforehand (the signing service's own code, `tests.sealed_messages`)
  are queued at once for one target through the service's repository, as `certificate_signed` would queue
  them; the time runs from queueing to the last `accepted`.
- Sealing: the same messages sealed in this process one after the other (build, schema check, seal, verify),
  the rate one signing worker reaches; `bench.signing_throughput` measures the signing service itself.
- Beside the rates, the CPU time the delivery process spent per delivery, and the ratio of what one core
  delivers to what one core seals: on a shared, loaded machine the wall-clock rates vary from run to run, the
  CPU cost does not.

    .venv/bin/python -m bench.delivery [N]     (default 400)
"""
import os
import sys

import common  # noqa: F401 - first: quiets eventlet's import-time deprecation notice

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")

import hashlib  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from common.config import REPO_ROOT, settings  # noqa: E402
from common.db import drop_database, migrate  # noqa: E402

if str(REPO_ROOT) not in sys.path:
    sys.path.append(str(REPO_ROOT))
from bench.stack import process_usage, start_service, stop_service, wait_rpc_healthy  # noqa: E402
from bench.tables import table  # noqa: E402
from cli.nap_sim import pki  # noqa: E402
from services.delivery import repository as repo  # noqa: E402
from tests import sealed_messages as messages  # noqa: E402
from tests.support import free_port, throwaway_prefix, throwaway_vhost  # noqa: E402

LATENCY_MS = 50
CONCURRENCIES = (1, 4, 16, 32)
ENTITY = "BENCH"


def seal_all(count, prefix):
    """(messages, seconds, CPU seconds): `count` sealed messages of distinct VINs, and what sealing them took."""
    messages.sealed(f"{prefix}{0:06d}")  # the schema and the seal key are made once, outside the timing
    started, cpu = time.perf_counter(), time.process_time()
    sealed = [messages.sealed(f"{prefix}{i:06d}") for i in range(count)]
    return sealed, time.perf_counter() - started, time.process_time() - cpu


def nap_process(directory, keys_dir, port, logs):
    log = open(Path(logs) / "nap-sim.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "nap-sim", "--dir", str(directory), "--port", str(port), "--trust",
         str(keys_dir), "--latency-ms", str(LATENCY_MS)], stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process, log
        time.sleep(0.2)
    raise RuntimeError("the NAP simulator did not start")


def run(session_factory, target, sealed, concurrency):
    """Seconds from queueing `sealed` for `target` (at `concurrency`) to the last acceptance."""
    with session_factory() as session:
        repo.save_target(session, ENTITY, "bench", dict(target, concurrency=concurrency), "bench")
        session.commit()
        target = repo.load_target(session, ENTITY, "bench")
        now = datetime.now(timezone.utc)
        rows = [{"entity": ENTITY, "vin": f"VNKKTUD3X{concurrency:02d}{i:06d}", "reference_id": reference_id,
                 "version_number": 1, "sha256": hashlib.sha256(document).hexdigest(), "document": document,
                 "target_id": target["id"], "target_name": "bench", "trigger": "manual", "requested_by": "bench",
                 "owner": "bench", "deadline_at": now + timedelta(hours=1)}
                for i, (document, reference_id, _) in enumerate(sealed)]
        started = time.perf_counter()
        ids = repo.add_deliveries(session, rows)
        session.commit()
    while True:
        with session_factory() as session:
            states = dict(session.execute(text(
                "SELECT state, count(*) FROM deliveries WHERE id = ANY(CAST(:ids AS uuid[])) GROUP BY state"),
                {"ids": ids}).all())
        if states.get("accepted", 0) + states.get("rejected", 0) + states.get("failed", 0) == len(ids):
            elapsed = time.perf_counter() - started
            assert states.get("accepted") == len(ids), states
            return elapsed
        time.sleep(0.05)


def main(count):
    s = settings()
    print(f"delivering {count} sealed messages per row to a NAP answering in {LATENCY_MS} ms (mutual TLS, schema "
          f"and seal checked by the simulator); one delivery process")
    root = Path(tempfile.mkdtemp(prefix="ecoc-bench-delivery-"))
    logs = root / "logs"
    logs.mkdir()
    credentials, keys_dir = root / "nap", root / "seals"
    keys_dir.mkdir()
    client = pki.ensure_client(credentials, ENTITY)
    rounds = {c: seal_all(count, f"VNKKTUD3X{c:02d}")[0] for c in CONCURRENCIES}
    sealed, sealing_seconds, sealing_cpu = seal_all(count, "VNKKTUD3XSS")
    (keys_dir / "bench.cert.pem").write_bytes(sealed[0][2])
    sealing_rate, sealing_cpu_ms = count / sealing_seconds, sealing_cpu / count * 1000
    prefix = throwaway_prefix()
    url = f"{s.database_server.rstrip('/')}/{prefix}_delivery"
    port = free_port()
    nap, nap_log = nap_process(credentials, keys_dir, port, logs)
    try:
        with throwaway_vhost("bench-delivery") as amqp_uri:
            migrate("delivery", url)
            env = dict(os.environ, ECOC_AMQP_URI=amqp_uri, ECOC_DB_PREFIX=prefix, ECOC_LOG_LEVEL="WARNING",
                       ECOC_DELIVERY_CREDENTIALS_DIR=str(credentials), ECOC_DELIVERY_POLL_SECONDS="0.2",
                       PSYCOPG_WAIT_FUNC="wait_selector")
            service = start_service("delivery", env, logs)
            engine = create_engine(url, pool_size=2)
            try:
                wait_rpc_healthy(amqp_uri, ["delivery"], logs)
                target = {"country": None, "endpoint": f"https://127.0.0.1:{port}/nap", "profile": "soap11-embedded",
                          "wsdl": None, "client_cert": client.cert.name, "client_key": client.key.name,
                          "ca_cert": "ca.pem", "timeout_seconds": 30, "auto_deliver": False, "enabled": True}
                factory = sessionmaker(bind=engine)
                results = []
                for concurrency in CONCURRENCIES:
                    cpu_before = process_usage(service[0].pid)[1]
                    seconds = run(factory, target, rounds[concurrency], concurrency)
                    cpu_ms = (process_usage(service[0].pid)[1] - cpu_before) / count * 1000
                    rate = count / seconds
                    results.append((concurrency, f"{seconds:.1f}", f"{rate:.1f}",
                                    f"{concurrency * 1000 / LATENCY_MS:.0f}", f"{rate / sealing_rate:.2f}",
                                    f"{cpu_ms:.1f}", f"{sealing_cpu_ms / cpu_ms:.2f}"))
            finally:
                engine.dispose()
                stop_service(*service)
    finally:
        nap.terminate()
        nap.wait(timeout=30)
        nap_log.close()
        drop_database(url)
    print(table(results, ["concurrency", "seconds", "deliveries/s", "NAP-bound limit/s", "ratio to sealing",
                          "CPU ms/delivery", "CPU ratio"]))
    print(f"\nsealing in this process (build, schema check, seal, verify; one worker): {sealing_rate:.1f}/s, "
          f"{sealing_cpu_ms:.1f} CPU ms each")
    print("NAP-bound limit: concurrency x 1000 / latency (what the NAP's latency allows). Ratio to sealing: "
          "deliveries/s over sealings/s; CPU ratio: CPU ms of a sealing over CPU ms of a delivery (above 1: a core "
          "delivers faster than a core seals)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
