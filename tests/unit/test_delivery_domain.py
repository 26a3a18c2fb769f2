"""Delivery's plain rules: back-off with jitter up to a deadline, which target a certificate goes to, what an
attempt's answer does to its delivery, and the SOAP envelope carrying the sealed bytes unchanged."""
from datetime import datetime, timedelta, timezone

import pytest

from services.delivery.domain.backoff import Backoff
from services.delivery.domain.outcomes import after_attempt
from services.delivery.domain.soap import Outcome, envelope, judge, message_bytes, submit_response
from services.delivery.domain.targets import choose_target, target_problems
from services.delivery.transport import Sent

NOW = datetime(2026, 7, 6, 12, tzinfo=timezone.utc)


def test_back_off_doubles_up_to_the_cap_with_equal_jitter_and_stops_at_the_deadline():
    b = Backoff(base=2, cap=30, retry_for=100)
    assert [b.delay(n, rand=lambda: 1.0) for n in (1, 2, 3, 4, 5, 6)] == [2, 4, 8, 16, 30, 30]
    assert [b.delay(n, rand=lambda: 0.0) for n in (1, 2, 6)] == [1, 2, 15]
    deadline = NOW + timedelta(seconds=10)
    assert b.next_attempt(NOW, 1, deadline, rand=lambda: 1.0) == NOW + timedelta(seconds=2)
    assert b.next_attempt(NOW, 6, deadline, rand=lambda: 1.0) == deadline  # a last attempt at the deadline
    assert b.next_attempt(deadline, 7, deadline) is None


def test_a_certificate_goes_to_the_target_of_its_country_else_the_default():
    targets = [{"name": "be", "country": None, "enabled": True}, {"name": "ie", "country": "IRL", "enabled": False}]
    assert choose_target(targets, "IRL")["name"] == "ie"  # disabled: its deliveries wait
    assert choose_target(targets, "NL")["name"] == "be"
    assert choose_target(targets[1:], "NL") is None
    assert target_problems({"endpoint": "http://x", "profile": "wsdl", "wsdl": None}) == [
        {"field": "endpoint", "message": "an https:// URL (mutual TLS)"},
        {"field": "wsdl", "message": "the WSDL URL (or file) is required by the wsdl profile"}]
    outside = target_problems({"endpoint": "https://nap", "client_cert": "/etc/ecoc/keys/ACME.key.pem",
                               "client_key": "../keys/ACME.key.pem", "ca_cert": "sub/ca.pem"})
    assert [p["field"] for p in outside] == ["client_cert", "client_key"]


DELIVERY = {"id": "d", "vin": "V", "reference_id": "r", "version_number": 1, "target_name": "t", "attempts": 2,
            "owner": "sam", "deadline_at": NOW + timedelta(seconds=60)}


@pytest.mark.parametrize("outcome, state, event", [
    (Outcome("accepted", receipt_id="R"), "accepted", "delivery_accepted"),
    (Outcome("accepted", receipt_id="R", duplicate=True), "accepted", "delivery_accepted"),
    (Outcome("rejected", errors=[{"code": "X", "path": None, "message": "no"}]), "rejected", "delivery_rejected"),
    (Outcome("transient", detail="HTTP 503"), "queued", None),
])
def test_an_answer_moves_the_delivery(outcome, state, event):
    step = after_attempt(DELIVERY, Sent(outcome, 200, 12.5), NOW, Backoff(1, 4, 60), rand=lambda: 1.0)
    assert (step.values["state"], step.event) == (state, event)
    assert step.attempt["outcome"] == outcome.kind and step.attempt["latency_ms"] == 12.5
    if state == "queued":
        assert step.values["next_attempt_at"] == NOW + timedelta(seconds=2)
    if state == "rejected":
        assert step.data["owner"] == "sam" and step.data["errors"][0]["code"] == "X"


def test_a_transient_answer_after_the_deadline_fails_the_delivery():
    late = dict(DELIVERY, deadline_at=NOW)
    step = after_attempt(late, Sent(Outcome("transient", detail="timeout"), None, 1.0), NOW, Backoff())
    assert (step.values["state"], step.event, step.data["last_error"]) == ("failed", "delivery_failed", "timeout")


def test_the_envelope_carries_the_sealed_bytes_without_declaration_and_a_duplicate_rejection_counts_as_accepted():
    sealed = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
              b'<InitialVehicleInformation xmlns="urn:x">a</InitialVehicleInformation>')
    assert message_bytes(sealed) == sealed.split(b"\n", 1)[1]
    assert message_bytes(sealed) in envelope(sealed)
    duplicate = submit_response("REJECTED", "R1", [{"code": "DUPLICATE", "path": "", "message": "seen"}])
    assert judge(200, duplicate).kind == "accepted"
    assert judge(200, submit_response("REJECTED", "R2", [{"code": "SCHEMA", "path": "x", "message": "m"}])).kind == \
        "rejected"
