"""`Idempotency-Key` on POST: a replay by the same caller with the same request returns the first response;
the same key with another request is 422; a duplicate arriving while the first still runs waits for its
answer (409 if it takes too long), so the two never both execute.

Keys live in the gateway's own database, scoped per caller (`sub`), and expire after
`ECOC_IDEMPOTENCY_TTL_HOURS`. Only successful (2xx) answers are kept: after a 4xx or 5xx the key is free
again, so a corrected or retried request runs."""
import datetime as dt
import hashlib

import eventlet
from nameko import config
from nameko.extensions import DependencyProvider
from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from werkzeug.wrappers import Response

from common.db import make_engine
from gateway.models import idempotency_keys as keys
from gateway.problems import HttpProblem, invalid

HEADER = "Idempotency-Key"
MAX_KEY = 255
KEPT_HEADERS = ("Content-Type", "ETag", "Location", "Retry-After", "X-Ivi-Reference-Id", "X-Ivi-Version-Number")
POLL_SECONDS = 0.1


def fingerprint(request):
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1"), request.mimetype or ""):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(request.get_data(as_text=False))
    return digest.hexdigest()


def key_of(request):
    """The request's Idempotency-Key, or None; a malformed one is a 422 naming the header."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise invalid("Bad Idempotency-Key.", [{"field": HEADER, "message": f"1-{MAX_KEY} printable characters"}])
    return key


def _now():
    return dt.datetime.now(dt.timezone.utc)


class IdempotencyStore:
    def __init__(self, engine, ttl, wait_seconds):
        self.engine, self.ttl, self.wait_seconds = engine, ttl, wait_seconds
        # a key still marked running long after any request could have ended: its gateway died mid-request
        self.abandoned = dt.timedelta(seconds=4 * wait_seconds + 30)

    def run(self, caller, key, request, execute):
        """The response to this request: the kept one when replayed, else `execute()`'s (kept when 2xx)."""
        this = fingerprint(request)
        deadline = eventlet.hubs.get_hub().clock() + self.wait_seconds
        while True:
            kept = self._claim_or_read(caller, key, this)
            if kept is None:
                break  # ours: run it
            if kept.fingerprint != this:
                raise invalid("This Idempotency-Key was used for another request.",
                              [{"field": HEADER, "message": "already used with a different request; use a new key"}])
            if kept.status is not None:
                return self._replay(kept)
            if eventlet.hubs.get_hub().clock() >= deadline:
                raise HttpProblem(409, "urn:ecoc:problem:conflict", "Conflict",
                                  "a request with this Idempotency-Key is still running; retry later",
                                  [{"field": HEADER, "message": "in progress"}])
            eventlet.sleep(POLL_SECONDS)
        try:
            response = execute()
        except BaseException:
            self._release(caller, key)
            raise
        if 200 <= response.status_code < 300:
            self._keep(caller, key, response)
        else:
            self._release(caller, key)
        return response

    def _claim_or_read(self, caller, key, this):
        """None when this request now holds the key; else the row that holds it."""
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(delete(keys).where(keys.c.claimed_at < now - self.ttl))
            conn.execute(delete(keys).where(and_(keys.c.caller == caller, keys.c.key == key, keys.c.status.is_(None),
                                                 keys.c.claimed_at < now - self.abandoned)))
            claimed = conn.execute(insert(keys).values(caller=caller, key=key, fingerprint=this, claimed_at=now)
                                   .on_conflict_do_nothing().returning(keys.c.key)).first()
            if claimed:
                return None
            return conn.execute(select(keys).where(and_(keys.c.caller == caller, keys.c.key == key))).first()

    def _keep(self, caller, key, response):
        headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
        with self.engine.begin() as conn:
            conn.execute(update(keys).where(and_(keys.c.caller == caller, keys.c.key == key)).values(
                status=response.status_code, headers=headers, body=response.get_data()))

    def _release(self, caller, key):
        with self.engine.begin() as conn:
            conn.execute(delete(keys).where(and_(keys.c.caller == caller, keys.c.key == key, keys.c.status.is_(None))))

    @staticmethod
    def _replay(kept):
        headers = dict(kept.headers or {})
        headers["Idempotent-Replayed"] = "true"
        return Response(kept.body, status=kept.status, headers=headers)


class Idempotency(DependencyProvider):
    """Hands workers the gateway's `IdempotencyStore`."""

    def __init__(self, ttl_hours=None, wait_seconds=None):
        self.ttl_hours, self.wait_seconds = ttl_hours, wait_seconds
        self.store = None

    def setup(self):
        from common.config import settings

        s = settings()
        engine = make_engine(config["DATABASE_URL"], pool_size=max(int(config.get("max_workers", 10)), 5) + 2)
        ttl = dt.timedelta(hours=self.ttl_hours if self.ttl_hours is not None else s.idempotency_ttl_hours)
        self.store = IdempotencyStore(engine, ttl, self.wait_seconds if self.wait_seconds is not None
                                      else s.rpc_timeout)

    @property
    def engine(self):
        return self.store.engine

    def stop(self):
        self.store.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.store

