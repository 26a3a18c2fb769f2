"""What the fault tests share: a whole stack (`fault_stack`, conftest.py) releases 2,000 vehicles while something
breaks, then every guarantee is checked.

`ReleaseRun(stack, VEHICLES).prepare()` (`tests.support`) drives the release over HTTP as the demo's five people;
`run.sign()` hands it to signing and `run.wait_signing_started()` returns once signing has stored its first
certificates, the moment each test breaks something.
`assert_released_exactly_once(stack, run)` checks the outcome the issue asks for.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

from common.config import REPO_ROOT, SERVICES

if str(REPO_ROOT) not in sys.path:  # `tests` has no __init__.py: make `tests.support` importable
    sys.path.append(str(REPO_ROOT))

from tests.support import query, wait_until  # noqa: E402

SCHEMA_PATH = Path(os.environ.get("ECOC_IVI_SCHEMA") or REPO_ROOT.parent / "shared" / "ivi" / "IVI2.0.xsd")
VEHICLES = int(os.environ.get("ECOC_FAULT_VEHICLES", "2000"))
FAULT_ENV = {"ECOC_EVENT_RETRY_DELAYS": "0.5,1,2,4,8"}  # quick back-off: the faults last seconds


def published_event_ids(stack):
    """Every event the producing services stored in their outboxes; all must have been published."""
    ids, unpublished = set(), 0
    for service in SERVICES:
        url = stack.database_url(service)
        if not query(url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'outbox'"):
            continue
        for row in query(url, "SELECT event_id, published_at FROM outbox"):
            ids.add(str(row["event_id"]))
            unpublished += row["published_at"] is None
    return ids, unpublished


def assert_released_exactly_once(stack, run, timeout=300):
    release = run.release()
    assert release["status"] == "released", (release["status"], release["counts"])
    assert release["counts"] == {"released": run.count}, release["counts"]
    assert run.vehicle_states() == {"released": run.count}

    # each vehicle moved to released exactly once (the stack's other releases are other tests')
    moves = query(stack.database_url("vehicles"), """
        SELECT item->>'vin' AS vin, count(*) AS n FROM outbox, jsonb_array_elements(payload->'data'->'vehicles') item
        WHERE event_type = 'vehicle_status_changed' AND item->>'status' = 'released' AND item->>'vin' = ANY(:vins)
        GROUP BY 1""", vins=run.vins)
    assert {m["vin"] for m in moves} == set(run.vins)
    assert [m for m in moves if m["n"] != 1] == []

    # exactly one certificate per VIN, and it is the current one (no VIN was sealed twice)
    certs = query(stack.database_url("signing"), """
        SELECT vin, count(*) AS n, count(*) FILTER (WHERE status = 'current') AS current
        FROM certificates WHERE vin = ANY(:vins) GROUP BY vin""", vins=run.vins)
    assert len(certs) == run.count
    assert [c for c in certs if (c["n"], c["current"]) != (1, 1)] == []

    # the audit chain verifies and holds every published event exactly once
    def audit_caught_up():
        ids, unpublished = published_event_ids(stack)
        held = query(stack.database_url("audit"), "SELECT event_id::text AS e, count(*) AS n FROM audit_entries "
                                                  "GROUP BY 1")
        return (unpublished == 0 and ids == {h["e"] for h in held}, ids, held)

    done, ids, held = wait_until(lambda: audit_caught_up()[0] and audit_caught_up(), timeout,
                                 "the audit log to hold every event")
    assert [h for h in held if h["n"] != 1] == []
    chain = run.auditor.get("/v1/audit/verify", params={"full": "true"})
    assert chain["valid"] is True, chain
    assert chain["entries"] == len(ids)


def dead_lettered(amqp_uri):
    """(queue, message count) of every non-empty dead-letter queue on `amqp_uri`."""
    from kombu import Connection

    from common.topology import declarations

    found = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for entity in declarations():
            name = getattr(entity, "name", "")
            if name.endswith(".dead"):
                _, count, _ = channel.queue_declare(queue=name, passive=True)
                if count:
                    found.append((name, count))
    return found


def rabbitmq_tool(name):
    """The RabbitMQ script itself (not the root wrapper that switches user), so a private node and its
    control tool share this user's Erlang cookie."""
    direct = Path("/usr/lib/rabbitmq/bin") / name
    return str(direct) if direct.exists() else name


def run_tool(args, env, timeout=120):
    """Run a RabbitMQ tool in the node's own directory (HOME), where any dump it leaves belongs."""
    return subprocess.run(args, env=env, cwd=env.get("HOME"), capture_output=True, text=True, timeout=timeout)


class PrivateRabbitMQ:
    """A RabbitMQ node of this test alone (own node name, ports, data and log directories, no plugins), so it
    can be stopped and started without touching the shared broker."""

    def __init__(self, root):
        import uuid

        from tests.support import free_port

        self.root = root
        self.node = f"ecoc-fault-{uuid.uuid4().hex[:8]}@localhost"
        self.port, self.dist_port = free_port(), free_port()
        (root / "enabled_plugins").write_text("[].\n")
        (root / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (root / "rabbitmq-env.conf").write_text("")
        self.env = dict(
            os.environ, HOME=str(root), RABBITMQ_NODENAME=self.node, RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port), RABBITMQ_MNESIA_BASE=str(root / "mnesia"),
            RABBITMQ_LOG_BASE=str(root / "log"), RABBITMQ_ENABLED_PLUGINS_FILE=str(root / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(root / "rabbitmq.conf"), RABBITMQ_CONF_ENV_FILE=str(root / "rabbitmq-env.conf"),
            RABBITMQ_PID_FILE=str(root / "node.pid"), ERL_EPMD_ADDRESS="127.0.0.1",
            ERL_CRASH_DUMP=str(root / "erl_crash.dump"),
        )
        self.amqp_uri = f"pyamqp://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *args, timeout=120):
        result = run_tool([rabbitmq_tool("rabbitmqctl"), "-n", self.node, *args], self.env, timeout)
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {result.stdout}{result.stderr}\n"
                               f"{self.log_tail()}")
        return result.stdout

    def log_tail(self, lines=30):
        try:
            return "\n".join((self.root / "log" / f"{self.node}.log").read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def start(self):
        result = run_tool([rabbitmq_tool("rabbitmq-server"), "-detached"], self.env)
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmq-server failed: {result.stdout}{result.stderr}")
        self.await_running()

    def await_running(self, timeout=90):
        """`await_startup` fails at once while the node is not yet registered with epmd: retry until it is."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.ctl("await_startup", "--timeout", str(int(timeout)))
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    def stop_app(self):
        self.ctl("stop_app")

    def start_app(self):
        self.ctl("start_app")
        self.await_running()

    def stop(self):
        try:
            self.ctl("stop", timeout=60)
        except (RuntimeError, subprocess.SubprocessError):
            pid = (self.root / "node.pid").read_text().strip() if (self.root / "node.pid").exists() else ""
            if pid.isdigit():
                os.kill(int(pid), 9)
