"""Webhook rules without infrastructure: signatures, back-off and disabling, and which URLs are accepted."""
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.webhooks.dependencies import Policy
from services.webhooks.domain import retries, signatures, targets
from services.webhooks.domain.subscriptions import matches, public

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 2, 8, tzinfo=timezone.utc)
POLICY = Policy(retry_base_seconds=30, retry_max_seconds=3600, retry_hours=24, disable_after_hours=24,
                timeout_seconds=10, insecure_targets=False, private_targets=False)


def test_a_signature_verifies_only_with_its_secret_body_and_a_fresh_timestamp():
    secret, body = signatures.new_secret(), b'{"id":"e1"}'
    assert secret.startswith("whsec_") and secret != signatures.new_secret()
    header = signatures.header_value(secret, 1_790_000_000, body)
    assert header.startswith("t=1790000000,v1=")
    assert signatures.verify(secret, header, body, now=1_790_000_100)
    assert not signatures.verify(secret, header, body + b" ", now=1_790_000_100)
    assert not signatures.verify(signatures.new_secret(), header, body, now=1_790_000_100)
    assert not signatures.verify(secret, header, body, now=1_790_000_000 + 301)  # a replay, too late
    assert not signatures.verify(secret, "v1=abc", body) and not signatures.verify(secret, "t=x,v1=abc", body)


def test_the_documented_snippet_verifies_what_the_service_signs():
    """docs/webhooks.md's verification code, run as written; the e2e receiver uses the same function."""
    snippet = re.search(r"```python\n(.*?)```", (REPO / "docs" / "webhooks.md").read_text(), re.S).group(1)
    namespace = {}
    exec(snippet, namespace)  # noqa: S102 - our own documentation
    verify = namespace["verify_signature"]
    secret, body = signatures.new_secret(), '{"data":{"vin":"Ä"}}'.encode()
    assert verify(secret, signatures.header_value(secret, time.time(), body), body)
    assert not verify(secret, signatures.header_value(secret, time.time() - 600, body), body)
    function = snippet[snippet.index("def verify_signature"):]
    assert function in (REPO / "tests" / "e2e" / "webhook_receiver.py").read_text()


def test_back_off_doubles_up_to_the_cap_and_gives_up_after_the_window():
    assert [retries.next_delay(n, 30, 3600) for n in (1, 2, 3, 8, 9, 500)] == [30, 60, 120, 3600, 3600, 3600]
    assert retries.next_attempt(T0, T0, 1, POLICY) == T0 + timedelta(seconds=30)
    late = T0 + timedelta(hours=23, minutes=59)
    assert retries.next_attempt(T0, late, 20, POLICY) is None  # the next try would fall after 24 h
    attempts, now = 0, T0
    while (later := retries.next_attempt(T0, now, attempts + 1, POLICY)) is not None:
        attempts, now = attempts + 1, later
    assert attempts >= 24 and now - T0 >= timedelta(hours=23)  # at least a day of retries


def test_a_subscription_is_disabled_only_after_failing_the_whole_window():
    assert not retries.should_disable(None, T0, POLICY)
    assert not retries.should_disable(T0, T0 + timedelta(hours=23), POLICY)
    assert retries.should_disable(T0, T0 + timedelta(hours=24), POLICY)


def test_a_lease_outlasts_a_whole_batch_of_deliveries_that_each_wait_out_the_timeout():
    # 100 deliveries, 20 at a time: five rounds, each up to the timeout; then the answers are recorded
    assert retries.lease_seconds(100, 20, 10) == 5 * 10 + retries.LEASE_MARGIN_SECONDS
    assert retries.lease_seconds(101, 20, 10) == 6 * 10 + retries.LEASE_MARGIN_SECONDS
    assert retries.lease_seconds(3, 20, 2.5) == 2.5 + retries.LEASE_MARGIN_SECONDS


def test_only_https_to_public_addresses_unless_local():
    def fields(url, insecure=False):
        return [e["field"] for e in targets.url_errors(url, insecure)]

    assert fields("https://erp.example.eu/hooks/ecoc?x=1") == []
    for url in ("http://erp.example.eu/x", "https://127.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/x",
                "https://10.0.0.8/x", "https://localhost/x", "https://a:b@erp.example.eu/x", "ftp://x/y", "", "https:x",
                "https://erp.example.eu:99999/x", "https://erp.example.eu/x#frag", None):
        assert fields(url) == ["url"], url
    assert fields("http://127.0.0.1:8080/hook", insecure=True) == []


def test_a_name_resolving_to_a_private_address_is_refused_at_delivery():
    private = lambda host, port: [(2, 1, 6, "", ("10.1.2.3", 0))]  # noqa: E731
    public_ = lambda host, port: [(2, 1, 6, "", ("93.184.216.34", 0))]  # noqa: E731
    assert "10.1.2.3" in targets.refused_address("https://erp.example.eu/x", False, resolve=private)
    assert targets.refused_address("https://erp.example.eu/x", False, resolve=public_) is None
    assert targets.refused_address("https://erp.example.eu/x", True, resolve=private) is None


def test_events_match_entity_and_types():
    sub = {"id": "s", "entity": "ACME", "event_types": ["certificate_signed"]}
    event = {"entity": "ACME", "type": "certificate_signed"}
    assert matches(sub, event)
    assert not matches(sub, dict(event, entity="NORDWIND"))
    assert not matches(sub, dict(event, type="vehicle_changed"))
    assert not matches(dict(sub, event_types=None), dict(event, entity=None))  # an event of no entity goes nowhere
    assert matches(dict(sub, event_types=None), dict(event, type="vehicle_changed"))


def test_the_secret_is_never_in_the_public_view():
    row = {"id": "s", "entity": "ACME", "url": "https://x.eu", "event_types": None, "description": None,
           "active": True, "disabled_reason": None, "revision": 1, "created_by": "sam", "created_at": T0,
           "updated_at": T0, "secret": "whsec_x", "failing_since": None}
    assert "secret" not in public(row) and "failing_since" not in public(row)


def test_a_secret_is_stored_sealed_and_reads_back_only_with_the_same_internal_secret():
    from services.webhooks.domain import sealing

    secret = signatures.new_secret()
    stored = sealing.seal(secret, ("internal-one",))
    assert secret not in stored and stored != sealing.seal(secret, ("internal-one",))  # random IV each time
    assert sealing.unseal(stored, ("internal-one",)) == secret
    with pytest.raises(sealing.UnreadableSecret, match="ECOC_INTERNAL_SECRET_PREVIOUS"):
        sealing.unseal(stored, ("internal-two",))


def test_a_rotated_internal_secret_still_reads_earlier_secrets_and_reseals_them_under_the_new_one():
    from services.webhooks.domain import sealing

    secret = signatures.new_secret()
    stored = sealing.seal(secret, ("old",))
    rotated = ("new", "old")  # ECOC_INTERNAL_SECRET=new, ECOC_INTERNAL_SECRET_PREVIOUS=old
    assert sealing.unseal(stored, rotated) == secret
    fresh = sealing.reseal(stored, rotated)
    assert fresh is not None and sealing.unseal(fresh, ("new",)) == secret  # the old secret can be dropped now
    assert sealing.reseal(fresh, rotated) is None  # already under the current one
    assert sealing.reseal(stored, ("other",)) is None  # unreadable: left for unseal to report
