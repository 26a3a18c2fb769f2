"""`ecoc up`: migrate, then run every service and the gateway as child processes until stopped."""
import os
import signal
import subprocess
import sys
import time

import requests

from common.config import PROCESSES, settings
from common.db import migrate
from common.topology import declare_all, parse_delays


def instances(replicas=()):
    """The process names of a stack running `replicas` (`Settings.replicas` pairs; a process not named runs once):
    `<name>`, then `<name>-2`, … — every first process before any replica."""
    counts = dict(replicas)
    first = list(PROCESSES)
    return first + [f"{name}-{n}" for name in PROCESSES for n in range(2, counts.get(name, 1) + 1)]


def service_of(instance):
    return instance.split("-")[0]


def replica_index(instance):
    """0 for `<name>`, 1 for `<name>-2`, …"""
    _, _, n = instance.partition("-")
    return int(n) - 1 if n else 0


def migrate_all(s=None, echo=print):
    s = s or settings()
    for name in PROCESSES:  # the gateway has a database too (Idempotency-Key answers)
        migrate(name, s.database_url(name))
        echo(f"  database {s.database_name(name)}: migrated")
    declared = declare_all(s.amqp_uri, parse_delays(s.event_retry_delays))
    echo(f"  broker: {declared} exchanges and queues declared")


def migrate_when_reachable(s=None, echo=print, wait=120.0, pause=2.0, clock=time.monotonic, sleep=time.sleep):
    """`migrate_all`, tried again every `pause` seconds for up to `wait` seconds while PostgreSQL or RabbitMQ
    cannot be reached yet (a migration Job or container starts beside them; each step is idempotent)."""
    import psycopg
    from kombu.exceptions import OperationalError as BrokerUnreachable
    from sqlalchemy.exc import OperationalError as DatabaseUnreachable

    deadline = clock() + wait
    while True:
        try:
            return migrate_all(s, echo)
        except (DatabaseUnreachable, psycopg.OperationalError, BrokerUnreachable, ConnectionError) as exc:
            if clock() + pause > deadline:
                raise
            echo(f"  not reachable yet, trying again in {pause:g} s: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            sleep(pause)


def gateway_health(url, timeout=2.0):
    try:
        response = requests.get(f"{url}/health", timeout=timeout)
        return response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None


def _die_with_parent():
    """Children get SIGTERM when `ecoc up` dies without cleaning up (Linux), never outliving it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Stack:
    """The processes of one ecoc installation on this machine: one of each service and the gateway, and any
    replicas (`<name>-2`, …): competing consumers of the same queues, as the replicas of a deployment are. A
    gateway replica listens on the next port (ECOC_GATEWAY_PORT + 1, …); each process's ops port is
    ECOC_OPS_PORT + its index."""

    def __init__(self, env=None, log_dir=None):
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")
        self.log_dir = log_dir
        self.children = {}
        self.ops_ports = {}  # process -> its /livez, /readyz, /metrics port (ECOC_OPS_PORT, then the next ones)
        self._logs = []

    def start(self, replicas=()):
        """Every process, with the replicas `replicas` asks for (`Settings.replicas`)."""
        for name in instances(replicas):
            self._spawn(name)

    def gateway_urls(self):
        """The URL of every gateway process started."""
        host = self.env.get("ECOC_GATEWAY_HOST") or "127.0.0.1"
        host = "127.0.0.1" if host == "0.0.0.0" else host
        return [f"http://{host}:{self._gateway_port(n)}" for n in self.children if service_of(n) == "gateway"]

    def _gateway_port(self, name):
        return int(self.env.get("ECOC_GATEWAY_PORT") or settings().gateway_port) + replica_index(name)

    def _spawn(self, name):
        out = None
        if self.log_dir:
            os.makedirs(self.log_dir, exist_ok=True)
            out = open(os.path.join(self.log_dir, f"{name}.log"), "ab")
            self._logs.append(out)
        env = self.env
        base = int(self.env.get("ECOC_OPS_PORT") or 0)
        if base:  # one machine, several processes: each its own port
            self.ops_ports.setdefault(name, base + len(self.ops_ports))
            env = dict(self.env, ECOC_OPS_PORT=str(self.ops_ports[name]))
        if service_of(name) == "gateway" and replica_index(name):  # one port per gateway process
            env = dict(env, ECOC_GATEWAY_PORT=str(self._gateway_port(name)))
            env.pop("ECOC_GATEWAY_URL", None)
        self.children[name] = subprocess.Popen(
            [sys.executable, "-m", "cli.run_service", service_of(name)], env=env, stdout=out,
            stderr=subprocess.STDOUT if out else None,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), preexec_fn=_die_with_parent,
            # a session of its own: a terminal's Ctrl-C reaches only `ecoc up`, which stops each process once
            start_new_session=True,
        )

    def kill(self, name, sig=signal.SIGKILL):
        """Send `sig` to one process (SIGKILL by default: no graceful stop) and wait until it is gone."""
        process = self.children[name]
        if process.poll() is None:
            process.send_signal(sig)
        process.wait()

    def restart(self, name):
        """Start one process again (after `kill` or a crash); its log file is appended to."""
        if self.children[name].poll() is None:
            self.kill(name, signal.SIGTERM)
        self._spawn(name)

    def wait_healthy(self, url, timeout=60.0, echo=None):
        """The health `url` reports once every process runs and every gateway (`url` and its replicas) says ok."""
        deadline = time.monotonic() + timeout
        others = [u for u in self.gateway_urls() if u != url.rstrip("/")]
        while time.monotonic() < deadline:
            dead = [n for n, p in self.children.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"process(es) exited during start: {', '.join(dead)}")
            health = gateway_health(url)
            if health and health.get("status") == "ok" and all(
                    (gateway_health(u) or {}).get("status") == "ok" for u in others):
                return health
            time.sleep(0.5)
        raise RuntimeError(f"the stack did not become healthy within {timeout:.0f}s (last: {gateway_health(url)})")

    def stop(self, grace=20.0):
        """Stop every process within `grace` seconds (then kill what is left), callers before the services they
        call (`STOP_ORDER`): a worker of a service waiting for the answer of one that stopped first would wait out
        the RPC timeout, and its process would be killed."""
        deadline = time.monotonic() + grace
        for wave in STOP_ORDER:
            stopping = [p for n, p in self.children.items() if service_of(n) in wave and p.poll() is None]
            for process in stopping:
                process.send_signal(signal.SIGTERM)
            for process in stopping:
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for log in self._logs:
            log.close()
        self.children = {}

    def alive(self):
        return all(p.poll() is None for p in self.children.values())


# The order processes stop in: each wave before the services it calls over RPC (the gateway calls every service;
# webhooks calls audit; rollout approvals and validation; delivery signing; vehicles, validation and signing call
# approvals). Events need no order: an event for a stopped service waits in its queue.
STOP_ORDER = (("gateway",), ("webhooks", "rollout", "delivery"), ("vehicles", "validation"), ("signing",),
              ("approvals", "audit"))


def up(echo=print):
    from cli.prerequisites import problems

    s = settings()
    missing = problems(s)
    for line in missing:
        echo(f"ecoc up: {line}")
    if missing:
        return 2
    echo("migrating databases …")
    migrate_all(s, echo)
    stack = Stack()
    stopping = []

    def request_stop(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    echo("starting " + ", ".join(instances(s.replicas)) + " …")
    stack.start(s.replicas)
    try:
        health = stack.wait_healthy(s.gateway_url)
        echo(f"ecoc is up: gateway {', '.join(stack.gateway_urls())} "
             f"({', '.join(f'{k} {v}' for k, v in health['services'].items())})")
        if stack.ops_ports:
            echo("/livez, /readyz, /metrics: " + ", ".join(f"{n} :{p}" for n, p in stack.ops_ports.items()))
        echo("Ctrl-C stops every process.")
        while not stopping and stack.alive():
            time.sleep(0.3)
        if not stack.alive():
            echo("a process exited; stopping the others")
            return 1
        return 0
    finally:
        echo("stopping …")
        stack.stop()
        echo("stopped.")
