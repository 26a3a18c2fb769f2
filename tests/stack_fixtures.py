"""The whole ecoc stack, started once per test session in isolation and driven over HTTP (tests/e2e and
tests/security; a plugin of the root conftest).

Isolation: a RabbitMQ vhost of its own, databases `<throwaway prefix>_<service>`, a free gateway port,
a temporary keys directory and a per-session JWT secret. The six processes log to files in a temporary
directory; the tail of each log is attached to every failing e2e test and printed at teardown when
something failed.
"""
import os
import re
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from cli import demo_data
from cli.client import Client
from cli.stack import PROCESSES, Stack
from common.config import REPO_ROOT, Settings

if str(REPO_ROOT) not in sys.path:  # `tests` has no __init__.py: make `tests.support` importable
    sys.path.append(str(REPO_ROOT))

from tests.support import (  # noqa: E402
    drop_stack_databases, free_port, free_port_block, migrate_stack, oidc_issuer, readable, receiver_ca, stack_env,
    throwaway_prefix, throwaway_vhost, wait_until,
)

SCHEMA_PATH = Path(os.environ.get("ECOC_IVI_SCHEMA") or REPO_ROOT.parent / "shared" / "ivi" / "IVI2.0.xsd")
START_TIMEOUT = 90.0
LOG_TAIL_LINES = 40

_stack_handle = None  # the running `E2EStack`, for the failure-report hook


_ACCESS_OK = re.compile(r'"logger": "gateway\.access", "message": "\S+ \S+ [23]\d\d ')  # noise in a failure report


def _tail(path, lines=LOG_TAIL_LINES):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join([readable(line) for line in text.splitlines() if not _ACCESS_OK.search(line)][-lines:])



@dataclass
class E2EStack:
    base_url: str
    settings: Settings
    keys_dir: Path
    log_dir: Path
    prefix: str
    amqp_uri: str
    startup_seconds: float = 0.0
    ops_ports: dict = None  # process -> its /livez, /readyz, /metrics port
    receiver_tls: dict = None  # a webhook receiver's certificate and key, of the CA the stack trusts (`receiver_ca`)
    oidc: object = None  # the test OIDC issuer the dashboard signs in with (`tests.support.OidcIssuer`)

    def client(self, sub, roles, entities=("*",), groups=()):
        """A `cli.client.Client` acting as `sub` with `roles` in `entities` (and `groups`), against this stack."""
        return Client(sub, list(roles), list(entities), base_url=self.base_url, s=self.settings, groups=groups)

    def url(self, path):
        return f"{self.base_url}{path}"

    def database_url(self, service):
        return self.settings.database_url(service)

    def log_tails(self, lines=LOG_TAIL_LINES):
        parts = []
        for name in PROCESSES:
            parts.append(f"----- {name}.log (last {lines} lines) -----\n{_tail(self.log_dir / f'{name}.log', lines)}")
        return "\n".join(parts)


@pytest.fixture(scope="session")
def stack(tmp_path_factory, request):
    """The running stack: `base_url`, `client(sub, roles, entities)`, `settings`, `keys_dir`, `log_tails()`."""
    global _stack_handle
    if not SCHEMA_PATH.is_file():
        pytest.fail(f"the official IVI 2.0 schema is missing at {SCHEMA_PATH} (set ECOC_IVI_SCHEMA)")
    root = tmp_path_factory.mktemp("e2e-stack")
    keys_dir, log_dir = root / "keys", root / "logs"
    keys_dir.mkdir()
    log_dir.mkdir()
    port = free_port()
    prefix = throwaway_prefix()
    jwt_secret = "e2e-" + secrets.token_hex(24)

    redirect_uri = f"http://127.0.0.1:{port}/dashboard/oidc/callback"
    with throwaway_vhost("e2e") as amqp_uri, oidc_issuer(root, redirect_uri) as issuer:
        # webhooks: retries in seconds, not minutes, and receivers with certificates of a CA of the test's own
        # (tests/e2e/test_webhooks.py)
        receiver_tls = receiver_ca(root / "webhook-ca")
        env = stack_env(amqp_uri, prefix, port, keys_dir, jwt_secret, SCHEMA_PATH,
                        ECOC_OPS_PORT=free_port_block(len(PROCESSES)), ECOC_WEBHOOK_RETRY_BASE_SECONDS="0.5",
                        ECOC_WEBHOOK_RETRY_MAX_SECONDS="2", ECOC_WEBHOOK_CA_BUNDLE=receiver_tls["bundle"],
                        **issuer.env)
        # The test process builds tokens and migrates with the stack's settings. They are read from the
        # stack's environment here and handed on explicitly: the session's own environment stays as it
        # was, so other tests in the session never talk to this stack's broker vhost or databases.
        with pytest.MonkeyPatch.context() as mp:
            for name in [k for k in os.environ if k.startswith("ECOC_")]:
                mp.delenv(name)
            for name, value in env.items():
                if name.startswith("ECOC_"):
                    mp.setenv(name, value)
            s = Settings()
        assert s.database_prefix == prefix and s.gateway_port == port and s.jwt_secret == jwt_secret
        assert "ECOC_DB_PREFIX" not in os.environ or os.environ["ECOC_DB_PREFIX"] != prefix

        handle = E2EStack(base_url=s.gateway_url, settings=s, keys_dir=keys_dir, log_dir=log_dir,
                          prefix=prefix, amqp_uri=amqp_uri, receiver_tls=receiver_tls, oidc=issuer)
        process_stack = Stack(env=env, log_dir=str(log_dir))
        handle.ops_ports = process_stack.ops_ports
        failed_before = request.session.testsfailed
        try:
            migrate_stack(s)
            started = time.monotonic()
            process_stack.start()
            try:
                process_stack.wait_healthy(s.gateway_url, timeout=START_TIMEOUT)
            except RuntimeError as exc:
                pytest.fail(f"{exc}\n{handle.log_tails()}")
            handle.startup_seconds = time.monotonic() - started
            _stack_handle = handle
            yield handle
        finally:
            _stack_handle = None
            process_stack.stop()
            if request.session.testsfailed > failed_before:
                sys.__stderr__.write(f"\n===== ecoc e2e stack logs ({log_dir}) =====\n{handle.log_tails()}\n")
            drop_stack_databases(prefix)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _stack_handle is not None and "e2e" in item.keywords:
        report.sections.append(("ecoc stack logs", _stack_handle.log_tails()))
    for name, (_, shared) in _open_stacks.items():
        if report.failed and name in item.fixturenames:
            report.sections.append((f"ecoc stack logs ({name})", shared.log_tails()))


# -- the demo manufacturer, set up once for every e2e module ---------------------------------------


@dataclass
class Nordwind:
    entity_put: requests.Response
    approval_post: requests.Response
    entity: dict
    approval_id: str


@pytest.fixture(scope="session")
def nordwind(stack):
    """NORDWIND registered by an admin (local mode makes its seal) and its type approval registered by
    an approvals manager. The raw responses are kept so the release-sequence test can assert on them."""
    admin = stack.client("ada", ["admin"])
    manager = stack.client("alice", ["approvals_manager"], [demo_data.ENTITY])
    entity_put = admin.request("PUT", f"/v1/entities/{demo_data.ENTITY}", json=demo_data.entity(), expect=None)
    assert entity_put.status_code == 200, entity_put.text
    approval_post = manager.request("POST", "/v1/approvals", json=demo_data.approval(), expect=None)
    assert approval_post.status_code == 201, approval_post.text
    entity = admin.get(f"/v1/entities/{demo_data.ENTITY}")
    return Nordwind(entity_put, approval_post, entity, approval_post.json()["id"])



@pytest.fixture(scope="session")
def wait():
    """`wait(check, timeout, interval=0.25, what=...)`: poll until `check()` is truthy, return its value."""
    return wait_until


# -- stacks a few modules share, and the order modules run in --------------------------------------

SHARED_STACKS = {}  # fixture name -> the context manager function that starts its stack (`shared_stack`)
_open_stacks = {}  # fixture name -> (contextlib.ExitStack, running stack), while one is up


def shared_stack(start):
    """Decorates a generator function that yields a running stack of a special configuration (`running_stack`)
    into a fixture of that name which several modules share: started for the first test that asks for it, stopped
    after the last one (`pytest_collection_modifyitems` runs the tests asking for it one after another)."""
    import contextlib

    name = start.__name__
    SHARED_STACKS[name] = contextlib.contextmanager(start)

    @pytest.fixture(name=name, scope="module")
    def fixture():
        if name not in _open_stacks:
            exits = contextlib.ExitStack()
            try:
                _open_stacks[name] = (exits, exits.enter_context(SHARED_STACKS[name]()))
            except BaseException:
                exits.close()
                raise
        return _open_stacks[name][1]

    fixture.__doc__ = start.__doc__
    return fixture


def _close_shared_stack(name):
    exits, _ = _open_stacks.pop(name, (None, None))
    if exits is not None:
        exits.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    for name in [n for n in _open_stacks if n in item.fixturenames]:
        if nextitem is None or name not in nextitem.fixturenames:
            _close_shared_stack(name)


def pytest_sessionfinish(session):
    for name in list(_open_stacks):
        _close_shared_stack(name)


def _on_session_stack(item):
    """Whether `item` runs on the session's stack (not on a module's own `stack` fixture)."""
    definitions = getattr(item, "_fixtureinfo", None) and item._fixtureinfo.name2fixturedefs.get("stack")
    return bool(definitions) and definitions[-1].scope == "session"


def pytest_collection_modifyitems(session, config, items):
    """Whole modules are reordered, each keeping its tests' order: the modules that share a stack
    (`shared_stack`) run one after another, and the modules on the session's stack run last, so no stack of
    a few modules idles beside another and the session's stack is started once its users' turn comes."""
    modules = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    first, grouped, last = [], {}, []
    for module, module_items in modules.items():
        shared = next((n for i in module_items for n in i.fixturenames if n in SHARED_STACKS), None)
        if any(_on_session_stack(i) for i in module_items):
            last.append([module_items])
        elif shared is None:
            first.append([module_items])
        elif shared in grouped:
            grouped[shared].append(module_items)
        else:
            grouped[shared] = [module_items]
            first.append(grouped[shared])
    ordered = [item for group in first + last for module_items in group for item in module_items]
    assert len(ordered) == len(items)
    items[:] = ordered


SHORT_RPC_TIMEOUT = 8.0  # seconds; room for the local seal's key generation on a busy machine
PAPER_PART_SIZE = 10  # ECOC_PAPER_PART_SIZE of `short_timeout_stack`


@shared_stack
def short_timeout_stack():
    """A stack whose gateway gives up on a service after SHORT_RPC_TIMEOUT seconds (the session's stack waits 30),
    exporting its spans to an OTLP receiver in this process (`stack.traces`, tests/otlp_receiver.py): for the
    modules that wait for the timeout, exceed it or read the traces (test_unavailable, test_paper_jobs,
    test_trace_tree). Its print jobs render in parts of PAPER_PART_SIZE, so test_paper_jobs's release prints in
    several."""
    import tempfile

    from tests.otlp_receiver import otlp_receiver
    from tests.support import running_stack

    with tempfile.TemporaryDirectory(prefix="ecoc-short-timeout-") as root, otlp_receiver() as traces, \
            throwaway_vhost("short-timeout") as amqp_uri, \
            running_stack(amqp_uri, Path(root), SCHEMA_PATH, ECOC_RPC_TIMEOUT=str(SHORT_RPC_TIMEOUT),
                          OTEL_EXPORTER_OTLP_ENDPOINT=traces.url, OTEL_BSP_SCHEDULE_DELAY="200",
                          ECOC_PAPER_PART_SIZE=str(PAPER_PART_SIZE)) as stack:
        stack.traces = traces
        yield stack


REPLICAS_STACK = "2"  # ECOC_REPLICAS of `replicas_stack`


@shared_stack
def replicas_stack():
    """Two processes of every service and of the gateway (ECOC_REPLICAS=2), competing consumers of the same queues:
    test_replicas (every process does part of a release's work), test_signing_processes (two signing processes
    share a release)."""
    import tempfile

    from cli.stack import instances
    from common.config import parse_replicas
    from tests.support import running_stack

    names = instances(parse_replicas(REPLICAS_STACK))
    with tempfile.TemporaryDirectory(prefix="ecoc-replicas-") as root, throwaway_vhost("replicas") as amqp_uri, \
            running_stack(amqp_uri, Path(root), SCHEMA_PATH, start_timeout=120, ECOC_REPLICAS=REPLICAS_STACK,
                          ECOC_OPS_PORT=str(free_port_block(len(names))),
                          ECOC_AUDIT_CHECKPOINT_SECONDS="1",  # both audit timers try to seal, often
                          # eighteen processes on one PostgreSQL (max_connections 100)
                          ECOC_MAX_WORKERS="4") as stack:
        yield stack
