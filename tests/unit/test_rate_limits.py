"""The gateway's token buckets per caller (gateway.rate_limits), on a clock the test moves."""
import pytest

from gateway.problems import HttpProblem
from gateway.rate_limits import Limit, RateLimiter, parse_callers


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def limiter(rate=2.0, burst=10, callers=None):
    clock = Clock()
    return RateLimiter(Limit(rate, burst), callers, clock=clock), clock


def test_a_burst_is_served_then_refused_with_retry_after():
    limits, clock = limiter()
    for left in range(9, -1, -1):
        assert limits.charge("dana")["RateLimit-Remaining"] == str(left)
    with pytest.raises(HttpProblem) as refused:
        limits.charge("dana")
    assert refused.value.status == 429 and refused.value.problem == "urn:ecoc:problem:rate-limited"
    assert refused.value.headers["Retry-After"] == "1" and refused.value.headers["RateLimit-Remaining"] == "0"
    clock.now += 0.5  # one unit back
    assert limits.charge("dana")["RateLimit-Remaining"] == "0"


def test_callers_have_buckets_of_their_own():
    limits, _ = limiter(burst=1)
    limits.charge("dana")
    assert limits.charge("rita")["RateLimit-Limit"] == "1"
    with pytest.raises(HttpProblem):
        limits.charge("dana")


def test_bulk_requests_weigh_their_rows():
    limits, clock = limiter(rate=100, burst=1000)
    assert limits.charge("erp", 999)["RateLimit-Remaining"] == "1"
    with pytest.raises(HttpProblem) as refused:
        limits.charge("erp", 500)
    assert refused.value.headers["Retry-After"] == "5"  # 499 units missing at 100 a second
    clock.now += 5
    headers = limits.charge("erp", 500)
    assert headers["RateLimit-Remaining"] == "1" and headers["RateLimit-Reset"] == "10"


def test_a_request_heavier_than_the_bucket_is_422_not_a_wait_forever():
    limits, _ = limiter(burst=100)
    with pytest.raises(HttpProblem) as refused:
        limits.charge("erp", 101)
    assert refused.value.status == 422 and refused.value.errors[0]["field"] == "_body"


def test_named_callers_and_no_limit():
    limits, _ = limiter(rate=0, callers=parse_callers("erp-sync=1/2, slow=0.5/1"))
    assert limits.charge("anyone", 10 ** 9) == {}  # rate 0: unlimited
    assert limits.charge("erp-sync")["RateLimit-Limit"] == "2"
    assert limits.limit_of("slow") == Limit(0.5, 1)
    with pytest.raises(ValueError, match="sub=rate/burst"):
        parse_callers("erp-sync=fast")
