"""The gateway's token buckets per caller (gateway.rate_limits) in its real PostgreSQL database (its own
migration), on a clock the test moves; two limiters on one database are two gateway replicas."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from common.db import make_engine
from gateway.problems import HttpProblem
from gateway.rate_limits import Limit, RateLimiter, parse_callers

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self):
        self.now = 1_780_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture()
def engine(service_db):
    engine = make_engine(service_db("gateway"), pool_size=8)
    yield engine
    engine.dispose()


@pytest.fixture()
def limiter(engine):
    def make(rate=2.0, burst=10, callers=None, clock=None):
        clock = clock or Clock()
        return RateLimiter(engine, Limit(rate, burst), callers, clock=clock), clock
    return make


def test_a_burst_is_served_then_refused_with_retry_after(limiter):
    limits, clock = limiter()
    for left in range(9, -1, -1):
        assert limits.charge("dana")["RateLimit-Remaining"] == str(left)
    with pytest.raises(HttpProblem) as refused:
        limits.charge("dana")
    assert refused.value.status == 429 and refused.value.problem == "urn:ecoc:problem:rate-limited"
    assert refused.value.headers["Retry-After"] == "1" and refused.value.headers["RateLimit-Remaining"] == "0"
    clock.now += 0.5  # one unit back
    assert limits.charge("dana")["RateLimit-Remaining"] == "0"


def test_callers_have_buckets_of_their_own(limiter):
    limits, _ = limiter(burst=1)
    limits.charge("dana")
    assert limits.charge("rita")["RateLimit-Limit"] == "1"
    with pytest.raises(HttpProblem):
        limits.charge("dana")


def test_bulk_requests_weigh_their_rows(limiter):
    limits, clock = limiter(rate=100, burst=1000)
    assert limits.charge("erp", 999)["RateLimit-Remaining"] == "1"
    with pytest.raises(HttpProblem) as refused:
        limits.charge("erp", 500)
    assert refused.value.headers["Retry-After"] == "5"  # 499 units missing at 100 a second
    clock.now += 5
    headers = limits.charge("erp", 500)
    assert headers["RateLimit-Remaining"] == "1" and headers["RateLimit-Reset"] == "10"


def test_a_request_heavier_than_the_bucket_is_422_not_a_wait_forever(limiter):
    limits, _ = limiter(burst=100)
    with pytest.raises(HttpProblem) as refused:
        limits.charge("erp", 101)
    assert refused.value.status == 422 and refused.value.errors[0]["field"] == "_body"
    assert limits.charge("erp", 100)["RateLimit-Remaining"] == "0"  # the refused request took nothing


def test_named_callers_and_no_limit(limiter):
    limits, _ = limiter(rate=0, callers=parse_callers("erp-sync=1/2, slow=0.5/1"))
    assert limits.charge("anyone", 10 ** 9) == {}  # rate 0: unlimited
    assert limits.charge("erp-sync")["RateLimit-Limit"] == "2"
    assert limits.limit_of("slow") == Limit(0.5, 1)
    with pytest.raises(ValueError, match="sub=rate/burst"):
        parse_callers("erp-sync=fast")


def test_two_replicas_share_the_bucket(limiter):
    clock = Clock()
    first, _ = limiter(rate=1, burst=10, clock=clock)
    second, _ = limiter(rate=1, burst=10, clock=clock)
    assert first.charge("dana", 6)["RateLimit-Remaining"] == "4"
    assert second.charge("dana", 4)["RateLimit-Remaining"] == "0"
    for replica in (first, second):
        with pytest.raises(HttpProblem) as refused:
            replica.charge("dana")
        assert refused.value.status == 429
    clock.now -= 30  # a replica whose clock is behind refills nothing, and takes nothing back
    with pytest.raises(HttpProblem):
        first.charge("dana")


def test_concurrent_charges_never_spend_more_than_the_bucket(limiter):
    limits, _ = limiter(rate=0.001, burst=50)
    replicas = [limits, limiter(rate=0.001, burst=50, clock=limits.clock)[0]]

    def charge(i):
        try:
            replicas[i % 2].charge("erp")
            return True
        except HttpProblem as exc:
            assert exc.status == 429
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        paid = list(pool.map(charge, range(200)))
    assert sum(paid) == 50
