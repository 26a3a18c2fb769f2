"""A stack of its own for a benchmark: a new RabbitMQ vhost (when `rabbitmqctl` is at hand), new databases, a
free gateway port and a temporary keys directory. The numbers start from empty tables, no other consumer on
the shared broker takes its messages, and each process's peak memory and CPU time can be read at the end."""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

from cli.stack import PROCESSES, Stack, migrate_all
from common.config import settings
from common.db import drop_database

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPO = Path(__file__).resolve().parent.parent


def _rabbitmqctl(*args):
    try:
        return subprocess.run(["rabbitmqctl", *args], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
def bench_stack(log_dir="var/log/bench", signing_processes=1):
    """Start every process of a fresh installation, signing in `signing_processes` processes (competing
    consumers of the same queues, as replicas would be); yields the `cli.stack.Stack`; removes it all
    afterwards."""
    label = uuid.uuid4().hex[:8]
    vhost = f"ecoc-bench-{label}"
    own_vhost = bool(shutil.which("rabbitmqctl")) and _rabbitmqctl("add_vhost", vhost) and _rabbitmqctl(
        "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    keys_dir = tempfile.mkdtemp(prefix="ecoc-bench-keys-")
    values = {"ECOC_DB_PREFIX": f"ecoc_bench_{label}", "ECOC_GATEWAY_PORT": str(_free_port()),
              "ECOC_KEYS_DIR": keys_dir}
    if own_vhost:
        values["ECOC_AMQP_URI"] = settings().amqp_uri.rstrip("/") + "/" + quote(vhost, safe="")
    stack = None
    try:
        with _environment(values):
            s = settings()
            os.environ.pop("ECOC_GATEWAY_URL", None)
            migrate_all(s, echo=lambda *_: None)
            stack = Stack(log_dir=log_dir)
            stack.start()
            for n in range(2, signing_processes + 1):
                stack.children[f"signing-{n}"] = subprocess.Popen(
                    [sys.executable, "-m", "cli.run_service", "signing"], env=stack.env, cwd=REPO,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            stack.wait_healthy(s.gateway_url, timeout=120)
            yield stack
    finally:
        if stack is not None:
            stack.stop()
        for name in PROCESSES:
            drop_database(settings().database_server.rstrip("/") + f"/{values['ECOC_DB_PREFIX']}_{name}")
        if own_vhost:
            _rabbitmqctl("delete_vhost", vhost)
        shutil.rmtree(keys_dir, ignore_errors=True)


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
