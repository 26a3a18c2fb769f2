"""Rate limits per caller: a token bucket for each `sub`, refilled at `ECOC_RATE_LIMIT` units a second up to
`ECOC_RATE_LIMIT_BURST`; `ECOC_RATE_LIMIT_CALLERS` gives named callers (integrations, service accounts) a bucket
of their own size. A request costs one unit; a bulk request costs a unit per row (imports, status look-ups,
release requests), so ten thousand VINs weigh what ten thousand single requests do.

Every answer of a limited route carries `RateLimit-Limit` (the bucket's size), `RateLimit-Remaining` and
`RateLimit-Reset` (seconds until the bucket is full again); a request the bucket cannot pay is answered 429 with
`Retry-After` (seconds until it can) and is not run.

The buckets live in the gateway's own database (`rate_buckets`), shared by every gateway replica: N replicas
behind a balancer allow a caller the limit once, not N times. A request is charged with one atomic statement
(an upsert that refills the bucket for the time passed, takes the cost when it is there, and returns what is
left), so two replicas charging the same caller at the same moment never both spend the last unit. Time is the
gateways' wall clock (seconds since the epoch), as NTP keeps replicas; a clock behind the bucket's refills nothing."""
import math
import time
from dataclasses import dataclass

from nameko import config
from nameko.extensions import DependencyProvider
from sqlalchemy import text

from common.db import make_engine
from gateway.problems import HttpProblem

# the bucket refilled for the time passed: what the caller has now, before this request
_LEVEL = "LEAST(:burst, b.tokens + GREATEST(0, :now - b.refilled_at) * :rate)"
_CHARGE = text(f"""
    INSERT INTO rate_buckets AS b (caller, tokens, refilled_at, paid) VALUES (:caller, :burst - :cost, :now, true)
    ON CONFLICT (caller) DO UPDATE SET
        tokens = {_LEVEL} - CASE WHEN {_LEVEL} >= :cost THEN :cost ELSE 0 END,
        paid = {_LEVEL} >= :cost,
        refilled_at = GREATEST(b.refilled_at, :now)
    RETURNING tokens, paid""")


@dataclass(frozen=True)
class Limit:
    rate: float  # units a second; 0: no limit
    burst: int  # the bucket's size: the most a caller may spend at once


def parse_callers(raw):
    """`ECOC_RATE_LIMIT_CALLERS`: `sub=rate/burst,...` (e.g. `erp-sync=200/20000`) -> {sub: Limit}."""
    limits = {}
    for part in filter(None, (p.strip() for p in (raw or "").split(","))):
        try:
            sub, sizes = part.rsplit("=", 1)
            rate, burst = sizes.split("/")
            limits[sub.strip()] = Limit(float(rate), int(burst))
        except ValueError:
            raise ValueError(f"ECOC_RATE_LIMIT_CALLERS: {part!r} is not sub=rate/burst") from None
    return limits


def headers(limit, tokens):
    missing = limit.burst - tokens
    return {"RateLimit-Limit": str(limit.burst), "RateLimit-Remaining": str(int(tokens)),
            "RateLimit-Reset": str(math.ceil(missing / limit.rate) if missing > 0 else 0)}


class RateLimiter:
    """`charge(caller, cost)` takes `cost` units from the caller's bucket (in `engine`'s database, shared by
    the gateway's replicas) and gives the headers to answer with, or raises the 429 problem."""

    def __init__(self, engine, default, callers=None, clock=time.time):
        self.engine, self.default, self.callers, self.clock = engine, default, dict(callers or {}), clock

    def limit_of(self, caller):
        return self.callers.get(caller, self.default)

    def charge(self, caller, cost=1):
        limit = self.limit_of(caller)
        if limit.rate <= 0:
            return {}
        if cost > limit.burst:  # no wait makes it fit: refused without touching the bucket
            raise HttpProblem(
                422, "urn:ecoc:problem:validation", "Invalid input",
                f"this request weighs {cost:,} units; the most a request may weigh is {limit.burst:,}",
                [{"field": "_body", "message": f"at most {limit.burst:,} rows"}])
        with self.engine.begin() as conn:
            tokens, paid = conn.execute(_CHARGE, {"caller": caller, "burst": float(limit.burst), "cost": float(cost),
                                                  "rate": limit.rate, "now": self.clock()}).one()
        answer = headers(limit, tokens)
        if not paid:
            wait = math.ceil((cost - tokens) / limit.rate)
            raise HttpProblem(
                429, "urn:ecoc:problem:rate-limited", "Too many requests",
                f"the rate limit of {limit.rate:g} units a second (bursts of {limit.burst:,}) is spent; this "
                f"request weighs {cost:,}: retry in {wait} s", [], headers=dict(answer, **{"Retry-After": str(wait)}))
        return answer


class RateLimits(DependencyProvider):
    """Hands workers the gateway's `RateLimiter`, its buckets in the gateway's database."""

    def __init__(self):
        self.limiter = None

    def setup(self):
        from common.config import settings

        s = settings()
        engine = make_engine(config["DATABASE_URL"], pool_size=max(int(config.get("max_workers", 10)), 5) + 2)
        self.limiter = RateLimiter(engine, Limit(s.rate_limit, s.rate_limit_burst), parse_callers(s.rate_limit_callers))

    @property
    def engine(self):
        return self.limiter.engine

    def stop(self):
        self.limiter.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.limiter
