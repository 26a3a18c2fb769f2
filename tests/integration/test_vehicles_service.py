"""The vehicles service in a real nameko container on real RabbitMQ and PostgreSQL.

The other services' part is played by real event envelopes (built with `common.outbox.Outbox`, as the
validation and signing services build them) published to their events exchanges.
"""
import copy
import uuid
from datetime import date
from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_waiter, replace_dependencies

from cli import demo_data
from common.contracts.events import (
    CERTIFICATE_FAILED, CERTIFICATE_SIGNED, RELEASE_APPROVED, RELEASE_COMPLETED, RELEASE_REJECTED,
    RELEASE_ITEM_REOPENED, RELEASE_REQUESTED, RELEASE_SIGN_REQUESTED, SCOPE_CHANGED, VALIDATION_COMPLETED,
    VEHICLE_CHANGED, VEHICLE_STAGE_IMPORTED, VEHICLE_STATUS_CHANGED,
)
from common.contracts.vehicles import PreconditionFailed
from common.errors import Conflict, Forbidden, FourEyes, InvalidInput, NotFound
from common.outbox import Outbox
from services.rollout.models import outbox as rollout_outbox
from services.signing.models import outbox as signing_outbox
from services.validation.models import outbox as validation_outbox
from services.vehicles.service import VehiclesService
from tests.approvals_double import APPROVAL_ID, canned_entity, canned_resolve

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
    """The vehicles service; approvals answers for the demo approval and entity (`tests.approvals_double`)."""
    container = container_factory(VehiclesService, service_config("vehicles", db_url))
    approvals = replace_dependencies(container, "approvals")
    approvals.resolve.side_effect = canned_resolve
    approvals.get_entity.side_effect = canned_entity
    container.start()
    container.approvals = approvals
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
    """A release of three valid vehicles, requested by bob and approved by rita (sam may sign it)."""
    vins = ready(3)
    release = rpc("request_release", {"vins": vins, "note": "week 45"}, user=BOB)
    rpc("approve_release", release["id"], user=RITA)
    return release["id"], vins


# -- import ---------------------------------------------------------------------------------------------

def test_import_accounts_for_every_row_and_records_revisions(rpc, db_url, db_rows, outbox_rows):
    batch = demo_data.vehicles(3)
    invalid = dict(copy.deepcopy(batch[0]), production_date="2025-13-01")
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
    default = {"scope_id": None, "scope": "default", "mode": "live"}  # no rollout scope: the live default
    assert event["data"] == {"release_id": release["id"], "vins": [vins[0], vins[1]], "note": "week 45",
                             "rollout": [dict(default, vin=vins[0]), dict(default, vin=vins[1])]}
    assert outbox_rows(db_url, VEHICLE_STATUS_CHANGED)[-1]["data"]["vehicles"] == [
        {"vin": vins[0], "status": "in_review"}, {"vin": vins[1], "status": "in_review"}]

    # another entity's vehicle and release do not exist for a user scoped to NORDWIND
    with pytest.raises(NotFound):
        rpc("get", foreign["vin"], user=BOB)
    assert rpc("get", foreign["vin"], user=ADMIN)["entity"] == OTHER
    with pytest.raises(NotFound):
        rpc("get_release", release["id"], user=("olga", ["viewer"], [OTHER]))


def scope_changed(generation, mode, scope_id="5c0f5a8e-0000-4000-8000-000000000001"):
    scope = {"id": scope_id, "entity": ENTITY, "name": "plant", "mode": mode,
             "selector": {"vin_prefixes": [demo_data.WMI]}}
    return Outbox("rollout", rollout_outbox).envelope(
        SCOPE_CHANGED, {"entity": ENTITY, "generation": generation, "change": "updated", "scope": scope,
                        "scopes": [scope]}, subject=scope_id, entity=ENTITY, actor="ada")


def test_a_release_outside_a_live_rollout_scope_is_refused_naming_the_scope(rpc, ready, deliver):
    vins = ready(2)
    deliver(scope_changed(2, "shadow"), "on_scope_changed")
    deliver(scope_changed(1, "live"), "on_scope_changed")  # late and older: the copy keeps generation 2
    with pytest.raises(InvalidInput) as refused:
        rpc("request_release", {"vins": vins, "note": "shadow"}, user=BOB)
    assert [e["field"] for e in refused.value.errors] == ["vins[0]", "vins[1]"]
    assert "scope 'plant' (5c0f5a8e-0000-4000-8000-000000000001), which is shadow" in refused.value.errors[0]["message"]
    deliver(scope_changed(3, "live"), "on_scope_changed")
    release = rpc("request_release", {"vins": vins, "note": "live"}, user=BOB)
    assert release["accepted"] == 2
    rpc("approve_release", release["id"], user=RITA)
    deliver(scope_changed(4, "shadow"), "on_scope_changed")  # rolled back before signing: nothing is issued
    with pytest.raises(Conflict) as rolled_back:
        rpc("sign_release", release["id"], demo_data.SIGNATORY, user=SAM)
    assert sorted(e["field"] for e in rolled_back.value.errors) == sorted(f"vins.{v}" for v in vins)
    assert rpc("get_release", release["id"])["status"] == "approved"


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

    with pytest.raises(FourEyes, match="requested"):  # the requester, though holding the reviewer role too
        rpc("approve_release", release["id"], user=("bob", ["data_steward", "reviewer"], [ENTITY]))
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
        rpc("reject_release", release["id"], {"reason": "mass looks wrong"},
            user=("bob", ["data_steward", "reviewer"], [ENTITY]))
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
    assert all(set(v) == EVENT_FIELDS | {"pinned"} for v in data["vehicles"])
    items = {i["vin"]: i for i in signing["vehicles"]}
    assert all(v["pinned"] == {"approval_id": APPROVAL_ID, "approval_revision": 1,
                               "content_sha256": items[v["vin"]]["content_sha256"]} for v in data["vehicles"])

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


# -- CSV and IVI imports --------------------------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "ivi" / "samples"
CSV_HEADER = "vin,approval_number,type,variant,version,production_date,intended_country,entity,actual_mass,colour"


def csv_line(vehicle, **override):
    v = dict(vehicle, **override)
    return ",".join([v["vin"], v["approval_number"], v["type"], v["variant"], v["version"], v["production_date"],
                     v["intended_country"], v["entity"], str(v["coc"]["MassGroup"]["ActualMass"]),
                     v["coc"]["ColourTable"][0]["Colour"]])


def test_a_csv_import_accounts_for_every_row_naming_column_and_line(rpc, db_url, outbox_rows):
    batch = demo_data.vehicles(3, seed=31)
    text = "\n".join([CSV_HEADER, csv_line(batch[0]), csv_line(batch[1]).replace(",B,", ",Belgium,")
                      .replace(",NL,", ",Netherlands,").replace(",D,", ",Germany,").replace(",F,", ",France,"),
                      csv_line(batch[2]).rsplit(",", 2)[0] + ",-3,1"])
    result = rpc("import_csv", text, "week 45 production")
    assert (result["accepted"], result["unchanged"]) == (1, 0)
    assert [(r["index"], r["row"], r["vin"], [e["field"] for e in r["errors"]]) for r in result["rejected"]] == [
        (1, 3, batch[1]["vin"], ["intended_country"]), (2, 4, batch[2]["vin"], ["actual_mass"])]
    stored = rpc("get", batch[0]["vin"])
    assert stored["coc"] == batch[0]["coc"] and stored["production_date"] == batch[0]["production_date"]
    assert rpc("history", batch[0]["vin"])[0]["reason"] == "week 45 production"
    assert rpc("import_csv", "\n".join([CSV_HEADER, csv_line(batch[0])])) == {
        "accepted": 0, "unchanged": 1, "rejected": []}
    with pytest.raises(InvalidInput) as caught:
        rpc("import_csv", CSV_HEADER.replace("colour", "paint") + "\n" + csv_line(batch[0]))
    assert caught.value.errors[0]["field"] == "paint"
    assert len(outbox_rows(db_url, VEHICLE_CHANGED)) == 1


def test_a_vehicle_from_an_ivi_message_reads_back_as_its_vehicle_level_part(rpc, outbox_rows, db_url):
    from common.ivi import load_schema, read_ivi, split_levels
    from common.config import settings

    xml = (SAMPLES / "M1-05-Rav4Hybrid.xml").read_text()
    coc = read_ivi(xml.encode(), load_schema(settings().schema_path))["coc"]
    created = rpc("import_ivi", xml, {"entity": ENTITY}, user=ADMIN)
    assert created["outcome"] == "accepted" and created["revision"] == 1 and created["status"] == "draft"
    assert (created["vin"], created["approval_number"], created["type"], created["variant"], created["version"],
            created["production_date"], created["intended_country"]) == (
        "JTMM1C0MPTEST0001", "e6*2007/46*0289*09", "XA5(EU,M)", "AXAL52(N)", "AXAL52L-ANXPBW(1J)", "2024-01-18", "NL")
    vehicle_level = split_levels(coc)[1]
    assert dict(created["coc"], VehicleIdentificationNumber=created["vin"],
                DateManufactureVehicle=created["production_date"]) == vehicle_level
    assert rpc("history", created["vin"])[0]["reason"] == "imported from IVI"
    assert rpc("import_ivi", xml, {"entity": ENTITY}, user=ADMIN)["outcome"] == "unchanged"
    assert len(outbox_rows(db_url, VEHICLE_CHANGED)) == 1


def test_an_ivi_message_without_production_date_nor_country_is_a_record_without_them(rpc):
    """The L-category samples state neither (IVI 2.0 allows it): the record has none; a query value fills in
    what the message leaves out, and one that contradicts the message is named, every such value at once."""
    xml = (SAMPLES / "L1e.xml").read_text()
    created = rpc("import_ivi", xml, {"entity": ENTITY}, user=ADMIN)
    assert created["outcome"] == "accepted"
    assert (created["production_date"], created["intended_country"]) == (None, None)
    filled = rpc("import_ivi", xml, {"entity": ENTITY, "production_date": "2025-07-01", "intended_country": "NL"},
                 user=ADMIN)
    assert (filled["production_date"], filled["intended_country"], filled["revision"]) == ("2025-07-01", "NL", 2)
    stated = (SAMPLES / "M1-05-Rav4Hybrid.xml").read_text()  # says 2024-01-18 and NL
    errors = _errors(rpc, stated, {"entity": ENTITY, "production_date": "2025-07-01", "intended_country": "D"})
    assert {e["field"]: e["message"] for e in errors} == {
        "production_date": "the IVI says 2024-01-18, the query 2025-07-01",
        "intended_country": "the IVI says NL, the query D"}
    with pytest.raises(InvalidInput) as caught:
        rpc("import_ivi", "<InitialVehicleInformation/>", {"entity": ENTITY, "stage": "later"}, user=ADMIN)
    assert {e["field"] for e in caught.value.errors} == {"stage"}
    with pytest.raises(InvalidInput) as caught:
        rpc("import_ivi", "<not-closed>", {"entity": ENTITY}, user=ADMIN)
    assert "not well-formed" in caught.value.errors[0]["message"]


def _errors(rpc, *args):
    with pytest.raises(InvalidInput) as caught:
        rpc("import_ivi", *args, user=ADMIN)
    return caught.value.errors


# -- edits, corrections, withdrawal ------------------------------------------------------------------------

@pytest.fixture
def released(approved, rpc, deliver):
    """The three vehicles of `approved`, signed: released with a certificate each."""
    release_id, vins = approved
    rpc("sign_release", release_id, demo_data.SIGNATORY, user=SAM)
    certs = [certificate(vin) for vin in sorted(vins)]
    deliver(signing_event(CERTIFICATE_SIGNED, {"release_id": release_id, "certificates": certs}, vins),
            "on_certificate_signed")
    return {c["vin"]: c for c in certs}


def test_a_patch_names_the_revision_it_changes(rpc, ready, db_url, outbox_rows):
    [vin] = ready(1)
    patch = {"coc": {"MassGroup": {"ActualMass": 1999}}, "reason": "weighed again"}
    with pytest.raises(PreconditionFailed) as caught:
        rpc("update", vin, patch, 7, user=BOB)
    assert caught.value.status == 412 and caught.value.errors[0]["field"] == "If-Match"
    with pytest.raises(InvalidInput) as caught:
        rpc("update", vin, dict(patch, colour="red"), 1, user=BOB)
    assert [e["field"] for e in caught.value.errors] == ["colour"]
    with pytest.raises(InvalidInput) as caught:
        rpc("update", vin, {"coc": {"MassGroup": {"ActualMass": "heavy"}}, "reason": "x"}, 1, user=BOB)
    assert [e["field"] for e in caught.value.errors] == ["coc.MassGroup.ActualMass"]

    changed = rpc("update", vin, patch, 1, user=BOB)
    assert (changed["revision"], changed["status"], changed["last_editor"]) == (2, "draft", "bob")
    assert changed["coc"]["MassGroup"] == {"ActualMass": 1999} and changed["coc"]["ColourTable"]
    last = rpc("history", vin)[-1]
    assert (last["revision"], last["actor"], last["reason"]) == (2, "bob", "weighed again")
    assert [c["path"] for c in last["diff"]] == ["coc.MassGroup.ActualMass"]
    [sent] = outbox_rows(db_url, VEHICLE_CHANGED)[-1]["data"]["vehicles"]
    assert (sent["vin"], sent["revision"], sent["coc"]["MassGroup"]) == (vin, 2, {"ActualMass": 1999})
    assert outbox_rows(db_url, VEHICLE_STATUS_CHANGED)[-1]["data"]["vehicles"] == [{"vin": vin, "status": "draft"}]
    assert rpc("update", vin, patch, 2, user=BOB)["revision"] == 2  # nothing to change: no revision

    with pytest.raises(PreconditionFailed):
        rpc("update", vin, patch, 1, user=BOB)
    with pytest.raises(NotFound):
        rpc("update", vin, patch, 2, user=("olga", ["data_steward"], [OTHER]))


def test_a_released_vehicle_is_not_patched(rpc, released):
    vin = sorted(released)[0]
    with pytest.raises(Conflict, match="corrections"):
        rpc("update", vin, {"production_date": "2026-11-30", "reason": "typo"}, 1, user=BOB)


def test_an_edit_takes_an_in_review_vehicle_out_of_its_release(rpc, ready, outbox_rows, db_url):
    vins = ready(2)
    release = rpc("request_release", {"vins": vins}, user=BOB)
    changed = rpc("update", vins[0], {"intended_country": "NL", "reason": "sold abroad"}, 1, user=BOB)
    assert (changed["status"], changed["revision"], changed["release_id"]) == ("draft", 2, None)
    stored = rpc("get_release", release["id"], user=RITA)
    items = {i["vin"]: i for i in stored["vehicles"]}
    assert (items[vins[0]]["state"], items[vins[0]]["reopened_reason"]) == ("reopened", "vehicle changed: sold abroad")
    assert stored["status"] == "in_review" and stored["counts"] == {"in_review": 1, "reopened": 1}
    [reopened] = outbox_rows(db_url, RELEASE_ITEM_REOPENED)
    assert (reopened["actor"], reopened["data"]["vins"], reopened["data"]["release_status"]) == (
        "bob", [vins[0]], "in_review")
    approved = rpc("approve_release", release["id"], user=RITA)  # the rest of the release is still decided on
    assert {i["vin"]: i["state"] for i in approved["vehicles"]} == {vins[0]: "reopened", vins[1]: "approved"}
    rpc("update", vins[1], {"intended_country": "NL", "reason": "sold abroad too"}, 1, user=BOB)
    assert rpc("get_release", release["id"], user=RITA)["status"] == "closed"  # no item left in it
    assert outbox_rows(db_url, RELEASE_ITEM_REOPENED)[-1]["data"]["release_status"] == "closed"


def test_a_correction_sends_a_released_vehicle_back_through_validation(rpc, released, ready, db_url, outbox_rows):
    vin = sorted(released)[0]
    corrected = rpc("correct", vin, {"coc": {"ColourTable": [{"Colour": "9"}]}, "reason": "wrong colour"}, user=BOB)
    assert (corrected["status"], corrected["revision"], corrected["last_editor"]) == ("draft", 2, "bob")
    assert corrected["certificate"] == released[vin]  # current until the corrected one is signed
    assert corrected["release_id"] is None
    last = rpc("history", vin)[-1]
    assert (last["reason"], last["diff"][0]["path"]) == ("wrong colour", "coc.ColourTable")
    assert outbox_rows(db_url, VEHICLE_CHANGED)[-1]["data"]["vehicles"][0]["revision"] == 2
    assert outbox_rows(db_url, VEHICLE_STATUS_CHANGED)[-1]["data"]["vehicles"] == [{"vin": vin, "status": "draft"}]

    with pytest.raises(Conflict, match="only a released vehicle is corrected"):
        rpc("correct", vin, {"coc": {"ColourTable": [{"Colour": "1"}]}, "reason": "again"}, user=BOB)
    other = sorted(released)[1]
    with pytest.raises(InvalidInput, match="changes nothing"):
        rpc("correct", other, {"coc": rpc("get", other)["coc"], "reason": "no change"}, user=BOB)
    with pytest.raises(InvalidInput) as caught:
        rpc("correct", other, {"reason": "no data"}, user=BOB)
    assert [e["field"] for e in caught.value.errors] == ["coc"]
    with pytest.raises(PreconditionFailed):
        rpc("correct", other, {"coc": {"ColourTable": [{"Colour": "2"}]}, "reason": "x"}, 5, user=BOB)


def test_a_withdrawal_ends_a_released_vehicle_with_its_reason(rpc, released, db_url, outbox_rows):
    vin = sorted(released)[0]
    with pytest.raises(Forbidden, match="not an authorised signatory of NORDWIND"):
        rpc("withdraw", vin, {"reason": "x"}, user=("mallory", ["signer"], [ENTITY]))
    withdrawn = rpc("withdraw", vin, {"reason": "vehicle destroyed before registration"}, user=SAM)
    assert withdrawn["status"] == "withdrawn" and withdrawn["revision"] == 2
    assert withdrawn["withdrawal"]["reason"] == "vehicle destroyed before registration"
    assert withdrawn["withdrawal"]["by"] == "sam" and withdrawn["withdrawal"]["certificate"] == released[vin]
    [event] = outbox_rows(db_url, "vehicle_withdrawn")
    assert event["subject"] == vin and event["actor"] == "sam" and event["entity"] == ENTITY
    assert event["data"] == {"vin": vin, "revision": 2, "reason": "vehicle destroyed before registration",
                             "certificate": released[vin]}
    assert rpc("history", vin)[-1]["diff"] == [{"path": "status", "old": "released", "new": "withdrawn"}]
    for again in ("withdraw", "correct"):
        with pytest.raises(Conflict, match="withdrawn"):
            rpc(again, vin, {"reason": "x", "coc": {"ColourTable": [{"Colour": "2"}]}} if again == "correct"
                else {"reason": "x"}, user=("sam", ["signer", "data_steward"], [ENTITY]))
    [draft] = demo_data.vehicles(1, seed=5)
    rpc("import_vehicles", {"vehicles": [draft]})
    with pytest.raises(Conflict, match="a draft vehicle cannot become withdrawn"):
        rpc("withdraw", draft["vin"], {"reason": "x"}, user=SAM)


# -- approvals: impact and re-validation -------------------------------------------------------------------

def approval_event(event_type, data):
    from services.approvals.models import outbox as approvals_outbox

    return Outbox("approvals", approvals_outbox).envelope(event_type, data, subject=data["number"], entity=ENTITY,
                                                        actor="alice")


def test_impact_and_revalidation_after_an_approval_extension(rpc, released, ready, validate, deliver, db_url,
                                                             outbox_rows):
    fresh = demo_data.vehicles(2, seed=77)
    rpc("import_vehicles", {"vehicles": fresh})
    validate({fresh[0]["vin"]: "valid", fresh[1]["vin"]: "blocked"}, findings={fresh[1]["vin"]: [finding()]})
    [draft] = demo_data.vehicles(1, seed=78)
    rpc("import_vehicles", {"vehicles": [draft]})
    [elsewhere] = demo_data.vehicles(1, seed=79)
    rpc("import_vehicles", {"vehicles": [dict(elsewhere, approval_number="e6*2018/858*04321*00")]})
    [foreign] = demo_data.vehicles(1, seed=80)  # another entity's vehicle naming the same number: not this approval's
    rpc("import_vehicles", {"vehicles": [dict(foreign, entity=OTHER)]}, user=ADMIN)

    extended = "e6*2018/858*01234*01"
    impact = rpc("impact", extended, ENTITY, user=("vic", ["viewer"], [ENTITY]))
    assert impact == {"approval_number": extended, "released": sorted(released),
                      "unreleased": {"valid": [fresh[0]["vin"]], "blocked": [fresh[1]["vin"]],
                                     "draft": [draft["vin"]]}}
    assert rpc("impact", extended, ENTITY, user=ADMIN) == impact
    assert rpc("impact", extended, ENTITY, user=("olga", ["viewer"], [OTHER])) == {
        "approval_number": extended, "released": [], "unreleased": {}}

    changed_before = len(outbox_rows(db_url, VEHICLE_CHANGED))
    deliver(approval_event("approval_extended", {"id": str(uuid.uuid4()), "number": extended, "revision": 2,
                                                  "extension": 1, "issue_date": "2026-10-01"}),
            "on_approval_extended")
    [event] = outbox_rows(db_url, VEHICLE_CHANGED)[changed_before:]
    assert sorted(v["vin"] for v in event["data"]["vehicles"]) == sorted(
        [fresh[0]["vin"], fresh[1]["vin"], draft["vin"]])
    assert all(v["revision"] == 1 for v in event["data"]["vehicles"])
    assert rpc("get", fresh[1]["vin"])["status"] == "draft" and rpc("get", fresh[1]["vin"])["findings"] == []
    assert rpc("get", sorted(released)[0])["status"] == "released"
    assert rpc("get", elsewhere["vin"])["status"] == "draft"
    assert outbox_rows(db_url, VEHICLE_STATUS_CHANGED)[-1]["data"]["vehicles"] == [
        {"vin": v, "status": "draft"} for v in sorted([fresh[0]["vin"], fresh[1]["vin"]])]
    validate({fresh[1]["vin"]: "valid"})  # the same revision, judged again
    assert rpc("get", fresh[1]["vin"])["status"] == "valid"


# -- multi-stage --------------------------------------------------------------------------------------------

def test_a_completed_vehicle_carries_its_base_vehicles_ecoc(rpc, db_url, outbox_rows):
    xml = (SAMPLES / "N2-01-ProaceMaxEV.xml").read_text().replace(
        "<StageOfCompletion>C</StageOfCompletion>", "<StageOfCompletion>I</StageOfCompletion>")
    base = rpc("import_ivi", xml, {"entity": ENTITY, "stage": "base"}, user=ADMIN)
    assert base == {"vin": "YARTN2EVHDTEST123", "stage": 1, "approval_number": "e3*2018/858*00107*01", "type": "T",
                    "variant": "EDEFC", "version": "2X003B(1B)", "stage_of_completion": "I", "outcome": "base_stage"}
    [stored] = rpc("stages", base["vin"], user=ADMIN)
    assert stored["coc"]["ManufacturerTable"][0]["ManufacturerName"] == "TOYOTA MOTOR EUROPE"
    assert stored["imported_by"] == "ada" and stored["header"]["IntendedCountryRegistration"] == "NL"
    with pytest.raises(NotFound):
        rpc("stages", base["vin"], user=("olga", ["viewer"], [OTHER]))

    [completed] = demo_data.vehicles(1)
    completed.update(vin=base["vin"], approval_number="e4*2018/858*01111*00", type="BKLK001", variant="BVG00PL",
                     version="VBHLL009")
    same_stage = dict(completed, approval_number=base["approval_number"], type="T", variant="EDEFC",
                      version="2X003B(1B)")
    [rejected] = rpc("import_vehicles", {"vehicles": [same_stage]}, user=ADMIN)["rejected"]
    assert rejected["errors"][0]["field"] == "approval_number" and "stage 1" in rejected["errors"][0]["message"]

    assert rpc("import_vehicles", {"vehicles": [completed]}, user=ADMIN)["accepted"] == 1
    vehicle = rpc("get", base["vin"], user=ADMIN)
    assert [(s["stage"], s["approval_number"]) for s in vehicle["stages"]] == [(1, "e3*2018/858*00107*01")]
    [sent] = outbox_rows(db_url, VEHICLE_CHANGED)[-1]["data"]["vehicles"]
    [stage] = sent["previous_stages"]
    assert (stage["stage"], stage["approval_number"], stage["type"], stage["variant"], stage["version"]) == (
        1, "e3*2018/858*00107*01", "T", "EDEFC", "2X003B(1B)")
    assert stage["coc"] == stored["coc"]

    assert rpc("import_ivi", xml, {"entity": ENTITY, "stage": "base"}, user=ADMIN)["outcome"] == "unchanged"
    olga = ("olga", ["data_steward"], [OTHER])  # another entity's stage of the VIN: hers, never on ENTITY's record
    assert rpc("import_ivi", xml, {"entity": OTHER, "stage": "base"}, user=olga) == base
    assert [s["entity"] for s in rpc("stages", base["vin"], user=olga)] == [OTHER]
    after = rpc("get", base["vin"], user=ADMIN)
    assert (after["revision"], after["stages"]) == (vehicle["revision"], vehicle["stages"])
    assert [(e["subject"], e["entity"], e["actor"]) for e in outbox_rows(db_url, VEHICLE_STAGE_IMPORTED)] == [
        (f"{base['vin']}@{ENTITY}", ENTITY, "ada"), (f"{base['vin']}@{OTHER}", OTHER, "olga")]  # on no record

    with pytest.raises(InvalidInput) as caught:  # a completed vehicle is no base
        rpc("import_ivi", xml.replace("<StageOfCompletion>I<", "<StageOfCompletion>V<"),
            {"entity": ENTITY, "stage": "base"}, user=ADMIN)
    assert [e["field"] for e in caught.value.errors] == ["StageOfCompletion"]


def test_a_base_attached_to_a_judged_vehicle_sends_it_back_to_validation(rpc, ready, validate, db_url, outbox_rows):
    [vin] = ready(1)
    xml = (SAMPLES / "N2-01-ProaceMaxEV.xml").read_text().replace("YARTN2EVHDTEST123", vin).replace(
        "<StageOfCompletion>C</StageOfCompletion>", "<StageOfCompletion>I</StageOfCompletion>")
    assert rpc("import_ivi", xml, {"entity": ENTITY, "stage": "base"}, user=BOB)["outcome"] == "base_stage"
    vehicle = rpc("get", vin)  # attaching a stage is an edit: a revision by bob
    assert (vehicle["status"], vehicle["revision"], vehicle["findings"], vehicle["last_editor"]) == (
        "draft", 2, [], "bob")
    change = rpc("history", vin)[-1]
    assert (change["revision"], change["actor"], change["reason"]) == (
        2, "bob", "base vehicle's eCoC imported as stage 1")
    assert [(d["path"], d["old"], d["new"]["approval_number"]) for d in change["diff"]] == [
        ("stages.1", None, "e3*2018/858*00107*01")]
    [sent] = outbox_rows(db_url, VEHICLE_CHANGED)[-1]["data"]["vehicles"]
    assert (sent["vin"], sent["revision"], [s["stage"] for s in sent["previous_stages"]]) == (vin, 2, [1])
    assert outbox_rows(db_url, VEHICLE_STATUS_CHANGED)[-1]["data"]["vehicles"] == [{"vin": vin, "status": "draft"}]
    [imported] = outbox_rows(db_url, VEHICLE_STAGE_IMPORTED)
    assert (imported["actor"], imported["entity"], imported["subject"], imported["data"]["attached_to_revision"]) == (
        "bob", ENTITY, vin, 2)
    validate({vin: "valid"}, revision=2)
    assert rpc("get", vin)["status"] == "valid"


def test_a_stage_imported_while_its_record_is_created_is_attached_as_an_edit(rpc, db_url, db_rows):
    """The record's creation is held open (as an import holds it, attach locks taken, row inserted, not yet
    committed): the stage import waits for it, then finds the record and attaches the stage as an edit."""
    import eventlet
    from sqlalchemy import create_engine

    from common.contracts.vehicles import VehicleIn
    from services.vehicles import repository as repo
    from tests.support import wait_until

    [row] = demo_data.vehicles(1, seed=83)
    row.update(approval_number="e4*2018/858*01111*00", type="BKLK001", variant="BVG00PL", version="VBHLL009")
    xml = (SAMPLES / "N2-01-ProaceMaxEV.xml").read_text().replace("YARTN2EVHDTEST123", row["vin"]).replace(
        "<StageOfCompletion>C</StageOfCompletion>", "<StageOfCompletion>I</StageOfCompletion>")
    engine = create_engine(db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as creating:
            transaction = creating.begin()
            repo.hold_attach_locks(creating, [row["vin"]])
            repo.save_changes(creating, [(0, VehicleIn().load(row), None)], "bob", "import")
            importing = eventlet.spawn(rpc, "import_ivi", xml, {"entity": ENTITY, "stage": "base"})
            waiting = ("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = :space "
                       "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
            wait_until(lambda: db_rows(db_url, waiting, space=repo.ATTACH_LOCK_SPACE), WAIT,
                       what="the stage import to wait for the record's creation")
            transaction.commit()
        assert importing.wait()["outcome"] == "base_stage"
    finally:
        engine.dispose()
    vehicle = rpc("get", row["vin"])
    assert (vehicle["revision"], vehicle["last_editor"], [s["stage"] for s in vehicle["stages"]]) == (2, "alice", [1])
    assert [d["path"] for d in rpc("history", row["vin"])[-1]["diff"]] == ["stages.1"]


def test_an_approval_extension_reopens_the_release_items_it_changes(rpc, vehicles, ready, deliver, db_url,
                                                                    outbox_rows):
    from common.canonical import content_sha256
    from services.approvals.domain.resolution import Revision
    from tests.approvals_double import demo_approval

    vins = sorted(ready(2))  # made 2026-11-02 and 2026-11-03
    release = rpc("request_release", {"vins": vins}, user=BOB)
    rpc("approve_release", release["id"], user=RITA)
    item = rpc("release_item", release["id"], vins[0], user=RITA)
    assert item["content_sha256"] == content_sha256(item["content"]) and item["approval_revision"] == 1
    assert item["content"]["VehicleIdentificationNumber"] == vins[0] and item["rule_packs"] is None
    with pytest.raises(NotFound):
        rpc("release_item", release["id"], vins[0], user=("olga", ["reviewer"], [OTHER]))

    first = demo_approval().revisions[0]
    extended = "e6*2018/858*01234*01"

    def extension(issue_date):
        later = Revision(revision=2, extension=1, number=extended, issue_date=issue_date,
                         coc=dict(first.coc, Remarks="extension 01"), versions=first.versions)
        vehicles.approvals.resolve.side_effect = lambda items: canned_resolve(items, demo_approval(later))
        return deliver(approval_event("approval_extended", {
            "id": str(uuid.uuid4()), "number": extended, "revision": 2, "extension": 1,
            "issue_date": issue_date.isoformat()}), "on_approval_extended")

    extension(date(2026, 11, 3))  # applies to the second vehicle's production only
    stored = rpc("get_release", release["id"], user=RITA)
    states = {i["vin"]: (i["state"], i["reopened_reason"]) for i in stored["vehicles"]}
    assert states == {vins[0]: ("approved", None),
                      vins[1]: ("reopened", f"approval {extended}: approval extended")}
    assert stored["status"] == "approved"
    assert [rpc("get", vin)["status"] for vin in vins] == ["approved", "draft"]
    [reopened] = outbox_rows(db_url, RELEASE_ITEM_REOPENED)
    assert (reopened["actor"], reopened["subjects"]) == ("alice", [release["id"], vins[1]])
    assert outbox_rows(db_url, VEHICLE_CHANGED)[-1]["data"]["vehicles"][0]["vin"] == vins[1]


def test_a_vehicle_being_signed_is_not_changed(rpc, approved):
    release_id, vins = approved
    rpc("sign_release", release_id, demo_data.SIGNATORY, user=SAM)
    with pytest.raises(Conflict, match="being signed"):
        rpc("update", vins[0], {"intended_country": "NL", "reason": "sold abroad"}, 1, user=BOB)
    row = next(dict(v, intended_country="IRL") for v in demo_data.vehicles(3) if v["vin"] == vins[0])
    [rejected] = rpc("import_vehicles", {"vehicles": [row]}, user=BOB)["rejected"]
    assert rejected["errors"][0]["message"].startswith("the vehicle is being signed")
    assert rpc("get_release", release_id)["counts"] == {"signing": 3}


def test_a_stage_import_takes_an_approved_vehicle_out_of_its_release(rpc, approved, db_url, outbox_rows):
    """A base vehicle's eCoC attached after review changes what would be sealed: the item leaves the release
    (reopened, with why and who), the vehicle is a new revision in draft, judged again."""
    release_id, vins = approved
    vin = vins[0]
    xml = (SAMPLES / "N2-01-ProaceMaxEV.xml").read_text().replace("YARTN2EVHDTEST123", vin).replace(
        "<StageOfCompletion>C</StageOfCompletion>", "<StageOfCompletion>I</StageOfCompletion>")
    assert rpc("import_ivi", xml, {"entity": ENTITY, "stage": "base"}, user=BOB)["outcome"] == "base_stage"
    vehicle = rpc("get", vin)
    assert (vehicle["status"], vehicle["revision"], vehicle["last_editor"]) == ("draft", 2, "bob")
    items = {i["vin"]: i for i in rpc("get_release", release_id, user=RITA)["vehicles"]}
    assert items[vin]["state"] == "reopened" and "stage 1" in items[vin]["reopened_reason"]
    assert {items[v]["state"] for v in vins[1:]} == {"approved"}
    [reopened] = outbox_rows(db_url, RELEASE_ITEM_REOPENED)
    assert (reopened["actor"], reopened["data"]["vins"]) == ("bob", [vin])
