"""Rate limits per caller over HTTP: `RateLimit-*` headers on every answer of an authenticated route, bulk
requests weighing their rows, and 429 with `Retry-After` once the bucket is spent. The caller `rate-probe` has
a bucket of five units refilled one every five seconds (`tests.support.stack_env`); no one else uses it."""
import pytest
import requests

from cli import demo_data
from tests.support import RATE_PROBE

pytestmark = pytest.mark.e2e


def test_a_spent_bucket_is_429_with_retry_after(stack, nordwind):
    probe = stack.client(RATE_PROBE, ["viewer"], [demo_data.ENTITY])
    vins = [demo_data.WMI + f"{n:014d}" for n in range(6)]

    heavy = probe.request("POST", "/v1/vehicles/status", json={"vins": vins}, expect=None)
    assert heavy.status_code == 422, heavy.text  # six rows never fit a bucket of five: no waiting helps
    assert heavy.json()["errors"][0]["field"] == "_body"

    answered = probe.request("POST", "/v1/vehicles/status", json={"vins": vins[:5]}, expect=None)
    assert answered.status_code == 200, answered.text
    assert answered.headers["RateLimit-Limit"] == "5" and answered.headers["RateLimit-Remaining"] == "0"
    assert int(answered.headers["RateLimit-Reset"]) > 0

    refused = None
    for _ in range(3):  # a unit comes back every five seconds: on a slow machine one more read may pass
        response = probe.request("GET", "/v1/vehicles", expect=None)
        if response.status_code == 429:
            refused = response
            break
    assert refused is not None, "the bucket was never spent"
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json()["type"] == "urn:ecoc:problem:rate-limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 5


def test_other_callers_are_not_slowed_and_see_their_limits(stack, nordwind):
    viewer = stack.client("vic", ["viewer"], [demo_data.ENTITY])
    response = viewer.request("GET", "/v1/vehicles", expect=None)
    assert response.status_code == 200
    assert int(response.headers["RateLimit-Limit"]) == stack.settings.rate_limit_burst
    assert "RateLimit-Limit" not in requests.get(stack.url("/health"), timeout=10).headers  # open routes: none
