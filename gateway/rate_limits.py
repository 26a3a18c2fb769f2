"""Rate limits per caller: a token bucket for each `sub`, refilled at `ECOC_RATE_LIMIT` units a second up to
`ECOC_RATE_LIMIT_BURST`; `ECOC_RATE_LIMIT_CALLERS` gives named callers (integrations, service accounts) a bucket
of their own size. A request costs one unit; a bulk request costs a unit per row (imports, status look-ups,
release requests), so ten thousand VINs weigh what ten thousand single requests do.

Every answer of a limited route carries `RateLimit-Limit` (the bucket's size), `RateLimit-Remaining` and
`RateLimit-Reset` (seconds until the bucket is full again); a request the bucket cannot pay is answered 429 with
`Retry-After` (seconds until it can) and is not run. Buckets live in each gateway process: with N gateway
replicas behind a balancer a caller may reach N times the rate, which the sizes should allow for."""
import math
import threading
import time
from dataclasses import dataclass

from gateway.problems import HttpProblem


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


class Bucket:
    def __init__(self, limit, now):
        self.limit, self.tokens, self.at = limit, float(limit.burst), now

    def refill(self, now):
        self.tokens = min(self.limit.burst, self.tokens + (now - self.at) * self.limit.rate)
        self.at = now

    def headers(self):
        missing = self.limit.burst - self.tokens
        return {"RateLimit-Limit": str(self.limit.burst), "RateLimit-Remaining": str(int(self.tokens)),
                "RateLimit-Reset": str(math.ceil(missing / self.limit.rate) if missing > 0 else 0)}


class RateLimiter:
    """The buckets of one gateway process. `charge(caller, cost)` takes `cost` units from the caller's bucket
    and gives the headers to answer with, or raises the 429 problem."""

    def __init__(self, default, callers=None, clock=time.monotonic):
        self.default, self.callers, self.clock = default, dict(callers or {}), clock
        self.buckets, self.lock = {}, threading.Lock()

    def limit_of(self, caller):
        return self.callers.get(caller, self.default)

    def charge(self, caller, cost=1):
        limit = self.limit_of(caller)
        if limit.rate <= 0:
            return {}
        now = self.clock()
        with self.lock:
            bucket = self.buckets.get(caller)
            if bucket is None:
                bucket = self.buckets[caller] = Bucket(limit, now)
            bucket.refill(now)
            if cost > limit.burst:
                raise HttpProblem(
                    422, "urn:ecoc:problem:validation", "Invalid input",
                    f"this request weighs {cost:,} units; the most a request may weigh is {limit.burst:,}",
                    [{"field": "_body", "message": f"at most {limit.burst:,} rows"}], headers=bucket.headers())
            if bucket.tokens < cost:
                wait = math.ceil((cost - bucket.tokens) / limit.rate)
                raise HttpProblem(
                    429, "urn:ecoc:problem:rate-limited", "Too many requests",
                    f"the rate limit of {limit.rate:g} units a second (bursts of {limit.burst:,}) is spent; this "
                    f"request weighs {cost:,}: retry in {wait} s", [],
                    headers=dict(bucket.headers(), **{"Retry-After": str(wait)}))
            bucket.tokens -= cost
            return bucket.headers()
