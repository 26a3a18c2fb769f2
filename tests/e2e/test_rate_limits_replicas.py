"""Rate limits across gateway replicas (`ECOC_REPLICAS=gateway=2`): the two gateway processes charge one bucket
per caller, kept in the gateway's database, so a caller gets the limit once whichever replica answers. The
caller `replica-probe` has ten units refilled one every 1,000 s (nothing comes back during the test); its
requests alternate between the two gateways' ports."""
import os
import tempfile
from pathlib import Path

import pytest

from cli.client import Client
from common.config import REPO_ROOT
from tests.support import running_stack, throwaway_vhost

pytestmark = pytest.mark.e2e

SCHEMA_PATH = os.environ.get("ECOC_IVI_SCHEMA") or str(REPO_ROOT.parent / "shared" / "ivi" / "IVI2.0.xsd")
PROBE, BURST = "replica-probe", 10


@pytest.fixture(scope="module")
def gateways():
    with tempfile.TemporaryDirectory(prefix="ecoc-rate-replicas-") as root, \
            throwaway_vhost("ratereplicas") as amqp_uri, \
            running_stack(amqp_uri, Path(root), SCHEMA_PATH, ECOC_REPLICAS="gateway=2", ECOC_MAX_WORKERS="4",
                          ECOC_RATE_LIMIT_CALLERS=f"{PROBE}=0.001/{BURST}") as stack:
        port = int(stack.settings.gateway_url.rsplit(":", 1)[1])
        yield stack, [f"http://127.0.0.1:{port + i}" for i in range(2)]


def test_the_limit_holds_across_both_gateways(gateways):
    stack, urls = gateways
    clients = [Client(PROBE, ["viewer"], ["*"], base_url=url, s=stack.settings) for url in urls]
    remaining = []
    for n in range(BURST):  # alternately on each gateway: one bucket, spent a unit at a time
        answered = clients[n % 2].request("GET", "/v1/entities", expect=None)
        assert answered.status_code == 200, answered.text
        assert answered.headers["RateLimit-Limit"] == str(BURST)
        remaining.append(int(answered.headers["RateLimit-Remaining"]))
    assert remaining == list(range(BURST - 1, -1, -1))
    for client in clients:  # spent on both, whichever is asked
        refused = client.request("GET", "/v1/entities", expect=None)
        assert refused.status_code == 429, refused.text
        assert refused.json()["type"] == "urn:ecoc:problem:rate-limited"
        assert int(refused.headers["Retry-After"]) >= 1
    # another caller's bucket is its own, on either gateway
    other = Client("replica-other", ["viewer"], ["*"], base_url=urls[1], s=stack.settings)
    assert other.request("GET", "/v1/entities", expect=None).status_code == 200
