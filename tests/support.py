"""Throwaway infrastructure for the integration and end-to-end tests: a RabbitMQ vhost and databases
of their own, on the real broker and PostgreSQL server of this machine (URLs from the environment)."""
import atexit
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

from cli import demo_data
from common.config import PROCESSES, settings
from common.db import drop_database, migrate


def _rabbitmqctl(*args):
    try:
        return subprocess.run(["rabbitmqctl", *args], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


_deleting_vhosts = []  # `rabbitmqctl delete_vhost` processes the caller did not wait for


def _delete_vhost_meanwhile(vhost):
    """Delete `vhost` while the caller goes on (a `rabbitmqctl` call takes most of a second)."""
    try:
        process = subprocess.Popen(["rabbitmqctl", "delete_vhost", vhost], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    except OSError:
        return
    _deleting_vhosts[:] = [p for p in _deleting_vhosts if p.poll() is None] + [process]


@atexit.register
def _wait_for_vhost_deletions():
    for process in _deleting_vhosts:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def throwaway_vhost(label):
    """An AMQP URI on a vhost of its own, so no other consumer on the shared broker takes our messages.

    Falls back to the configured URI when `rabbitmqctl` is not at hand or ECOC_AMQP_URI is set."""
    base = os.environ.get("ECOC_AMQP_URI")
    if base or not shutil.which("rabbitmqctl"):
        yield base or settings().amqp_uri
        return
    vhost = f"ecoc-test-{label}-{uuid.uuid4().hex[:8]}"
    made = _rabbitmqctl("add_vhost", vhost) and _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    if not made:
        yield settings().amqp_uri
        return
    try:
        yield settings().amqp_uri.rstrip("/") + "/" + quote(vhost, safe="")
    finally:
        _delete_vhost_meanwhile(vhost)


_templates = {}  # service -> URL of this test session's migrated database of it, copied by `new_throwaway_database`


def _template(service):
    """A database of `service` migrated once for the whole test session, to be copied (`CREATE DATABASE … TEMPLATE`
    takes some 40 ms; migrating one takes 0.2–0.6 s), dropped when the session ends."""
    if service not in _templates:
        url = f"{settings().database_server.rstrip('/')}/ecoc_test_template_{service}_{uuid.uuid4().hex[:8]}"
        migrate(service, url)
        _templates[service] = url
        if len(_templates) == 1:
            atexit.register(lambda: drop_databases(_templates.values()))
    return _templates[service]


def create_migrated_database(service, url):
    """Create the database at `url` migrated to the newest revision of `service`: a copy of the session's migrated
    template. The audit service's is migrated itself: its migration makes a login role named after the database
    (`<database>_writer`) and grants it rights in there, which a copy would not have."""
    if service == "audit":
        migrate(service, url)
        return
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from common.db import server_url

    template = make_url(_template(service)).database
    with psycopg.connect(server_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(make_url(url).database), sql.Identifier(template)))


def migrate_stack(s):
    """Migrate a stack's databases (copies of the session's templates, `create_migrated_database`) and declare its
    broker topology, as `ecoc migrate` does (`cli.stack.migrate_all`, which finds the copies migrated)."""
    from cli.stack import migrate_all

    for name in PROCESSES:
        create_migrated_database(name, s.database_url(name))
    migrate_all(s, echo=lambda *_: None)


def new_throwaway_database(service, label=None):
    """The URL of a freshly migrated database of one service, of a name of its own; the caller drops it."""
    name = f"ecoc_test_{label or service}_{uuid.uuid4().hex[:8]}"
    url = f"{settings().database_server.rstrip('/')}/{name}"
    create_migrated_database(service, url)
    return url


@contextlib.contextmanager
def throwaway_database(service, label=None):
    """A freshly migrated database for one service, dropped afterwards."""
    url = new_throwaway_database(service, label)
    try:
        yield url
    finally:
        drop_database(url)


def sample_entity_code(legal_name):
    """The code of the legal entity e2e modules register for a party of the official samples: one per legal name
    (legal names are unique across entities), the same in every module that needs it."""
    return "S-" + re.sub(r"[^A-Z0-9]+", "-", legal_name.upper()).strip("-")[:30]


def throwaway_prefix():
    """A database prefix for a whole stack (`<prefix>_<service>`)."""
    return f"ecoc_test_{uuid.uuid4().hex[:8]}"


def drop_databases(urls):
    """Drop the databases at `urls` at once: PostgreSQL makes each DROP DATABASE wait for an immediate checkpoint,
    and drops waiting together share one (nine one after another took a minute on a busy machine, together 4 s)."""
    from concurrent.futures import ThreadPoolExecutor

    urls = list(urls)
    if urls:
        with ThreadPoolExecutor(max_workers=min(len(urls), 16)) as pool:
            list(pool.map(drop_database, urls))  # raises the first failure, after every drop was tried


def drop_stack_databases(prefix):
    server = settings().database_server.rstrip("/")
    # every process with a database of its own, the gateway included
    drop_databases(f"{server}/{prefix}_{service}" for service in PROCESSES)


def xmlsec1_command():
    """The independent `xmlsec1` verifier. Its absence fails a CI run (the Makefile installs it) and skips
    a test elsewhere."""
    import pytest

    path = shutil.which("xmlsec1")
    if path is None:
        message = "xmlsec1 is not installed (apt-get install -y xmlsec1)"
        if os.environ.get("CI"):
            pytest.fail(message + ": it is required in CI")
        pytest.skip(message)
    return path


def xmlsec1_verify(document_path, trusted_pem_path, reference_uris="empty"):
    """`xmlsec1 --verify` trusting only the pinned seal certificate. URI="" needs no --id-attr; references
    are restricted to `reference_uris` ("empty,same-doc" for XAdES) and keys to the X.509 data."""
    return subprocess.run(
        [xmlsec1_command(), "--verify", "--enabled-reference-uris", reference_uris, "--enabled-key-data", "x509",
         "--trusted-pem", str(trusted_pem_path), str(document_path)],
        capture_output=True, text=True, timeout=30)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_block(count):
    """The first of `count` consecutive free ports, below the kernel's ephemeral range (where `free_port` and
    outgoing connections take theirs), so nothing else picks one of them meanwhile."""
    for base in random.sample(range(12000, 30000, count), 200):
        try:
            with contextlib.ExitStack() as held:
                for port in range(base, base + count):
                    sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                    sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports")


def receiver_ca(directory):
    """A private CA and a TLS certificate of 127.0.0.1 it issued, for webhook receivers in tests: the paths
    `{"bundle": CA PEM (ECOC_WEBHOOK_CA_BUNDLE), "cert": ..., "key": ...}`."""
    import datetime
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    valid = {"not_valid_before": now - datetime.timedelta(minutes=5),
             "not_valid_after": now + datetime.timedelta(days=2)}
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecoc test webhook receivers CA")])
    ca = (x509.CertificateBuilder(**valid).subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder(**valid).subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                                                        "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False).sign(ca_key, hashes.SHA256()))
    paths = {"bundle": directory / "ca.pem", "cert": directory / "receiver.pem", "key": directory / "receiver.key"}
    paths["bundle"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return {name: str(path) for name, path in paths.items()}


RATE_PROBE, RATE_PROBE_LIMIT = "rate-probe", "0.2/5"  # a unit every five seconds, at most five at once


def stack_env(amqp_uri, prefix, port, keys_dir, jwt_secret, schema_path, **extra):
    """The environment of a whole test stack: ours for everything but the PostgreSQL server location the
    caller configured; `extra` (ECOC_… or OTEL_… names) is added last."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("ECOC_") or k.startswith("OTEL_EXPORTER_OTLP"))}
    if os.environ.get("ECOC_DATABASE_URL"):
        env["ECOC_DATABASE_URL"] = os.environ["ECOC_DATABASE_URL"]
    env.update({
        "ECOC_AMQP_URI": amqp_uri,
        "ECOC_DB_PREFIX": prefix,
        "ECOC_GATEWAY_HOST": "127.0.0.1",
        "ECOC_GATEWAY_PORT": str(port),
        "ECOC_GATEWAY_URL": f"http://127.0.0.1:{port}",
        "ECOC_KEYS_DIR": str(keys_dir),
        "ECOC_LOCAL_MODE": "1",
        "ECOC_IVI_SCHEMA": str(schema_path),
        "ECOC_JWT_SECRET": jwt_secret,
        "ECOC_INTERNAL_SECRET": f"internal-{jwt_secret}",  # the stack's own: the services trust only its gateway
        "ECOC_JWT_ISSUER": "ecoc-e2e",
        "ECOC_JWT_AUDIENCE": "ecoc-e2e",
        "ECOC_RPC_TIMEOUT": "30",
        "ECOC_LOG_LEVEL": "INFO",
        "PSYCOPG_WAIT_FUNC": "wait_selector",
        "PYTHONUNBUFFERED": "1",
        # one caller with a small bucket, for the rate-limit tests; everyone else has the defaults
        "ECOC_RATE_LIMIT_CALLERS": f"{RATE_PROBE}={RATE_PROBE_LIMIT}",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


class RunningStack:
    """A whole ecoc stack started by `running_stack`: its processes (`processes`, a `cli.stack.Stack`), its
    `settings`, database `prefix`, `log_dir`, and `client(sub, roles, entities)` for its gateway."""

    def __init__(self, processes, settings, prefix, log_dir, keys_dir):
        self.processes, self.settings, self.prefix, self.log_dir, self.keys_dir = (
            processes, settings, prefix, log_dir, keys_dir)

    def client(self, sub, roles, entities=("*",), groups=()):
        from cli.client import Client

        return Client(sub, list(roles), list(entities), base_url=self.settings.gateway_url, s=self.settings,
                      groups=groups)

    def database_url(self, service):
        return self.settings.database_url(service)

    def log(self, name):
        try:
            return (self.log_dir / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""

    def log_tails(self, lines=40):
        names = sorted(path.stem for path in self.log_dir.glob("*.log"))  # replicas (`signing-2`, …) included
        tails = {name: "\n".join(map(readable, self.log(name).splitlines()[-lines:])) for name in names}
        return "\n".join(f"----- {name}.log -----\n{tail}" for name, tail in tails.items())


def readable(line):
    """A JSON log line as a person reads it in a failure report."""
    try:
        r = json.loads(line)
        return (f"{r['time'][11:23]} {r['level']} trace={r.get('trace_id') or '-'} {r['logger']}: {r['message']}"
                + (f"\n{r['exception']}" if r.get("exception") else ""))
    except (ValueError, KeyError, TypeError):
        return line


@contextlib.contextmanager
def running_stack(amqp_uri, root, schema_path, start_timeout=90.0, **extra_env):
    """Migrate and start a whole stack on `amqp_uri` with throwaway databases, a free gateway port and keys and
    logs under `root` (a pathlib.Path); stop it and drop its databases afterwards."""
    import secrets

    from cli.stack import Stack
    from common.config import Settings, parse_replicas

    keys_dir, log_dir = root / "keys", root / "logs"
    keys_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    prefix = throwaway_prefix()
    gateways = dict(parse_replicas(extra_env.get("ECOC_REPLICAS", ""))).get("gateway")
    port = free_port() if gateways == 1 else free_port_block(gateways)  # a gateway replica: the next port
    env = stack_env(amqp_uri, prefix, port, keys_dir, "test-" + secrets.token_hex(24), schema_path,
                    **extra_env)
    saved = {k: v for k, v in os.environ.items() if k.startswith("ECOC_")}
    try:  # read the stack's settings from its environment, then put the session's environment back
        for name in saved:
            del os.environ[name]
        os.environ.update({k: v for k, v in env.items() if k.startswith("ECOC_")})
        s = Settings()
    finally:
        for name in [k for k in os.environ if k.startswith("ECOC_")]:
            del os.environ[name]
        os.environ.update(saved)
    processes = Stack(env=env, log_dir=str(log_dir))
    handle = RunningStack(processes, s, prefix, log_dir, keys_dir)
    try:
        migrate_stack(s)
        for attempt in (1, 2):  # a start on a loaded machine is retried once
            processes.start(s.replicas)
            try:
                processes.wait_healthy(s.gateway_url, timeout=start_timeout)
                break
            except RuntimeError as exc:
                processes.stop()
                if attempt == 2:
                    raise RuntimeError(f"{exc}\n{handle.log_tails()}") from None
                sys.__stderr__.write(f"\nthe stack did not start ({exc}); once more\n{handle.log_tails(15)}\n")
        try:
            yield handle
        except BaseException:  # the logs go with the scratch directory: show their tails first
            sys.__stderr__.write(f"\n===== ecoc stack logs ({log_dir}) =====\n{handle.log_tails()}\n")
            raise
    finally:
        processes.stop()
        drop_stack_databases(prefix)


def query(url, statement, **params):
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(statement), params)]
    finally:
        engine.dispose()


def register_demo_manufacturer(stack):
    """The demo manufacturer (NORDWIND) and its type approval on `stack`, registered unless they are already
    (a stack that several modules share)."""
    stack.client("ada", ["admin"]).put(f"/v1/entities/{demo_data.ENTITY}", demo_data.entity())
    manager = stack.client("alice", ["approvals_manager"], [demo_data.ENTITY])
    if not manager.get("/v1/approvals", params={"number": demo_data.APPROVAL_NUMBER})["items"]:
        manager.post("/v1/approvals", demo_data.approval())


class ReleaseRun:
    """One release of `count` fresh demo vehicles (NORDWIND) through a stack's gateway as the demo's five people:
    `prepare()` registers the entity and approval, imports, waits for validation, requests the release and has
    it approved (four-eyes); `sign()` asks for the seals; `wait_released()` waits for the outcome."""

    def __init__(self, stack, count, seed=None):
        e = [demo_data.ENTITY]
        self.stack = stack
        self.steward = stack.client("dana", ["data_steward"], e)
        self.reviewer = stack.client("rita", ["reviewer"], e)
        self.signer = stack.client(demo_data.SIGNATORY["sub"], ["signer"], e)
        self.auditor = stack.client("audrey", ["auditor"], ["*"])
        self.count = count
        self.seed = seed if seed is not None else time.time_ns()
        self.timings = {}
        self.release_id = None
        self.vins = []

    def prepare(self):
        start = time.monotonic()
        register_demo_manufacturer(self.stack)
        vehicles = demo_data.vehicles(self.count, seed=self.seed)
        self.vins = [v["vin"] for v in vehicles]
        imported = self.steward.post("/v1/vehicles/import", {"vehicles": vehicles}, timeout=300)
        assert imported["accepted"] == self.count, imported
        wait_until(lambda: self.vehicle_states().get("valid", 0) == self.count, 300, "validation")
        self.timings["prepare"] = time.monotonic() - start
        release = self.steward.post("/v1/releases", {"vins": self.vins, "note": "fault test"}, timeout=300)
        assert release["accepted"] == self.count, release
        self.release_id = release["id"]
        self.reviewer.post(f"/v1/releases/{self.release_id}/approve", timeout=300)
        return self

    def vehicle_states(self):
        rows = query(self.stack.database_url("vehicles"),
                     "SELECT status, count(*) AS n FROM vehicles WHERE vin = ANY(:vins) GROUP BY status",
                     vins=self.vins)
        return {r["status"]: r["n"] for r in rows}

    def certificates_stored(self):
        return query(self.stack.database_url("signing"),
                     "SELECT count(*) AS n FROM certificates WHERE vin = ANY(:vins)", vins=self.vins)[0]["n"]

    def sign(self):
        self.sign_started = time.monotonic()
        self.signer.post(f"/v1/releases/{self.release_id}/sign", timeout=300)

    def wait_signing_started(self, timeout=300):
        """Returns the number of certificates stored when signing was seen under way (not finished)."""
        stored = wait_until(lambda: self.certificates_stored(), timeout, "the first certificates")
        assert stored < self.count, f"signing finished ({stored}) before the fault could strike"
        return stored

    def release(self):
        return self.steward.get(f"/v1/releases/{self.release_id}")

    def release_status(self):
        """The release's status, or None while the gateway answers 5xx (the fault may still be striking)."""
        from cli.client import ApiError

        try:
            return self.release()["status"]
        except ApiError as exc:
            if exc.response.status_code < 500:
                raise
            return None

    def wait_released(self, timeout=600):
        wait_until(lambda: self.release_status() in ("released", "completed_with_failures"), timeout,
                   "the release to complete", interval=1.0)
        self.timings["sign"] = time.monotonic() - self.sign_started


def feed_after(client, after):
    """Every event of the change feed (GET /v1/events) after `after`, page by page; and the last cursor."""
    events = []
    while True:
        page = client.get("/v1/events", params={"limit": 50} | ({"after": after} if after else {}))
        events += page["events"]
        after = page["next_cursor"]
        if not page["has_more"]:
            return events, after


def wait_until(check, timeout, what="condition", interval=0.25):
    """Poll `check()` until it returns a truthy value, which is returned; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


def take(amqp_uri, queue, timeout=0.0):
    """One message from `queue` (acked), or None when none arrives within `timeout` seconds."""
    from kombu import Connection

    deadline = time.monotonic() + timeout
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        while True:
            message = channel.basic_get(queue=queue, no_ack=True)
            if message is not None or time.monotonic() >= deadline:
                return message
            time.sleep(0.05)


class OidcIssuer:
    """The test OIDC issuer (`tests/oidc_issuer.py`) running as a process: `url`, `client_id`, `client_secret`,
    `env` (the gateway's ECOC_OIDC_* settings for it) and `add_user(sub, roles, entities, groups)`."""

    def __init__(self, url, client_id, client_secret, users_file):
        self.url, self.client_id, self.client_secret, self.users_file = url, client_id, client_secret, users_file

    @property
    def env(self):
        return {"ECOC_OIDC_ISSUER": self.url, "ECOC_OIDC_CLIENT_ID": self.client_id,
                "ECOC_OIDC_CLIENT_SECRET": self.client_secret}

    def add_user(self, sub, roles, entities, groups=()):
        users = json.loads(self.users_file.read_text())
        users[sub] = {"roles": list(roles), "entities": list(entities), "groups": list(groups)}
        tmp = self.users_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(users))
        tmp.replace(self.users_file)  # the issuer reads it at every sign-in: never half-written


@contextlib.contextmanager
def oidc_issuer(root, redirect_uri):
    """The test OIDC issuer, started over HTTP on a free port and stopped afterwards."""
    import requests

    port = free_port()
    users_file = root / "oidc-users.json"
    users_file.write_text("{}")
    issuer = OidcIssuer(f"http://127.0.0.1:{port}", "ecoc-dashboard", secrets.token_urlsafe(24), users_file)
    log = (root / "oidc-issuer.log").open("w")
    # `--name=value`: a generated secret may begin with "-", which argparse would take for an option
    process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("oidc_issuer.py")), f"--port={port}",
                                f"--client-id={issuer.client_id}", f"--client-secret={issuer.client_secret}",
                                f"--redirect-uri={redirect_uri}", f"--users={users_file}"],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        def up():
            if process.poll() is not None:
                raise RuntimeError(f"the test OIDC issuer stopped: {(root / 'oidc-issuer.log').read_text()}")
            try:
                return requests.get(f"{issuer.url}/.well-known/openid-configuration", timeout=2).ok
            except requests.RequestException:
                return False

        wait_until(up, 30, "the test OIDC issuer")
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()



class OwnStack:
    """A test module's own stack, as `own_stack` yields it: its settings and clients of its gateway."""

    def __init__(self, settings):
        self.settings = settings

    def client(self, sub, roles, entities=("*",), groups=()):
        from cli.client import Client

        return Client(sub, list(roles), list(entities), base_url=self.settings.gateway_url, s=self.settings,
                      groups=groups)


@contextlib.contextmanager
def own_stack(root, label, schema_path, **extra_env):
    """A whole stack for one test module (shadowing the session's), isolated as the session's is: its own vhost,
    databases and port, small pools beside the session's stack; the process environment points at it meanwhile."""
    import pytest

    from cli.stack import Stack
    from common.config import Settings

    port = free_port()
    prefix = throwaway_prefix()
    with throwaway_vhost(label) as amqp_uri, pytest.MonkeyPatch.context() as mp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ECOC_", "OTEL_EXPORTER_OTLP"))}
        env.update({"ECOC_AMQP_URI": amqp_uri, "ECOC_DB_PREFIX": prefix, "ECOC_GATEWAY_PORT": str(port),
                    "ECOC_GATEWAY_URL": f"http://127.0.0.1:{port}", "ECOC_KEYS_DIR": str(Path(root) / "keys"),
                    "ECOC_IVI_SCHEMA": str(schema_path), "ECOC_JWT_SECRET": secrets.token_hex(24),
                    "ECOC_MAX_WORKERS": "4", "PSYCOPG_WAIT_FUNC": "wait_selector", **extra_env})
        if os.environ.get("ECOC_DATABASE_URL"):  # the PostgreSQL server the caller configured
            env["ECOC_DATABASE_URL"] = os.environ["ECOC_DATABASE_URL"]
        for name in [k for k in os.environ if k.startswith("ECOC_")]:
            mp.delenv(name)
        for name, value in env.items():
            if name.startswith("ECOC_"):
                mp.setenv(name, value)
        s = Settings()
        processes = Stack(env=env, log_dir=str(Path(root) / "logs"))
        try:
            migrate_stack(s)
            processes.start()
            processes.wait_healthy(s.gateway_url, timeout=90)
            yield OwnStack(s)
        finally:
            processes.stop()
            drop_stack_databases(prefix)
