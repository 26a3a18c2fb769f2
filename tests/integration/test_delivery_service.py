"""The delivery service in a real nameko container on real RabbitMQ and PostgreSQL, sending to the NAP simulator
over mutual TLS. Only the signing service is replaced: `for_delivery` hands out messages sealed in process by the
signing service's own code (`tests.sealed_messages`), which the simulator checks against the official schema and
the trusted seal.
"""
import hashlib
import time
import uuid
from types import SimpleNamespace

import pytest
from nameko.testing.services import replace_dependencies
from sqlalchemy import create_engine, text

from cli.nap_sim import pki
from cli.nap_sim.faults import FaultPlan
from cli.nap_sim.nap import Nap, TrustedSeals
from cli.nap_sim.server import start_in_thread
from common.contracts.events import (
    CERTIFICATE_SIGNED, DELIVERY_ACCEPTED, DELIVERY_FAILED, DELIVERY_QUEUED, DELIVERY_REJECTED,
    DELIVERY_TARGET_CHANGED,
)
from common.errors import Conflict, Forbidden, InvalidInput, NotFound
from common.outbox import Outbox
from services.delivery.delivery_metrics import deliveries_by_state
from services.delivery.service import DeliveryService
from services.delivery.transport import Transports
from tests import sealed_messages as messages

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not messages.available(), reason="the official IVI 2.0 schema is not at hand")]

ENTITY = "ACME"
ADMIN = ("ada", ["admin"], [ENTITY])
STEWARD = ("stella", ["data_steward"], [ENTITY])
OUTSIDER = ("otto", ["data_steward"], ["OTHER"])
WAIT = 60


class Certificates:
    """What the replaced signing service holds: sealed messages by reference id, the current one per VIN."""

    def __init__(self):
        self.by_reference = {}
        self.current = {}

    def seal(self, vin, version=1, entity=ENTITY):
        document, reference_id, _ = messages.sealed(vin, version)

        item = {"summary": {"reference_id": reference_id, "vin": vin, "version_number": version, "entity": entity,
                            "sha256": hashlib.sha256(document).hexdigest(), "status": "current"},
                "document": document.decode("utf-8")}
        self.by_reference[reference_id] = item
        self.current[vin] = item
        return item["summary"]

    def for_delivery(self, reference_ids=None, vins=None):
        return ([self.by_reference[r] for r in reference_ids or [] if r in self.by_reference]
                + [self.current[v] for v in vins or [] if v in self.current])


@pytest.fixture
def nap_dir(tmp_path):
    pki.ensure_client(tmp_path, ENTITY)
    (tmp_path / "trusted.pem").write_bytes(messages.sealed("VNKKTUD3X0A000000")[2])
    return tmp_path


@pytest.fixture
def faults():
    return FaultPlan(reject_vin="^VNKKTUD3X0A00009", transient_vin="^VNKKTUD3X0A00008")


@pytest.fixture
def nap(nap_dir, faults):
    sim = Nap(messages.validator(), TrustedSeals([nap_dir / "trusted.pem"]), faults=faults)
    server, _ = start_in_thread(sim, nap_dir)
    yield server
    server.shutdown()


@pytest.fixture
def db_url(service_db):
    return service_db("delivery")


@pytest.fixture
def certificates():
    return Certificates()


@pytest.fixture
def delivery(container_factory, service_config, db_url, nap_dir, certificates):
    container = container_factory(DeliveryService, service_config(
        "delivery", db_url, DELIVERY_CREDENTIALS_DIR=str(nap_dir), DELIVERY_RETRY_FOR=3, DELIVERY_BACKOFF_BASE=0.2,
        DELIVERY_BACKOFF_MAX=0.5))
    signing = replace_dependencies(container, "signing")
    signing.for_delivery.side_effect = certificates.for_delivery
    container.start()
    yield container
    container.stop()


@pytest.fixture
def rpc(delivery, call, as_user):
    def invoke(method, *args, user=ADMIN, **kwargs):
        return call(delivery, method, *args, context_data=as_user(*user), **kwargs)

    return invoke


def target_body(nap, **changes):
    return dict({"endpoint": nap.endpoint, "client_cert": f"client-{ENTITY}.pem", "client_key": f"client-{ENTITY}.key",
                 "ca_cert": "ca.pem", "timeout_seconds": 10, "concurrency": 3}, **changes)


def wait_for(check, what):
    """Poll until `check()` is truthy (the deadline only stops a test that would otherwise hang)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def signed_event(summaries, actor="sam"):
    return Outbox("signing", None).envelope(
        CERTIFICATE_SIGNED, {"release_id": str(uuid.uuid4()), "certificates": summaries},
        subject=summaries[0]["vin"], subjects=[s["vin"] for s in summaries], entity=ENTITY, actor=actor)


def states(db_rows, db_url):
    return {(r["vin"], r["version_number"]): r["state"] for r in db_rows(
        db_url, "SELECT vin, version_number, state FROM deliveries")}


def test_targets_are_checked_scoped_and_audited(rpc, nap, db_url, outbox_rows):
    with pytest.raises(InvalidInput) as bad:
        rpc("put_target", ENTITY, "be", target_body(nap, endpoint="http://nap.example", concurrency=0, extra=1))
    assert {e["field"] for e in bad.value.errors} == {"concurrency", "extra"}
    with pytest.raises(InvalidInput) as plain:
        rpc("put_target", ENTITY, "be", target_body(nap, endpoint="http://nap.example"))
    assert [e["field"] for e in plain.value.errors] == ["endpoint"]
    with pytest.raises(Forbidden):
        rpc("put_target", ENTITY, "be", target_body(nap), user=STEWARD)
    with pytest.raises(NotFound):
        rpc("put_target", "OTHER", "be", target_body(nap))

    saved = rpc("put_target", ENTITY, "be", target_body(nap))
    assert (saved["revision"], saved["profile"], saved["country"], saved["auto_deliver"]) == (
        1, "soap11-embedded", None, True)
    assert rpc("put_target", ENTITY, "be", target_body(nap, concurrency=5))["revision"] == 2
    with pytest.raises(Conflict):  # a second default target
        rpc("put_target", ENTITY, "other", target_body(nap))
    rpc("put_target", ENTITY, "ie", target_body(nap, country="IRL"))
    assert [t["name"] for t in rpc("targets", user=STEWARD)] == ["be", "ie"]
    assert rpc("targets", user=OUTSIDER) == []
    with pytest.raises(NotFound):
        rpc("target", ENTITY, "be", user=OUTSIDER)
    changes = outbox_rows(db_url, DELIVERY_TARGET_CHANGED)
    assert [(e["subject"], e["actor"], e["data"]["revision"]) for e in changes] == [
        ("ACME/be", "ada", 1), ("ACME/be", "ada", 2), ("ACME/ie", "ada", 1)]


def test_released_certificates_are_delivered_once_in_order_and_every_attempt_is_kept(
        rpc, nap, db_url, db_rows, outbox_rows, publish_event, certificates):
    rpc("put_target", ENTITY, "be", target_body(nap))
    first = [certificates.seal(f"VNKKTUD3X0A00001{i}") for i in range(3)]
    corrected = certificates.seal("VNKKTUD3X0A000010", version=2)
    event = signed_event(first + [corrected])
    publish_event(event)
    publish_event(event)  # a redelivered event queues nothing twice

    wait_for(lambda: set(states(db_rows, db_url).values()) == {"accepted"} and len(states(db_rows, db_url)) == 4,
             "four accepted deliveries")
    received = nap.nap.listing()
    assert sorted((r["vin"], r["version_number"]) for r in received) == sorted(states(db_rows, db_url))
    order = [r["version_number"] for r in received if r["vin"] == "VNKKTUD3X0A000010"]
    assert order == [1, 2]  # version 2 never before version 1
    assert all(r["status"] == "ACCEPTED" and r["client"] == ENTITY for r in received)

    [queued] = outbox_rows(db_url, DELIVERY_QUEUED)
    assert (queued["actor"], queued["data"]["trigger"], len(queued["data"]["deliveries"])) == ("sam", "auto", 4)
    accepted = outbox_rows(db_url, DELIVERY_ACCEPTED)
    assert sorted(e["subject"] for e in accepted) == sorted(s["vin"] for s in first + [corrected])
    assert {e["data"]["receipt_id"] for e in accepted} == {r["receipt_id"] for r in received}

    history = rpc("of_vehicle", "VNKKTUD3X0A000010", user=STEWARD)
    assert [(d["version_number"], d["state"], d["attempts"]) for d in history] == [(1, "accepted", 1),
                                                                                    (2, "accepted", 1)]
    [attempt] = history[0]["attempt_log"]
    assert (attempt["outcome"], attempt["http_status"], attempt["receipt_id"]) == (
        "accepted", 200, history[0]["receipt_id"])
    assert rpc("of_vehicle", "VNKKTUD3X0A000010", user=OUTSIDER) == []
    page = rpc("list", state="accepted", limit=3, user=STEWARD)
    rest = rpc("list", state="accepted", limit=3, cursor=page["next_cursor"], user=STEWARD)
    assert len(page["items"]) == 3 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    with pytest.raises(InvalidInput):
        rpc("list", cursor="nonsense", user=STEWARD)


def test_a_rejection_is_kept_with_codes_and_owner_and_a_correction_is_then_delivered(
        rpc, nap, db_url, db_rows, outbox_rows, publish_event, certificates, delivery):
    rpc("put_target", ENTITY, "be", target_body(nap))
    publish_event(signed_event([certificates.seal("VNKKTUD3X0A000090")]))
    wait_for(lambda: states(db_rows, db_url).get(("VNKKTUD3X0A000090", 1)) == "rejected", "the rejection")
    [rejected] = outbox_rows(db_url, DELIVERY_REJECTED)
    assert rejected["data"]["owner"] == "sam"
    assert [e["code"] for e in rejected["data"]["errors"]] == ["INJECTED"]
    [shown] = rpc("of_vehicle", "VNKKTUD3X0A000090", user=STEWARD)
    assert (shown["state"], shown["owner"], shown["errors"][0]["code"]) == ("rejected", "sam", "INJECTED")
    [exception] = rpc("exceptions", user=STEWARD)
    assert (exception["vin"], exception["state"]) == ("VNKKTUD3X0A000090", "rejected")
    assert rpc("exceptions", user=OUTSIDER) == []
    metrics = {f.name: {tuple(s.labels.values()): s.value for s in f.samples}
               for f in deliveries_by_state(SimpleNamespace(container=delivery))}
    assert metrics["ecoc_delivery_exceptions"] == {(ENTITY, "rejected"): 1}  # what EcocDeliveryFailed watches

    # the fault plan rejects every version of this VIN: the correction is delivered to the NAP and judged
    summary = certificates.seal("VNKKTUD3X0A000090", version=2)
    result = rpc("deliver", ["VNKKTUD3X0A000090", "VNKKTUD3X0A099999"], user=STEWARD)
    assert [(q["vin"], q["version_number"], q["trigger"]) for q in result["queued"]] == [
        ("VNKKTUD3X0A000090", 2, "manual")]
    assert result["skipped"] == [{"vin": "VNKKTUD3X0A099999", "reason": "no current certificate"}]
    wait_for(lambda: states(db_rows, db_url).get(("VNKKTUD3X0A000090", 2)) == "rejected", "the correction judged")
    assert [r["version_number"] for r in nap.nap.listing("VNKKTUD3X0A000090")] == [1, 2]
    assert summary["reference_id"] == nap.nap.listing("VNKKTUD3X0A000090")[1]["reference_id"]


def test_transient_failures_are_retried_with_back_off_then_failed_and_redeliverable(
        rpc, nap, db_url, db_rows, outbox_rows, publish_event, certificates):
    rpc("put_target", ENTITY, "be", target_body(nap))
    publish_event(signed_event([certificates.seal("VNKKTUD3X0A000080")]))
    wait_for(lambda: states(db_rows, db_url).get(("VNKKTUD3X0A000080", 1)) == "failed", "the failure")
    [failed] = outbox_rows(db_url, DELIVERY_FAILED)
    assert failed["data"]["attempts"] >= 2 and "503" in failed["data"]["last_error"]
    [shown] = rpc("of_vehicle", "VNKKTUD3X0A000080", user=STEWARD)
    assert [a["outcome"] for a in shown["attempt_log"]] == ["transient"] * shown["attempts"]
    started = [a["started_at"] for a in shown["attempt_log"]]
    assert started == sorted(started)

    with pytest.raises(NotFound):
        rpc("redeliver", shown["id"], user=OUTSIDER)
    again = rpc("redeliver", shown["id"], user=STEWARD)
    assert (again["trigger"], again["sha256"], again["state"]) == ("redelivery", shown["sha256"], "queued")
    with pytest.raises(Conflict):
        rpc("redeliver", shown["id"], user=STEWARD)


def test_a_delivery_left_sending_by_a_crashed_process_is_sent_again_and_accepted_once(
        rpc, nap, nap_dir, db_url, db_rows, certificates):
    """The sender died after the NAP accepted but before the answer was stored: the lease lapses, the same
    bytes go again, the NAP answers "duplicate" and the delivery ends accepted with the first receipt."""
    target = rpc("put_target", ENTITY, "be", target_body(nap, enabled=False))
    summary = certificates.seal("VNKKTUD3X0A000070")
    queued = rpc("deliver", ["VNKKTUD3X0A000070"], user=STEWARD)["queued"][0]
    document = certificates.by_reference[summary["reference_id"]]["document"].encode()
    first = Transports(str(nap_dir)).send(dict(target, id="direct"), document)
    assert first.outcome.kind == "accepted"
    engine = create_engine(db_url)
    with engine.begin() as conn:  # what the crashed sender left behind: taken, attempt 1 open, lease lapsed
        conn.execute(text("UPDATE deliveries SET state = 'sending', attempts = 1, "
                          "lease_until = now() - interval '1 second' WHERE id = :id"), {"id": queued["id"]})
        conn.execute(text("INSERT INTO attempts (delivery_id, number, started_at) VALUES (:id, 1, now())"),
                     {"id": queued["id"]})
    engine.dispose()
    rpc("put_target", ENTITY, "be", target_body(nap))  # enabled again
    wait_for(lambda: states(db_rows, db_url).get(("VNKKTUD3X0A000070", 1)) == "accepted", "the resend")
    [shown] = rpc("of_vehicle", "VNKKTUD3X0A000070", user=STEWARD)
    assert [a["outcome"] for a in shown["attempt_log"]] == ["interrupted", "accepted"]
    assert shown["attempt_log"][1]["detail"].startswith("duplicate")
    assert shown["receipt_id"] == first.outcome.receipt_id
    assert [r["status"] for r in nap.nap.listing("VNKKTUD3X0A000070")] == ["ACCEPTED", "ACCEPTED"]
    assert [r["duplicate"] for r in nap.nap.listing("VNKKTUD3X0A000070")] == [False, True]


def test_a_certificate_goes_to_the_target_of_its_intended_country_and_only_automatically_when_that_target_does(
        rpc, nap, db_url, db_rows, outbox_rows, publish_event, certificates):
    rpc("put_target", ENTITY, "default", target_body(nap))
    rpc("put_target", ENTITY, "nl", target_body(nap, country="NL", auto_deliver=False))
    publish_event(signed_event([certificates.seal("VNKKTUD3X0A000060")]))  # intended for NL (the sample's)
    publish_event(signed_event([certificates.seal("VNKKTUD3X0A000061")]))
    # both events handled (each in the transaction that would have queued its delivery): nothing was queued
    wait_for(lambda: len(db_rows(db_url, "SELECT 1 FROM inbox")) == 2, "both events handled")
    assert db_rows(db_url, "SELECT count(*) AS n FROM deliveries")[0]["n"] == 0
    queued = rpc("deliver", ["VNKKTUD3X0A000060"], user=STEWARD)["queued"]
    assert [(q["vin"], q["target_name"]) for q in queued] == [("VNKKTUD3X0A000060", "nl")]
    wait_for(lambda: states(db_rows, db_url).get(("VNKKTUD3X0A000060", 1)) == "accepted", "the manual delivery")
