"""Each process's operations endpoint: `/livez`, `/readyz` and `/metrics` on `ECOC_OPS_PORT` (0: off).

`Ops` is a dependency of every service class (and the gateway). It serves the endpoint from the process's own
event loop, so `/livez` answering shows that loop is not stuck; `/readyz` answers 200 only while the broker and
the service's database answer (checked at most every `READY_CACHE_SECONDS`); `/metrics` is Prometheus text. It
also measures every worker of its container (`common.metrics`), and the outbox of the service's database."""
import json
import logging
import time

import eventlet
import eventlet.wsgi
from kombu import Connection
from nameko import config
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

from common import metrics

log = logging.getLogger(__name__)

READY_CACHE_SECONDS = 5.0
CHECK_TIMEOUT = 2.0


def kind_of(entrypoint):
    for kind, cls in (("http", HttpRequestHandler), ("rpc", Rpc), ("event", EventHandler), ("timer", Timer)):
        if isinstance(entrypoint, cls):
            return kind
    return type(entrypoint).__name__.lower()


class Ops(DependencyProvider):
    """`collectors`: callables `(ops) -> iterable of metric families` a service adds (e.g. vehicles per state);
    `ops.database` is the container's `common.dependencies.Database` (None without one); `ops.engine` the
    database engine readiness checks (the service's, or any dependency's that has one, like the gateway's)."""

    def __init__(self, collectors=()):
        self.collectors = tuple(collectors)
        self.database = None
        self._server = None
        self._ready = (0.0, None)  # (checked at, answer)
        self._started = {}
        self._collector = None

    def setup(self):
        from common.dependencies import Database

        self.service = self.container.service_name
        self.database = next((d for d in self.container.dependencies if isinstance(d, Database)), None)
        self._engine_holder = self.database or next(
            (d for d in self.container.dependencies if hasattr(d, "engine")), None)
        self.port = int(config.get("OPS_PORT") or 0)
        self.host = config.get("OPS_HOST") or "127.0.0.1"

    def start(self):
        self._collector = _Collector(self)
        metrics.REGISTRY.register(self._collector)
        if self.port:
            self._server = eventlet.listen((self.host, self.port))
            self.container.spawn_managed_thread(self._serve, identifier="ops-endpoint")
            log.info("ops endpoint on %s:%d (/livez, /readyz, /metrics)", self.host, self.port)

    def stop(self):
        if self._collector is not None:
            metrics.REGISTRY.unregister(self._collector)
            self._collector = None
        if self._server is not None:
            self._server.close()
            self._server = None

    def kill(self):
        self.stop()

    def _serve(self):
        try:
            eventlet.wsgi.server(self._server, self._app, log_output=False, max_size=20)
        except (OSError, ValueError):  # closed at stop
            pass

    # -- the endpoint ------------------------------------------------------------------------------

    def _app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/livez":
            return _answer(start_response, 200, {"status": "ok", "service": self.service})
        if path == "/readyz":
            checks = self.readiness()
            ok = all(v == "ok" for v in checks.values())
            return _answer(start_response, 200 if ok else 503,
                           {"status": "ok" if ok else "not ready", "service": self.service, "checks": checks})
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [generate_latest(metrics.REGISTRY)]
        return _answer(start_response, 404, {"status": "not found"})

    def readiness(self):
        checked_at, answer = self._ready
        if answer is None or time.monotonic() - checked_at > READY_CACHE_SECONDS:
            answer = {"broker": _check(self._broker), "database": _check(self._database)}
            self._ready = (time.monotonic(), answer)
        return answer

    def _broker(self):
        with Connection(config["AMQP_URI"], connect_timeout=CHECK_TIMEOUT, transport_options={"max_retries": 0}) as c:
            c.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)

    def _database(self):
        if self._engine_holder is None:
            return
        with eventlet.Timeout(CHECK_TIMEOUT), self._engine_holder.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # -- every worker of the container ---------------------------------------------------------

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.monotonic()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        labels = (self.service, kind_of(entrypoint), entrypoint.method_name)
        if exc_info is None:
            outcome = "ok"
        else:
            outcome = "refused" if isinstance(exc_info[1], entrypoint.expected_exceptions or ()) else "failed"
        metrics.WORKERS.labels(*labels, outcome).inc()
        if started is not None:
            metrics.WORKER_SECONDS.labels(*labels).observe(time.monotonic() - started)

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)


def _check(probe):
    try:
        probe()
        return "ok"
    except BaseException as exc:  # noqa: BLE001 - a check reports every failure, a timeout included
        return f"unreachable: {type(exc).__name__}"


def _answer(start_response, status, body):
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


class _Collector:
    """Metrics read at scrape time: the outbox backlog, and what the service's own collectors add."""

    def __init__(self, ops):
        self.ops = ops

    def describe(self):  # its names are not registered: a process may run a container more than once (tests)
        return []

    def collect(self):
        database = self.ops.database
        if database is not None and database.outbox_table is not None:
            yield from _outbox_families(self.ops.service, database)
        for collector in self.ops.collectors:
            yield from collector(self.ops)


def _outbox_families(service, database):
    table = database.outbox_table.name
    try:
        with database.engine.connect() as conn:
            count, oldest = conn.execute(text(
                f"SELECT count(*), extract(epoch FROM now() - min(created_at)) FROM {table} "
                "WHERE published_at IS NULL")).one()
    except Exception as exc:  # noqa: BLE001 - a scrape reports what it can
        log.warning("outbox metrics: %s", exc)
        return
    backlog = GaugeMetricFamily("ecoc_outbox_backlog", "Events written but not yet published", labels=["service"])
    backlog.add_metric([service], count)
    age = GaugeMetricFamily("ecoc_outbox_oldest_seconds", "Age of the oldest unpublished event (0: none)",
                            labels=["service"])
    age.add_metric([service], float(oldest or 0))
    yield backlog
    yield age
