"""A stack of its own for a benchmark: a new RabbitMQ vhost (when `rabbitmqctl` is at hand), new databases, a
free gateway port and a temporary keys directory. The numbers start from empty tables, no other consumer on
the shared broker takes its messages, and each process's peak memory and CPU time can be read at the end."""
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cli.stack import PROCESSES, Stack, migrate_all
from common.config import settings
from common.db import drop_database
from tests.support import free_port, throwaway_vhost

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def _environment(values):
    """`values` in os.environ for the benchmark process (its HTTP client) and the stack it starts."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def bench_stack(log_dir="var/log/bench", replicas=()):
    """Start every process of a fresh installation with `replicas` (`Settings.replicas` pairs, e.g.
    `(("signing", 2),)`: competing consumers of the same queues); yields the `cli.stack.Stack`; removes it all
    afterwards."""
    label = uuid.uuid4().hex[:8]
    keys_dir = tempfile.mkdtemp(prefix="ecoc-bench-keys-")
    values = {"ECOC_DB_PREFIX": f"ecoc_bench_{label}", "ECOC_GATEWAY_PORT": str(free_port()),
              "ECOC_KEYS_DIR": keys_dir}
    try:
        with throwaway_vhost("bench") as amqp_uri, _environment(dict(values, ECOC_AMQP_URI=amqp_uri)):
            s = settings()
            os.environ.pop("ECOC_GATEWAY_URL", None)
            migrate_all(s, echo=lambda *_: None)
            stack = Stack(log_dir=log_dir)
            try:  # the processes stop before their vhost is deleted
                stack.start(replicas)
                stack.wait_healthy(s.gateway_url, timeout=120)
                yield stack
            finally:
                stack.stop()
    finally:
        for name in PROCESSES:
            drop_database(settings().database_server.rstrip("/") + f"/{values['ECOC_DB_PREFIX']}_{name}")
        shutil.rmtree(keys_dir, ignore_errors=True)


def start_service(name, env, logs, mode="w"):
    """`cli.run_service <name>` as a child process writing to `<logs>/<name>.log`; returns (process, log)."""
    log = open(Path(logs) / f"{name}.log", mode)  # noqa: SIM115 - closed by stop_service
    return subprocess.Popen([sys.executable, "-m", "cli.run_service", name], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=REPO), log


def stop_service(process, log):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def wait_rpc_healthy(amqp_uri, names, logs, timeout=60.0):
    """Every service in `names` answers `health` over RPC; otherwise the tail of each log is printed and
    RuntimeError raised."""
    import eventlet
    from nameko.standalone.rpc import ServiceRpcClient

    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            try:
                with eventlet.Timeout(3), ServiceRpcClient(name, uri=amqp_uri) as client:
                    client.health()
                break
            except BaseException:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    for each in names:
                        tail = (Path(logs) / f"{each}.log").read_text()[-3000:]
                        sys.stderr.write(f"----- {each}.log -----\n{tail}\n")
                    raise RuntimeError(f"{name} did not become healthy in {timeout:.0f} s") from None
                time.sleep(0.5)


def process_usage(pid):
    """(peak resident memory in MiB, CPU seconds user+system) of a live process, from /proc."""
    peak_kib = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak_kib = int(line.split()[1])
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return peak_kib / 1024, cpu


def stack_usage(stack):
    """{process name: (peak MiB, CPU seconds)} for every process of the stack still running."""
    return {name: process_usage(p.pid) for name, p in stack.children.items() if p.poll() is None}
