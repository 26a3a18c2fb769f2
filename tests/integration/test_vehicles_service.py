"""The vehicles service in a real nameko container on real RabbitMQ and PostgreSQL.

The other services' part is played by real event envelopes (built with `common.outbox.Outbox`, as the
validation and signing services build them) published to their events exchanges.
"""
import copy
import uuid

import pytest
from nameko.testing.services import entrypoint_waiter

from cli import demo_data
from common.contracts.events import (
    CERTIFICATE_FAILED, CERTIFICATE_SIGNED, RELEASE_APPROVED, RELEASE_COMPLETED, RELEASE_REJECTED,
    RELEASE_REQUESTED, RELEASE_SIGN_REQUESTED, VALIDATION_COMPLETED, VEHICLE_CHANGED, VEHICLE_STATUS_CHANGED,
)
from common.errors import Conflict, FourEyes, InvalidInput, NotFound
from common.outbox import Outbox
from services.signing.models import outbox as signing_outbox
from services.validation.models import outbox as validation_outbox
from services.vehicles.service import VehiclesService

pytestmark = pytest.mark.integration

ENTITY = demo_data.ENTITY
OTHER = "OTHERCO"
ALICE = ("alice", ["data_steward"], [ENTITY])  # imports, so she is the last editor
BOB = ("bob", ["data_steward"], [ENTITY])
RITA = ("rita", ["reviewer"], [ENTITY])
SAM = ("sam", ["signer"], [ENTITY])
ADMIN = ("ada", ["admin"], ["*"])
WAIT = 15
EVENT_FIELDS = {"vin", "revision", "entity", "approval_number", "type", "variant", "version", "production_date",
                "intended_country", "coc"}


@pytest.fixture
def db_url(service_db):
    return service_db("vehicles")


@pytest.fixture
def vehicles(container_factory, service_config, db_url):
    container = container_factory(VehiclesService, service_config("vehicles", db_url))
    container.start()
    yield container
    container.stop()


@pytest.fixture
def rpc(vehicles, call, as_user):
    """`rpc(method, *args, user=ALICE)`: call the vehicles service as that user."""

    def invoke(method, *args, user=ALICE, **kwargs):
        return call(vehicles, method, *args, context_data=as_user(*user), **kwargs)

    return invoke


@pytest.fixture
def deliver(vehicles, publish_event):
    """`deliver(envelope, handler)`: publish the event and wait until that handler has run for it."""

    def send(envelope, handler):
        def this_event(worker_ctx, result, exc_info):
            return worker_ctx.args[0]["event_id"] == envelope["event_id"]

        with entrypoint_waiter(vehicles, handler, timeout=WAIT, callback=this_event) as waited:
            publish_event(envelope)
        waited.get()  # re-raises if the handler failed
        return envelope

    return send


@pytest.fixture
def validate(deliver):
    """`validate({vin: status}, revision=1, findings=None)`: the validation service's verdict, as its event."""

    def judge(verdicts, revision=1, findings=None, envelope=None):
        results = [{"vin": vin, "revision": revision, "status": status,
                    "findings": (findings or {}).get(vin, [])} for vin, status in verdicts.items()]
        envelope = envelope or validation_completed(results)
        return deliver(envelope, "on_validation_completed")

    return judge


def validation_completed(results, entity=ENTITY):
    vins = [r["vin"] for r in results]
    return Outbox("validation", validation_outbox).envelope(
        VALIDATION_COMPLETED, {"results": results}, subject=vins[0], subjects=vins, entity=entity,
        actor=None)


def signing_event(event_type, data, vins):
    return Outbox("signing", signing_outbox).envelope(event_type, data, subject=vins[0], subjects=vins,
                                                      entity=ENTITY, actor="sam")


def finding(rule="VIN-002"):
    return {"rule": rule, "severity": "error", "path": "VehicleIdentificationNumber",
            "message": "The VIN contains the letter O", "expected": "no I, O or Q", "found": "x"}


def status_of(db_rows, db_url, vins):
    rows = db_rows(db_url, "SELECT vin, status FROM vehicles WHERE vin = ANY(:v)", v=list(vins))
    return {r["vin"]: r["status"] for r in rows}


@pytest.fixture
def ready(rpc, validate):
    """`ready(n)`: n demo vehicles imported by alice and judged valid; returns their VINs."""

    def make(count=3, seed=2026):
        batch = demo_data.vehicles(count, seed=seed)
        assert rpc("import_vehicles", {"vehicles": batch})["accepted"] == count
        vins = [v["vin"] for v in batch]
        validate({vin: "valid" for vin in vins})
        return vins

    return make


@pytest.fixture
def approved(ready, rpc):
    """A release of three valid vehicles, requested by bob and approved by rita."""
    vins = ready(3)
    release = rpc("request_release", {"vins": vins, "note": "week 45"}, user=BOB)
    rpc("approve_release", release["id"], user=RITA)
    return release["id"], vins


# -- import ---------------------------------------------------------------------------------------------

def test_import_accounts_for_every_row_and_records_revisions(rpc, db_url, db_rows, outbox_rows):
    batch = demo_data.vehicles(3)
    invalid = {k: v for k, v in copy.deepcopy(batch[0]).items() if k != "production_date"}
    invalid["vin"] = "NWAO123456789012"  # an O, and 16 characters
    result = rpc("import_vehicles", {"vehicles": batch + [invalid]})

    assert result["accepted"] == 3 and result["unchanged"] == 0
    [rejected] = result["rejected"]
    assert rejected["index"] == 3 and rejected["vin"] == "NWAO123456789012"
    assert {e["field"] for e in rejected["errors"]} == {"vin", "production_date"}

    stored = db_rows(db_url, "SELECT vin, status, revision, last_editor, coc FROM vehicles ORDER BY vin")
    assert [(r["vin"], r["status"], r["revision"], r["last_editor"]) for r in stored] == [
        (v["vin"], "draft", 1, "alice") for v in batch]
    assert [r["coc"] for r in stored] == [v["coc"] for v in batch]

    [event] = outbox_rows(db_url, VEHICLE_CHANGED)
    assert event["source"] == "vehicles" and event["entity"] == ENTITY and event["actor"] == "alice"
    assert event["subjects"] == [v["vin"] for v in batch]
    sent = event["data"]["vehicles"]
    assert all(set(v) == EVENT_FIELDS for v in sent)
    assert [(v["vin"], v["revision"], v["coc"], v["production_date"]) for v in sent] == [
        (v["vin"], 1, v["coc"], v["production_date"]) for v in batch]

    [first] = rpc("history", batch[0]["vin"])
    assert (first["revision"], first["actor"], first["reason"]) == (1, "alice", "import")
    assert {c["path"] for c in first["diff"]} == {"approval_number", "coc", "entity", "intended_country",
                                                   "production_date", "type", "variant", "version"}
    assert all(c["old"] is None for c in first["diff"])

    # the same data again: every row unchanged, no revision, no event
    assert rpc("import_vehicles", {"vehicles": batch}) == {"accepted": 0, "unchanged": 3, "rejected": []}
    assert len(outbox_rows(db_url, VEHICLE_CHANGED)) == 1
    assert len(db_rows(db_url, "SELECT id FROM vehicle_revisions")) == 3


def test_a_changed_row_becomes_revision_two_with_its_diff(rpc, outbox_rows, db_url):
    batch = demo_data.vehicles(2)
    rpc("import_vehicles", {"vehicles": batch})
    changed = copy.deepcopy(batch[1])
    old_mass = changed["coc"]["MassGroup"]["ActualMass"]
    changed["coc"]["MassGroup"]["ActualMass"] = old_mass + 5
    result = rpc("import_vehicles", {"vehicles": [batch[0], changed]}, reason="scale recalibrated", user=BOB)
    assert (result["accepted"], result["unchanged"]) == (1, 1)

    history = rpc("history", changed["vin"])
    assert [h["revision"] for h in history] == [1, 2]
    assert (history[1]["actor"], history[1]["reason"]) == ("bob", "scale recalibrated")
    assert history[1]["diff"] == [{"path": "coc.MassGroup.ActualMass", "old": old_mass, "new": old_mass + 5}]
    assert rpc("get", changed["vin"])["last_editor"] == "bob"
    last = outbox_rows(db_url, VEHICLE_CHANGED)[-1]
    assert [(v["vin"], v["revision"]) for v in last["data"]["vehicles"]] == [(changed["vin"], 2)]


def test_a_scoped_user_cannot_import_for_another_entity(rpc, db_url, db_rows):
    [row] = demo_data.vehicles(1, seed=7)
    result = rpc("import_vehicles", {"vehicles": [dict(row, entity=OTHER)]})
    assert result["accepted"] == 0
    assert result["rejected"] == [{"index": 0, "vin": row["vin"], "errors": [
        {"field": "entity", "message": f"you may not act for entity {OTHER}"}]}]
    assert db_rows(db_url, "SELECT vin FROM vehicles") == []


# -- validation results ---------------------------------------------------------------------------------

def test_validation_completed_moves_vehicles_to_valid_or_blocked(rpc, validate, db_url, db_rows, outbox_rows):
    vins = [v["vin"] for v in demo_data.vehicles(3)]
    rpc("import_vehicles", {"vehicles": demo_data.vehicles(3)})
    validate({vins[0]: "valid", vins[1]: "blocked", vins[2]: "valid"}, findings={vins[1]: [finding()]})

    assert status_of(db_rows, db_url, vins) == {vins[0]: "valid", vins[1]: "blocked", vins[2]: "valid"}
    blocked = rpc("get", vins[1])
    assert blocked["findings"] == [finding()] and blocked["revision"] == 1
    assert rpc("get", vins[0])["findings"] == []
    events = outbox_rows(db_url, VEHICLE_STATUS_CHANGED)
    assert sorted((v["vin"], v["status"]) for e in events for v in e["data"]["vehicles"]) == sorted(
        [(vins[0], "valid"), (vins[1], "blocked"), (vins[2], "valid")])
    assert {e["entity"] for e in events} == {ENTITY}


def test_a_result_for_an_older_revision_is_ignored(rpc, validate, db_url, db_rows):
    batch = demo_data.vehicles(2)
    rpc("import_vehicles", {"vehicles": batch})
    changed = copy.deepcopy(batch[0])
    changed["coc"]["ColourTable"] = [{"Colour": "2"}]
    rpc("import_vehicles", {"vehicles": [changed]})  # now revision 2, judged by nobody yet

    validate({batch[0]["vin"]: "valid", batch[1]["vin"]: "valid"}, revision=1)
    assert status_of(db_rows, db_url, [v["vin"] for v in batch]) == {batch[0]["vin"]: "draft",
                                                                      batch[1]["vin"]: "valid"}
    validate({batch[0]["vin"]: "blocked"}, revision=2, findings={batch[0]["vin"]: [finding("IVI-001")]})
    assert rpc("get", batch[0]["vin"])["status"] == "blocked"


def test_a_redelivered_validation_event_is_ignored(rpc, validate, db_url, db_rows, outbox_rows):
    [vehicle] = demo_data.vehicles(1)
    vin = vehicle["vin"]
    rpc("import_vehicles", {"vehicles": [vehicle]})
    first = validate({vin: "blocked"}, findings={vin: [finding()]})
    second = validate({vin: "valid"})
    assert rpc("get", vin)["status"] == "valid"
    events_before = len(outbox_rows(db_url))

    validate({}, envelope=first)  # the first verdict delivered again: already handled
    after = rpc("get", vin)
    assert (after["status"], after["findings"]) == ("valid", [])
    assert len(outbox_rows(db_url)) == events_before
    assert {r["event_id"] for r in db_rows(db_url, "SELECT event_id FROM inbox")} == {
        first["event_id"], second["event_id"]}


# -- releases -------------------------------------------------------------------------------------------

def test_only_valid_vehicles_of_the_callers_entity_enter_a_release(rpc, validate, ready, db_url, db_rows,
                                                                    outbox_rows):
    vins = ready(2)
    extra = demo_data.vehicles(2, seed=11)
    rpc("import_vehicles", {"vehicles": extra})
    validate({extra[0]["vin"]: "blocked"}, findings={extra[0]["vin"]: [finding()]})  # extra[1] stays draft
    [foreign] = demo_data.vehicles(1, seed=12)
    rpc("import_vehicles", {"vehicles": [dict(foreign, entity=OTHER)]}, user=ADMIN)
    validate({foreign["vin"]: "valid"}, envelope=validation_completed(
        [{"vin": foreign["vin"], "revision": 1, "status": "valid", "findings": []}], entity=OTHER))
    unknown = "NWA00000000000000"

    asked = [vins[0], extra[0]["vin"], extra[1]["vin"], foreign["vin"], unknown, vins[1], vins[0]]
    release = rpc("request_release", {"vins": asked, "note": "week 45"}, user=BOB)

    assert release["status"] == "in_review" and release["entity"] == ENTITY and release["accepted"] == 2
    assert release["rejected"] == [
        {"vin": extra[0]["vin"], "reason": "vehicle is blocked, only valid vehicles enter"},
        {"vin": extra[1]["vin"], "reason": "vehicle is draft, only valid vehicles enter"},
        {"vin": foreign["vin"], "reason": "no such vehicle"},
        {"vin": unknown, "reason": "no such vehicle"},
        {"vin": vins[0], "reason": "listed twice"},
    ]
    rows = db_rows(db_url, "SELECT vin, status, release_id::text AS release_id FROM vehicles "
                           "WHERE release_id IS NOT NULL")
    assert {(r["vin"], r["status"], r["release_id"]) for r in rows} == {
        (vins[0], "in_review", release["id"]), (vins[1], "in_review", release["id"])}
    assert status_of(db_rows, db_url, [foreign["vin"]]) == {foreign["vin"]: "valid"}

    stored = rpc("get_release", release["id"], user=RITA)
    assert (stored["requested_by"], stored["note"], stored["counts"]) == ("bob", "week 45", {"in_review": 2})
    [event] = outbox_rows(db_url, RELEASE_REQUESTED)
    assert event["subject"] == release["id"] and event["subjects"] == [release["id"], vins[0], vins[1]]
    assert event["data"] == {"release_id": release["id"], "vins": [vins[0], vins[1]], "note": "week 45"}
    assert outbox_rows(db_url, VEHICLE_STATUS_CHANGED)[-1]["data"]["vehicles"] == [
        {"vin": vins[0], "status": "in_review"}, {"vin": vins[1], "status": "in_review"}]

    # another entity's vehicle and release do not exist for a user scoped to NORDWIND
    with pytest.raises(NotFound):
        rpc("get", foreign["vin"], user=BOB)
    assert rpc("get", foreign["vin"], user=ADMIN)["entity"] == OTHER
    with pytest.raises(NotFound):
        rpc("get_release", release["id"], user=("olga", ["viewer"], [OTHER]))


def test_a_release_nobody_can_enter_is_invalid_input(rpc, db_url, db_rows):
    batch = demo_data.vehicles(1)
    rpc("import_vehicles", {"vehicles": batch})  # still draft
    with pytest.raises(InvalidInput) as caught:
        rpc("request_release", {"vins": [batch[0]["vin"]]})
    assert caught.value.errors == [{"field": "vins[0]", "message": "vehicle is draft, only valid vehicles enter"}]
    assert db_rows(db_url, "SELECT id FROM releases") == []


def test_four_eyes_on_approval(rpc, ready, db_url, db_rows, outbox_rows):
    vins = ready(3)
    release = rpc("request_release", {"vins": vins}, user=BOB)

    with pytest.raises(FourEyes, match="requested"):
        rpc("approve_release", release["id"], user=BOB)
    with pytest.raises(FourEyes, match="last edited") as caught:
        rpc("approve_release", release["id"], user=("alice", ["reviewer"], [ENTITY]))
    assert vins[0] in str(caught.value)
    assert rpc("get_release", release["id"])["status"] == "in_review"

    approved = rpc("approve_release", release["id"], user=RITA)
    assert approved["status"] == "approved" and approved["reviewed_by"] == "rita"
    assert approved["counts"] == {"approved": 3}
    assert set(status_of(db_rows, db_url, vins).values()) == {"approved"}
    [event] = outbox_rows(db_url, RELEASE_APPROVED)
    assert event["actor"] == "rita" and event["data"] == {"release_id": release["id"], "vins": sorted(vins)}
    with pytest.raises(Conflict):
        rpc("approve_release", release["id"], user=("rob", ["reviewer"], [ENTITY]))


def test_a_rejected_release_returns_its_vehicles_to_valid(rpc, ready, db_url, db_rows, outbox_rows):
    vins = ready(2)
    release = rpc("request_release", {"vins": vins}, user=BOB)
    with pytest.raises(FourEyes):
        rpc("reject_release", release["id"], {"reason": "mass looks wrong"}, user=BOB)
    with pytest.raises(InvalidInput) as caught:
        rpc("reject_release", release["id"], {}, user=RITA)
    assert {e["field"] for e in caught.value.errors} == {"reason"}

    rejected = rpc("reject_release", release["id"], {"reason": "mass looks wrong"}, user=RITA)
    assert (rejected["status"], rejected["rejection_reason"], rejected["counts"]) == (
        "rejected", "mass looks wrong", {"rejected": 2})
    rows = db_rows(db_url, "SELECT status, release_id FROM vehicles")
    assert rows == [{"status": "valid", "release_id": None}] * 2
    [event] = outbox_rows(db_url, RELEASE_REJECTED)
    assert event["data"]["reason"] == "mass looks wrong" and sorted(event["data"]["vins"]) == sorted(vins)
    # valid again: they may enter the next release
    assert rpc("request_release", {"vins": vins}, user=BOB)["accepted"] == 2


def test_the_last_editor_may_not_reject_either(rpc, ready):
    vins = ready(1)
    release = rpc("request_release", {"vins": vins}, user=BOB)
    with pytest.raises(FourEyes, match="last edited"):  # alice imported the vehicle
        rpc("reject_release", release["id"], {"reason": "colour code unclear"}, user=("alice", ["reviewer"], [ENTITY]))
    assert rpc("get_release", release["id"])["status"] == "in_review"


def test_sign_release_hands_the_vehicles_to_signing(rpc, approved, db_url, outbox_rows):
    release_id, vins = approved
    with pytest.raises(InvalidInput) as caught:
        rpc("sign_release", release_id, {"sub": "sam", "name": "SAM DE VRIES"}, user=SAM)
    assert {e["field"] for e in caught.value.errors} == {"signatory.position", "signatory.location"}

    signing = rpc("sign_release", release_id, demo_data.SIGNATORY, user=SAM)
    assert signing["status"] == "signing" and signing["signer"] == "sam"
    assert signing["counts"] == {"signing": 3}
    assert set(status_of_api(rpc, vins)) == {"approved"}  # released only when the certificate is signed

    [event] = outbox_rows(db_url, RELEASE_SIGN_REQUESTED)
    assert event["entity"] == ENTITY and event["actor"] == "sam" and event["subjects"] == sorted(vins)
    data = event["data"]
    assert data["release_id"] == release_id and data["signatory"] == demo_data.SIGNATORY
    batch = {v["vin"]: v for v in demo_data.vehicles(3)}
    assert [(v["vin"], v["revision"], v["coc"], v["approval_number"]) for v in data["vehicles"]] == [
        (vin, 1, batch[vin]["coc"], demo_data.APPROVAL_NUMBER) for vin in sorted(vins)]
    assert all(set(v) == EVENT_FIELDS for v in data["vehicles"])

    with pytest.raises(Conflict):  # already handed over
        rpc("sign_release", release_id, demo_data.SIGNATORY, user=SAM)


def status_of_api(rpc, vins):
    return [rpc("get", vin)["status"] for vin in vins]


def certificate(vin, version=1):
    return {"vin": vin, "reference_id": str(uuid.uuid4()), "version_number": version, "sha256": "ab" * 32}


def test_certificate_signed_releases_the_vehicles(rpc, approved, deliver, db_url, db_rows, outbox_rows):
    release_id, vins = approved
    rpc("sign_release", release_id, demo_data.SIGNATORY, user=SAM)
    certs = [certificate(vin) for vin in sorted(vins)]
    deliver(signing_event(CERTIFICATE_SIGNED, {"release_id": release_id, "certificates": certs}, vins),
            "on_certificate_signed")

    release = rpc("get_release", release_id)
    assert release["status"] == "released" and release["completed_at"]
    assert [(v["vin"], v["state"], v["reference_id"], v["version_number"]) for v in release["vehicles"]] == [
        (c["vin"], "released", c["reference_id"], 1) for c in certs]
    rows = db_rows(db_url, "SELECT vin, status, certificate FROM vehicles ORDER BY vin")
    assert [(r["vin"], r["status"], r["certificate"]) for r in rows] == [(c["vin"], "released", c) for c in certs]
    [completed] = outbox_rows(db_url, RELEASE_COMPLETED)
    assert completed["data"] == {"release_id": release_id, "status": "released", "released": 3, "failures": []}
    assert completed["subjects"] == [release_id, *sorted(vins)]


def test_a_failed_certificate_completes_the_release_with_failures(rpc, approved, deliver, outbox_rows,
                                                                 db_url):
    release_id, vins = approved
    vins = sorted(vins)
    rpc("sign_release", release_id, demo_data.SIGNATORY, user=SAM)
    certs = [certificate(vin) for vin in vins[:2]]
    deliver(signing_event(CERTIFICATE_SIGNED, {"release_id": release_id, "certificates": certs}, vins[:2]),
            "on_certificate_signed")
    assert rpc("get_release", release_id)["status"] == "signing"  # one VIN still open
    assert outbox_rows(db_url, RELEASE_COMPLETED) == []

    reason = "approval: production date 2026-01-01 is before the approval was issued (2026-03-02)"
    deliver(signing_event(CERTIFICATE_FAILED, {"release_id": release_id,
                                               "failures": [{"vin": vins[2], "reason": reason}]}, vins[2:]),
            "on_certificate_failed")

    release = rpc("get_release", release_id)
    assert release["status"] == "completed_with_failures"
    assert release["counts"] == {"released": 2, "failed": 1}
    assert [(v["vin"], v["state"], v["failure"]) for v in release["vehicles"]] == [
        (vins[0], "released", None), (vins[1], "released", None), (vins[2], "failed", reason)]
    assert status_of_api(rpc, vins[:2]) == ["released", "released"]
    assert status_of_api(rpc, vins[2:]) == ["valid"]  # free to enter a new release once the cause is fixed
    [completed] = outbox_rows(db_url, RELEASE_COMPLETED)
    assert completed["data"] == {"release_id": release_id, "status": "completed_with_failures", "released": 2,
                                 "failures": [{"vin": vins[2], "reason": reason}]}
