"""The signing service in a real nameko container on real RabbitMQ and PostgreSQL, with real seals.

Only the approvals service is replaced: its `resolve` answers what the real approvals domain
(`services.approvals.domain.resolution`) answers for the demo approval of `cli.demo_data`, and
`get_entity` returns the demo entity. The seals are RSA-3072 self-signed seals generated once per module
into a temporary KEYS_DIR; the certificates are checked against the official IVI 2.0 schema.
"""
import base64
import datetime as dt
import hashlib
import io
import re
import subprocess
import uuid
import zipfile
from datetime import date

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from nameko.testing.services import entrypoint_waiter, replace_dependencies
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from cli import demo_data
from common.config import settings
from common.contracts.events import (
    CERTIFICATE_FAILED, CERTIFICATE_SIGNED, CERTIFICATE_SUPERSEDED, CERTIFICATE_WITHDRAWN, PAPER_LAYOUT_CHANGED,
    PAPER_JOB_FAILED, PAPER_JOB_REQUESTED, PAPER_PRINTED, RELEASE_SIGN_REQUESTED, VEHICLE_WITHDRAWN,
)
from common.errors import Conflict, InvalidInput, NotFound
from common.outbox import Outbox
from common.composition import reviewed_content
from services.approvals.domain.resolution import Revision
from services.signing.domain.keys import generate_self_signed, write_seal
from services.signing import paper_repository as paper_repo
from services.signing.paper_jobs import MAX_ATTEMPTS, PARTS_AT_ONCE
from services.signing.service import SigningService
from services.vehicles.models import outbox as vehicles_outbox
from tests.approvals_double import APPROVAL_ID, canned_entity, canned_resolve, demo_approval
from tests.support import wait_until

pytestmark = pytest.mark.integration

ENTITY = demo_data.ENTITY
EU_ENTITY = "NORDWIND-EU"  # its seal was issued to an organisation the approval does not name
EU_ORGANISATION = "NORDWIND EUROPE BV"
SOON_ENTITY = "NORDWIND-SOON"  # an EC seal that expires in 10 days
OLD_ENTITY = "NORDWIND-OLD"  # an EC seal that expired yesterday
SIGNER = ("sam", ["signer"], [ENTITY, EU_ENTITY, SOON_ENTITY, OLD_ENTITY])
WAIT = 20


def ec_seal(organisation, not_before, not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()), cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keys")
    now = dt.datetime.now(dt.timezone.utc)
    write_seal(directory, ENTITY, *generate_self_signed(ENTITY, demo_data.LEGAL_NAME))
    write_seal(directory, EU_ENTITY, *generate_self_signed(EU_ENTITY, EU_ORGANISATION))
    write_seal(directory, SOON_ENTITY, *ec_seal(demo_data.LEGAL_NAME, now - dt.timedelta(days=300),
                                                now + dt.timedelta(days=10)))
    write_seal(directory, OLD_ENTITY, *ec_seal(demo_data.LEGAL_NAME, now - dt.timedelta(days=300),
                                               now - dt.timedelta(days=1)))
    return str(directory)


@pytest.fixture(scope="module")
def schema_path():
    path = settings().schema_path
    if not path:
        pytest.skip("the official IVI 2.0 schema is not at hand (ECOC_IVI_SCHEMA)")
    return path


@pytest.fixture
def db_url(service_db):
    return service_db("signing")


@pytest.fixture
def seal_config():
    """Extra nameko config of the signing container (a test may set XADES_ENTITIES, SEAL_ALGORITHMS)."""
    return {}


@pytest.fixture
def signing(container_factory, service_config, db_url, keys_dir, schema_path, seal_config):
    container = container_factory(
        SigningService, service_config("signing", db_url, KEYS_DIR=keys_dir, IVI_SCHEMA=schema_path, **seal_config))
    approvals = replace_dependencies(container, "approvals")
    approvals.resolve.side_effect = canned_resolve
    approvals.get_entity.side_effect = canned_entity
    container.start()
    container.approvals = approvals
    yield container
    container.stop()


@pytest.fixture
def rpc(signing, call, as_user):
    def invoke(method, *args, user=SIGNER, **kwargs):
        return call(signing, method, *args, context_data=as_user(*user), **kwargs)

    return invoke


def vehicles(count=3, seed=2026, entity=ENTITY, **changes):
    """Demo vehicles as the vehicles service hands them to signing (its event items)."""
    return [dict(v, revision=1, entity=entity, **changes) for v in demo_data.vehicles(count, seed=seed)]


def certificate_rows(db_rows, db_url):
    return db_rows(db_url, "SELECT reference_id::text AS reference_id, vin, version_number, status, entity, "
                           "release_id::text AS release_id, vehicle_revision, approval_number, approval_revision, "
                           "signer_sub, signer_name, sha256, content_sha256, document FROM certificates "
                           "ORDER BY vin, version_number")


def test_sign_batch_seals_stores_and_announces(rpc, signing, db_url, db_rows, outbox_rows):
    release_id = str(uuid.uuid4())
    batch = vehicles(3)
    result = rpc("sign_batch", release_id, ENTITY, demo_data.SIGNATORY, batch)
    assert result == {"signed": 3, "failed": []}

    # one batch-shaped resolve for the three vehicles
    [resolve_call] = signing.approvals.resolve.call_args_list
    assert [i["number"] for i in resolve_call.args[0]] == [demo_data.APPROVAL_NUMBER] * 3

    rows = certificate_rows(db_rows, db_url)
    assert [r["vin"] for r in rows] == [v["vin"] for v in batch]
    for row in rows:
        assert (row["version_number"], row["status"], row["entity"], row["release_id"]) == (
            1, "current", ENTITY, release_id)
        assert (row["vehicle_revision"], row["approval_number"], row["approval_revision"]) == (
            1, demo_data.APPROVAL_NUMBER, 1)
        assert (row["signer_sub"], row["signer_name"]) == ("sam", demo_data.SIGNATORY["name"])
        assert hashlib.sha256(row["document"]).hexdigest() == row["sha256"]

    [event] = outbox_rows(db_url, CERTIFICATE_SIGNED)
    assert event["entity"] == ENTITY and event["actor"] == "sam" and event["source"] == "signing"
    assert event["subjects"] == [v["vin"] for v in batch]
    assert event["data"] == {"release_id": release_id, "certificates": [
        {"vin": r["vin"], "reference_id": r["reference_id"], "version_number": 1, "sha256": r["sha256"],
         "content_sha256": r["content_sha256"], "findings": []} for r in rows]}
    assert outbox_rows(db_url, CERTIFICATE_FAILED) == []

    first = rows[0]
    current = rpc("get_current", first["vin"], user=("vera", ["viewer"], [ENTITY]))
    assert current["document"].encode("utf-8") == bytes(first["document"])  # byte-exact
    assert current["summary"]["reference_id"] == first["reference_id"]
    assert current["summary"]["sha256"] == first["sha256"] and "document" not in current["summary"]
    document = current["document"]
    assert f"<VehicleIdentificationNumber>{first['vin']}</VehicleIdentificationNumber>" in document
    assert f"<TypeApprovalNumber>{demo_data.APPROVAL_NUMBER}</TypeApprovalNumber>" in document
    assert demo_data.SIGNATORY["name"] in document and "Signature" in document

    verified = rpc("verify", document, user=("anyone", [], []))
    assert verified["valid"] is True and verified["errors"] == []
    assert (verified["vin"], verified["reference_id"], verified["version_number"]) == (
        first["vin"], first["reference_id"], 1)
    assert verified["signer"]["organisation"] == demo_data.LEGAL_NAME

    tampered = re.sub(r"<ActualMass>(\d+)</ActualMass>", lambda m: f"<ActualMass>{int(m[1]) + 1}</ActualMass>",
                      document, count=1)
    assert tampered != document
    assert rpc("verify", tampered)["valid"] is False
    with pytest.raises(InvalidInput):
        rpc("verify", "  ")
    with pytest.raises(NotFound):
        rpc("get_current", "NWA00000000000000")


def test_a_new_release_supersedes_and_the_same_release_is_idempotent(rpc, db_url, db_rows, outbox_rows):
    [vehicle] = vehicles(1)
    vin = vehicle["vin"]
    first_release, second_release = str(uuid.uuid4()), str(uuid.uuid4())
    assert rpc("sign_batch", first_release, ENTITY, demo_data.SIGNATORY, [vehicle])["signed"] == 1
    corrected = dict(vehicle, revision=2, coc={"MassGroup": {"ActualMass": 1950}, "ColourTable": [{"Colour": "8"}]})
    assert rpc("sign_batch", second_release, ENTITY, demo_data.SIGNATORY, [corrected])["signed"] == 1

    listed = rpc("versions", vin)
    assert [(v["version_number"], v["status"], v["release_id"], v["vehicle_revision"]) for v in listed] == [
        (1, "superseded", first_release, 1), (2, "current", second_release, 2)]
    assert listed[0]["reference_id"] != listed[1]["reference_id"]  # a correction is a new message
    assert b"<ActualMass>1950</ActualMass>" in rpc("get_current", vin)["document"].encode()
    assert all("document" not in v for v in listed)
    current = rpc("get_current", vin)
    assert current["summary"]["reference_id"] == listed[1]["reference_id"]
    verified = rpc("verify", current["document"])
    assert verified["valid"] and verified["version_number"] == 2 and verified["vin"] == vin
    [superseded] = outbox_rows(db_url, CERTIFICATE_SUPERSEDED)
    assert superseded["data"] == {"certificates": [{"vin": vin, "reference_id": listed[0]["reference_id"]}]}
    assert superseded["subject"] == vin

    # the second release handed over again (a retry): nothing new is sealed, stored or announced
    stored_before, events_before = certificate_rows(db_rows, db_url), outbox_rows(db_url)
    assert rpc("sign_batch", second_release, ENTITY, demo_data.SIGNATORY, [corrected]) == {"signed": 0,
                                                                                             "failed": []}
    assert certificate_rows(db_rows, db_url) == stored_before
    assert outbox_rows(db_url) == events_before


def test_a_signatory_not_registered_for_the_entity_fails_every_vehicle(rpc, signing, db_url, db_rows,
                                                                        outbox_rows):
    release_id = str(uuid.uuid4())
    mallory = {"sub": "mallory", "name": "MALLORY", "position": "INTERN", "location": "GENT"}
    batch = vehicles(3)
    result = rpc("sign_batch", release_id, ENTITY, mallory, batch, user=("mallory", ["signer"], [ENTITY]))

    reason = f"mallory is not an authorised signatory of {ENTITY}"
    assert result == {"signed": 0, "failed": [{"vin": v["vin"], "reason": reason} for v in batch]}
    assert certificate_rows(db_rows, db_url) == []
    assert outbox_rows(db_url, CERTIFICATE_SIGNED) == []
    [event] = outbox_rows(db_url, CERTIFICATE_FAILED)
    assert event["data"] == {"release_id": release_id, "failures": result["failed"]}
    assert event["subjects"] == [v["vin"] for v in batch] and event["entity"] == ENTITY
    signing.approvals.get_entity.assert_called_once_with(ENTITY)
    assert signing.approvals.resolve.call_count == 0  # nothing is built for an unauthorised signer


def test_a_seal_of_another_organisation_is_refused(rpc, db_url, db_rows, outbox_rows):
    release_id = str(uuid.uuid4())
    batch = vehicles(2, entity=EU_ENTITY)
    result = rpc("sign_batch", release_id, EU_ENTITY, demo_data.SIGNATORY, batch)

    assert result["signed"] == 0 and [f["vin"] for f in result["failed"]] == [v["vin"] for v in batch]
    for failure in result["failed"]:
        assert failure["reason"].startswith("seal certificate: ")
        assert EU_ORGANISATION in failure["reason"] and demo_data.LEGAL_NAME in failure["reason"]
    assert certificate_rows(db_rows, db_url) == []
    [event] = outbox_rows(db_url, CERTIFICATE_FAILED)
    assert event["data"]["failures"] == result["failed"] and event["entity"] == EU_ENTITY


def test_one_vehicle_failing_does_not_hold_back_the_others(rpc, db_url, db_rows, outbox_rows):
    release_id = str(uuid.uuid4())
    good, early = vehicles(2)
    early["production_date"] = "2026-01-15"  # before the approval was issued
    result = rpc("sign_batch", release_id, ENTITY, demo_data.SIGNATORY, [good, early])

    assert result["signed"] == 1
    [failure] = result["failed"]
    assert failure["vin"] == early["vin"] and failure["reason"].startswith("approval: production date 2026-01-15")
    assert [r["vin"] for r in certificate_rows(db_rows, db_url)] == [good["vin"]]
    [signed] = outbox_rows(db_url, CERTIFICATE_SIGNED)
    [failed] = outbox_rows(db_url, CERTIFICATE_FAILED)
    assert [c["vin"] for c in signed["data"]["certificates"]] == [good["vin"]]
    assert failed["data"] == {"release_id": release_id, "failures": [failure]}


def pinned(vehicle, approval_revision=1):
    """The vehicle as a release hands it to signing: with the pin of the content its reviewers saw."""
    [resolution] = canned_resolve([{"entity": vehicle["entity"], "number": vehicle["approval_number"],
                                    "type": vehicle["type"], "variant": vehicle["variant"],
                                    "version": vehicle["version"], "production_date": vehicle["production_date"],
                                    "revision": approval_revision}])
    _, digest = reviewed_content(resolution["coc"], vehicle)
    return dict(vehicle, pinned={"approval_id": APPROVAL_ID, "approval_revision": approval_revision,
                                 "content_sha256": digest})


def sign_requested(signing, publish_event, vehicles_of_release, release_id=None):
    """Deliver a release's release_sign_requested to signing and wait until it was handled."""
    vins = [v["vin"] for v in vehicles_of_release]
    envelope = Outbox("vehicles", vehicles_outbox).envelope(
        RELEASE_SIGN_REQUESTED, {"release_id": release_id or str(uuid.uuid4()), "signatory": demo_data.SIGNATORY,
                                 "vehicles": vehicles_of_release},
        subject=vins[0], subjects=vins, entity=ENTITY, actor="sam")
    with entrypoint_waiter(signing, "on_release_sign_requested", timeout=WAIT) as waited:
        publish_event(envelope)
    waited.get()
    return envelope


def test_a_release_item_is_sealed_only_as_reviewed(signing, publish_event, db_url, db_rows, outbox_rows):
    good, edited, unpinned, older = vehicles(4, seed=41)
    good, older = pinned(good), pinned(older)
    edited = dict(pinned(edited), coc=dict(edited["coc"], ColourTable=[{"Colour": "9"}]))  # changed after review
    sign_requested(signing, publish_event, [good, edited, unpinned])

    [row] = db_rows(db_url, "SELECT vin, content_sha256 FROM certificates")
    assert row == {"vin": good["vin"], "content_sha256": good["pinned"]["content_sha256"]}
    [signed] = outbox_rows(db_url, CERTIFICATE_SIGNED)
    assert signed["data"]["certificates"][0]["content_sha256"] == good["pinned"]["content_sha256"]
    [failed] = outbox_rows(db_url, CERTIFICATE_FAILED)
    reasons = {f["vin"]: f["reason"] for f in failed["data"]["failures"]}
    assert reasons[edited["vin"]].startswith("content: the composed CoC (sha256 ")
    assert edited["pinned"]["content_sha256"] in reasons[edited["vin"]]
    assert reasons[unpinned["vin"]] == "content: no reviewed content is pinned for this vehicle"

    # the approval is extended after the review: composed from the pinned revision, but not sealed
    data = demo_data.approval()
    first = demo_approval().revisions[0]
    extension = Revision(revision=2, extension=1, number=data["number"][:-2] + "01", issue_date=date(2026, 3, 3),
                         coc=dict(first.coc, Remarks="extension 01"), versions=first.versions)
    signing.approvals.resolve.side_effect = lambda items: canned_resolve(items, demo_approval(extension))
    sign_requested(signing, publish_event, [older])
    [asked] = signing.approvals.resolve.call_args.args[0]
    assert asked["revision"] == 1  # the revision reviewed, not the one in force
    [failure] = outbox_rows(db_url, CERTIFICATE_FAILED)[-1]["data"]["failures"]
    assert failure["vin"] == older["vin"] and failure["reason"].startswith("approval: revision 2 of ")
    assert len(db_rows(db_url, "SELECT vin FROM certificates")) == 1


def test_release_sign_requested_is_handled_once_when_delivered_twice(signing, publish_event, db_url, db_rows,
                                                                     outbox_rows):
    release_id = str(uuid.uuid4())
    batch = [pinned(v) for v in vehicles(2, seed=31)]
    vins = [v["vin"] for v in batch]
    envelope = Outbox("vehicles", vehicles_outbox).envelope(
        RELEASE_SIGN_REQUESTED, {"release_id": release_id, "signatory": demo_data.SIGNATORY, "vehicles": batch},
        subject=vins[0], subjects=vins, entity=ENTITY, actor="sam")

    for _ in range(2):  # at-least-once delivery: the same event (same event_id) arrives twice
        with entrypoint_waiter(signing, "on_release_sign_requested", timeout=WAIT) as waited:
            publish_event(envelope)
        waited.get()

    rows = certificate_rows(db_rows, db_url)
    assert [(r["vin"], r["release_id"], r["version_number"]) for r in rows] == [(v, release_id, 1) for v in vins]
    [event] = outbox_rows(db_url, CERTIFICATE_SIGNED)
    assert [c["vin"] for c in event["data"]["certificates"]] == vins and event["entity"] == ENTITY
    assert signing.approvals.resolve.call_count == 1
    assert db_rows(db_url, "SELECT event_id, event_type FROM inbox") == [
        {"event_id": envelope["event_id"], "event_type": RELEASE_SIGN_REQUESTED}]


def test_a_seal_expiring_soon_is_a_finding_of_the_certificate(rpc, db_url, db_rows, outbox_rows):
    [vehicle] = vehicles(1, seed=7, entity=SOON_ENTITY)
    assert rpc("sign_batch", str(uuid.uuid4()), SOON_ENTITY, demo_data.SIGNATORY, [vehicle])["signed"] == 1

    [listed] = rpc("versions", vehicle["vin"])
    [finding] = listed["findings"]
    assert finding["code"] == "certificate_expires_soon" and finding["severity"] == "warning"
    assert "renew the seal" in finding["message"]
    [event] = outbox_rows(db_url, CERTIFICATE_SIGNED)
    assert event["data"]["certificates"][0]["findings"] == [finding]
    document = rpc("get_current", vehicle["vin"])["document"]
    assert "xmldsig-more#ecdsa-sha256" in document  # an EC seal key seals with ECDSA, without configuration
    assert rpc("verify", document)["valid"] is True


def test_an_expired_seal_is_refused(rpc, db_url, db_rows, outbox_rows):
    batch = vehicles(2, seed=8, entity=OLD_ENTITY)
    result = rpc("sign_batch", str(uuid.uuid4()), OLD_ENTITY, demo_data.SIGNATORY, batch)
    assert result["signed"] == 0 and len(result["failed"]) == 2
    assert all(f["reason"].startswith("seal certificate: certificate expired on ") for f in result["failed"])
    assert certificate_rows(db_rows, db_url) == []


@pytest.mark.parametrize("seal_config", [{"XADES_ENTITIES": ENTITY}])
def test_xades_by_configuration(rpc, seal_config):
    [vehicle] = vehicles(1, seed=9)
    assert rpc("sign_batch", str(uuid.uuid4()), ENTITY, demo_data.SIGNATORY, [vehicle])["signed"] == 1
    document = rpc("get_current", vehicle["vin"])["document"]
    assert "<xades:SignedProperties" in document and '<ds:Reference URI="" ' in document
    verified = rpc("verify", document)
    assert verified["valid"] is True and verified["xades"] is True and verified["signed_at"], verified


def test_vehicle_withdrawn_withdraws_the_current_certificate_once(signing, rpc, publish_event, db_url, db_rows,
                                                                    outbox_rows):
    [vehicle] = vehicles(1, seed=10)
    vin = vehicle["vin"]
    rpc("sign_batch", str(uuid.uuid4()), ENTITY, demo_data.SIGNATORY, [vehicle])
    [current] = rpc("versions", vin)
    envelope = Outbox("vehicles", vehicles_outbox).envelope(
        VEHICLE_WITHDRAWN, {"vin": vin, "reason": "sold outside the EU before registration",
                            "certificate": {"vin": vin, "reference_id": current["reference_id"], "version_number": 1}},
        subject=vin, entity=ENTITY, actor="sam")
    for _ in range(2):  # delivered twice: handled once
        with entrypoint_waiter(signing, "on_vehicle_withdrawn", timeout=WAIT) as waited:
            publish_event(envelope)
        waited.get()

    [listed] = rpc("versions", vin)
    assert (listed["status"], listed["status_reason"]) == ("withdrawn", "sold outside the EU before registration")
    assert listed["withdrawn_at"] and listed["reference_id"] == current["reference_id"]
    assert len(db_rows(db_url, "SELECT document FROM certificates")) == 1  # kept, never deleted
    [event] = outbox_rows(db_url, CERTIFICATE_WITHDRAWN)
    assert event["data"] == {"vin": vin, "reference_id": current["reference_id"], "version_number": 1,
                             "reason": "sold outside the EU before registration"}
    assert (event["subject"], event["entity"], event["actor"]) == (vin, ENTITY, "sam")
    with pytest.raises(NotFound, match="was withdrawn: sold outside the EU"):
        rpc("get_current", vin)


def test_a_malformed_pin_is_invalid_input_naming_the_field(rpc):
    [vehicle] = vehicles(1, seed=43)
    bad = dict(pinned(vehicle), pinned={"approval_id": APPROVAL_ID, "approval_revision": 1, "content_sha256": "x"})
    with pytest.raises(InvalidInput) as caught:
        rpc("sign_batch", str(uuid.uuid4()), ENTITY, demo_data.SIGNATORY, [bad])
    assert [e["field"] for e in caught.value.errors] == ["vehicles[0].pinned.content_sha256"]
    assert rpc("sign_batch", str(uuid.uuid4()), ENTITY, demo_data.SIGNATORY, [pinned(vehicle)])["signed"] == 1


def test_paper_prints_are_counted_audited_and_scoped(rpc, db_url, db_rows, outbox_rows):
    """The paper CoC of a sealed certificate: rendered from its stored bytes in the renderer child process,
    every print counted (1 the original, then duplicates) with a `paper_printed` event in the same
    transaction; another entity's certificate answers like a missing one."""
    release_id = str(uuid.uuid4())
    [vehicle] = vehicles(1, seed=1919)
    assert rpc("sign_batch", release_id, ENTITY, demo_data.SIGNATORY, [vehicle])["signed"] == 1
    viewer = ("vera", ["viewer"], [ENTITY])
    first = rpc("paper", vehicle["vin"], user=viewer)
    again = rpc("paper", vehicle["vin"], 1, user=viewer)
    assert (first["print_number"], again["print_number"]) == (1, 2)
    assert base64.b64decode(first["pdf"]).startswith(b"%PDF-")
    [row] = [r for r in certificate_rows(db_rows, db_url) if r["vin"] == vehicle["vin"]]
    assert first["sha256"] == row["sha256"] and first["reference_id"] == row["reference_id"]
    printed = [e for e in outbox_rows(db_url, PAPER_PRINTED) if e["subject"] == vehicle["vin"]]
    assert [(e["actor"], e["data"]["prints"][0]["print_number"]) for e in printed] == [("vera", 1), ("vera", 2)]

    stranger = ("otto", ["viewer"], ["OTHERCO"])
    for method, args in (("paper", (vehicle["vin"],)), ("paper", (vehicle["vin"], 1)),
                         ("start_release_paper", (release_id,)), ("paper", (vehicle["vin"], 2))):
        with pytest.raises(NotFound):
            rpc(method, *args, user=stranger if args[-1] != 2 else viewer)
    with pytest.raises(InvalidInput):
        rpc("paper", vehicle["vin"], "1", user=viewer)
    with pytest.raises(InvalidInput):
        rpc("set_paper_layout", ENTITY, {"margins": {"top": -1}}, user=("ada", ["admin"], [ENTITY]))
    assert rpc("set_paper_layout", ENTITY, {"watermark": "W"}, user=("ada", ["admin"], [ENTITY]))["watermark"] == "W"
    assert rpc("paper_layout", ENTITY, user=viewer)["margins"]["top"] == 12
    [changed] = outbox_rows(db_url, PAPER_LAYOUT_CHANGED)
    assert changed["actor"] == "ada" and changed["data"]["settings"]["watermark"] == "W"


def test_a_release_prints_as_a_job_claimed_by_the_service_and_stored_with_its_digest(rpc, db_url, db_rows,
                                                                                      outbox_rows):
    """A release's print job: queued by the request (`paper_job_requested`, by the caller), claimed and rendered
    by the service's own poller, its file stored with its SHA-256 and read back in chunks, the prints counted
    and recorded as `paper_printed` by the one who asked. A job whose entity's seal is missing fails saying
    why (`paper_job_failed`), counting nothing. Foreign and malformed job ids answer like missing ones."""
    release_id = str(uuid.uuid4())
    batch = vehicles(2, seed=4242)
    assert rpc("sign_batch", release_id, ENTITY, demo_data.SIGNATORY, batch)["signed"] == 2
    viewer = ("vera", ["viewer"], [ENTITY])
    job = rpc("start_release_paper", release_id, "pdf", user=viewer)
    assert (job["status"], job["count"], job["requested_by"]) == ("queued", 2, "vera")
    done = wait_until(lambda: (j := rpc("paper_job", job["id"], user=viewer))["status"] in ("done", "failed") and j,
                      WAIT * 3, "the print job")
    assert done["status"] == "done", done
    content, offset = b"", 0
    while offset < done["size"]:
        chunk = rpc("paper_job_chunk", job["id"], offset, user=viewer)
        content += base64.b64decode(chunk["content"])
        offset = len(content)
    assert content.startswith(b"%PDF-") and hashlib.sha256(content).hexdigest() == done["sha256"]
    [requested] = [e for e in outbox_rows(db_url, PAPER_JOB_REQUESTED) if e["data"]["job_id"] == job["id"]]
    assert requested["actor"] == "vera" and requested["entity"] == ENTITY
    [printed] = [e for e in outbox_rows(db_url, PAPER_PRINTED) if e["data"].get("job_id") == job["id"]]
    assert printed["actor"] == "vera"
    assert sorted(p["vin"] for p in printed["data"]["prints"]) == sorted(v["vin"] for v in batch)
    assert {p["print_number"] for p in printed["data"]["prints"]} == {1}

    stranger = ("otto", ["viewer"], ["OTHERCO"])
    for method, args in (("paper_job", (job["id"],)), ("paper_job_chunk", (job["id"], 0)),
                         ("paper_job", (str(uuid.uuid4()),)), ("paper_job", ("nope",))):
        with pytest.raises(NotFound):
            rpc(method, *args, user=stranger if method == "paper_job_chunk" or args[0] == job["id"] else viewer)
    with pytest.raises(InvalidInput):
        rpc("start_release_paper", release_id, "docx", user=viewer)
    with pytest.raises(InvalidInput):
        rpc("paper_job_chunk", job["id"], -1, user=viewer)

    # a layout the renderer cannot use (written past the API's checks) fails the job with the reason, and
    # counts no print
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO paper_layouts VALUES (:e, '{\"language\": \"xx\"}', 'ada', now())"),
                           {"e": ENTITY})
    engine.dispose()
    failing = rpc("start_release_paper", release_id, "zip", user=viewer)
    failed = wait_until(lambda: (j := rpc("paper_job", failing["id"], user=viewer))["status"] in ("done", "failed")
                        and j, WAIT * 3, "the failing print job")
    assert failed["status"] == "failed" and "xx" in failed["reason"] and failed["sha256"] is None
    with pytest.raises(Conflict, match="failed"):
        rpc("paper_job_chunk", failing["id"], 0, user=viewer)
    [reported] = [e for e in outbox_rows(db_url, PAPER_JOB_FAILED) if e["data"]["job_id"] == failing["id"]]
    assert reported["actor"] == "vera" and reported["data"]["reason"] == failed["reason"]
    counts = db_rows(db_url, "SELECT prints FROM paper_prints")
    assert [r["prints"] for r in counts] == [1, 1]


def insert_job(connection, release_id, status, form="pdf", parts=(("queued", 0, None),), count=1):
    """A print job as a request stores it, with `parts` of (status, attempts, content) in part order; the parts'
    VIN ranges from the release's certificates (`part_bounds` with part size `count // len(parts)`). Its id."""
    job_id = str(uuid.uuid4())
    connection.execute(text(
        "INSERT INTO paper_jobs (id, release_id, entity, form, status, requested_by, requested_roles, requested_at, "
        "started_at, count, filename, media_type, parts) VALUES (:id, :rid, :e, :form, :status, 'vera', "
        "'[\"viewer\"]', now() - interval '1 day', now() - interval '1 day', :count, 'f', 'application/pdf', :parts)"),
        {"id": job_id, "rid": release_id, "e": ENTITY, "form": form, "status": status, "count": count,
         "parts": len(parts)})
    with Session(bind=connection) as session:
        bounds = paper_repo.part_bounds(session, release_id, max(1, count // len(parts)))
    for number, ((after, upto, size), (part_status, attempts, content)) in enumerate(zip(bounds, parts), 1):
        connection.execute(text(
            "INSERT INTO paper_job_parts (job_id, part, after_vin, upto_vin, count, status, attempts, started_at, "
            "content) VALUES (:id, :part, :after, :upto, :count, :status, :attempts, now() - interval '1 day', "
            ":content)"), {"id": job_id, "part": number, "after": after, "upto": upto, "count": size,
                           "status": part_status, "attempts": attempts, "content": content})
    return job_id


def test_a_print_job_whose_process_was_lost_is_rendered_again_until_it_gave_up(rpc, db_url, outbox_rows):
    """A part left `rendering` past its deadline (its process died) is claimed again by a running process and
    the job finished; one already lost MAX_ATTEMPTS times fails its job saying so."""
    release_id = str(uuid.uuid4())
    assert rpc("sign_batch", release_id, ENTITY, demo_data.SIGNATORY, vehicles(1, seed=4545))["signed"] == 1
    viewer = ("vera", ["viewer"], [ENTITY])
    engine = create_engine(db_url)
    jobs = {}
    with engine.begin() as connection:
        for attempts in (1, MAX_ATTEMPTS):
            jobs[attempts] = insert_job(connection, release_id, "rendering", parts=[("rendering", attempts, None)])
    engine.dispose()

    def finished(job_id):
        job = rpc("paper_job", job_id, user=viewer)
        return job if job["status"] in ("done", "failed") else None

    again = wait_until(lambda: finished(jobs[1]), WAIT * 3, "the lost job rendered again")
    assert again["status"] == "done" and again["sha256"] and (again["parts"], again["parts_done"]) == (1, 1)
    given_up = wait_until(lambda: finished(jobs[MAX_ATTEMPTS]), WAIT * 3, "the job lost too often")
    assert given_up["status"] == "failed" and f"lost {MAX_ATTEMPTS} times" in given_up["reason"]
    [reported] = [e for e in outbox_rows(db_url, PAPER_JOB_FAILED) if e["data"]["job_id"] == jobs[MAX_ATTEMPTS]]
    assert reported["actor"] == "vera"


def test_a_release_prints_in_parts_put_together_in_vin_order_and_sealed_once(rpc, db_url, db_rows, outbox_rows,
                                                                              monkeypatch, tmp_path):
    """With parts of 2 certificates, a release of 5 prints as 3 parts, each counted and recorded as `paper_printed`
    with its part; the file put together has every certificate's pages and attached eCoC in VIN order and one
    PAdES seal (poppler's `pdfsig`), and the parts are dropped. A zip holds one PDF per VIN in VIN order."""
    monkeypatch.setenv("ECOC_PAPER_PART_SIZE", "2")
    release_id = str(uuid.uuid4())
    batch = vehicles(5, seed=5151)
    vins = sorted(v["vin"] for v in batch)
    assert rpc("sign_batch", release_id, ENTITY, demo_data.SIGNATORY, batch)["signed"] == 5
    rpc("set_paper_layout", ENTITY, {"pades": True}, user=("ada", ["admin"], [ENTITY]))
    viewer = ("vera", ["viewer"], [ENTITY])

    def printed(form):
        job = rpc("start_release_paper", release_id, form, user=viewer)
        assert (job["parts"], job["parts_done"], job["count"]) == (3, 0, 5)
        done = wait_until(lambda: (j := rpc("paper_job", job["id"], user=viewer))["status"] in ("done", "failed")
                          and j, WAIT * 6, f"the {form} print job")
        assert done["status"] == "done" and (done["parts"], done["parts_done"]) == (3, 3), done
        content = b""
        while len(content) < done["size"]:
            content += base64.b64decode(rpc("paper_job_chunk", job["id"], len(content), user=viewer)["content"])
        assert hashlib.sha256(content).hexdigest() == done["sha256"]
        assert db_rows(db_url, "SELECT part FROM paper_job_parts WHERE job_id = :j", j=job["id"]) == []
        events = [e for e in outbox_rows(db_url, PAPER_PRINTED) if e["data"].get("job_id") == job["id"]]
        assert sorted((e["data"]["part"], tuple(p["vin"] for p in e["data"]["prints"])) for e in events) == [
            (1, tuple(vins[0:2])), (2, tuple(vins[2:4])), (3, tuple(vins[4:]))]
        return content

    path = tmp_path / "release.pdf"
    path.write_bytes(printed("pdf"))
    text_of = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    positions = [text_of.index(vin) for vin in vins]
    assert positions == sorted(positions)
    listed = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, check=True).stdout.decode()
    assert re.findall(r"^\d+: (\S+)-v1\.xml$", listed, re.M) == vins
    checked = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    assert "Signature is Valid" in checked.stdout and "Total document signed" in checked.stdout, checked.stdout
    assert checked.stdout.count("Signature #") == 1

    archive = zipfile.ZipFile(io.BytesIO(printed("zip")))
    assert archive.namelist() == [f"{vin}-v1.pdf" for vin in vins]
    counts = db_rows(db_url, "SELECT prints FROM paper_prints")
    assert [r["prints"] for r in counts] == [2] * 5


def test_a_job_whose_parts_are_all_rendered_is_put_together_on_the_next_tick(rpc, db_url, outbox_rows):
    """Every part rendered but the job still `rendering` (the process putting it together stopped): the timer puts
    it together in part order. Parts that cannot be put together fail their job saying so."""
    release_id = str(uuid.uuid4())
    assert rpc("sign_batch", release_id, ENTITY, demo_data.SIGNATORY, vehicles(2, seed=4646))["signed"] == 2
    parts = []
    for name in ("first", "second"):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            z.writestr(f"{name}.pdf", name.encode())
        parts.append(("done", 1, out.getvalue()))
    engine = create_engine(db_url)
    with engine.begin() as connection:
        job_id = insert_job(connection, release_id, "rendering", "zip", parts, count=2)
        broken = insert_job(connection, release_id, "rendering", "pdf", [("done", 1, b"%PDF-no")] * 2, count=2)
    engine.dispose()
    viewer = ("vera", ["viewer"], [ENTITY])
    done = wait_until(lambda: (j := rpc("paper_job", job_id, user=viewer))["status"] == "done" and j, WAIT * 3,
                      "the rendered job put together")
    content = base64.b64decode(rpc("paper_job_chunk", job_id, 0, user=viewer)["content"])
    assert zipfile.ZipFile(io.BytesIO(content)).namelist() == ["first.pdf", "second.pdf"]
    assert done["sha256"] == hashlib.sha256(content).hexdigest()
    failed = wait_until(lambda: (j := rpc("paper_job", broken, user=viewer))["status"] == "failed" and j, WAIT * 3,
                        "the job whose parts cannot be put together")
    assert failed["reason"].startswith("the parts could not be put together: the paper renderer failed")
    [reported] = [e for e in outbox_rows(db_url, PAPER_JOB_FAILED) if e["data"]["job_id"] == broken]
    assert reported["data"]["reason"] == failed["reason"]


def test_a_stopping_service_ends_its_renderers_after_their_current_parts(signing, rpc, db_url, db_rows,
                                                                         monkeypatch):
    """A release of 12 in parts of 1: once the first part is rendered the service is told to stop; its stop waits
    for the parts under way only (nameko waits for the running timer tick): the rest stay queued for the next
    process, none is left `rendering`, and the job is not put together. (Without the check, the stop renders all 12.)"""
    monkeypatch.setenv("ECOC_PAPER_PART_SIZE", "1")
    release_id = str(uuid.uuid4())
    assert rpc("sign_batch", release_id, ENTITY, demo_data.SIGNATORY, vehicles(12, seed=6262))["signed"] == 12
    viewer = ("vera", ["viewer"], [ENTITY])
    job = rpc("start_release_paper", release_id, "pdf", user=viewer)
    assert job["parts"] == 12
    wait_until(lambda: rpc("paper_job", job["id"], user=viewer)["parts_done"] >= 1, WAIT * 3, "the first part")
    seen = rpc("paper_job", job["id"], user=viewer)["parts_done"]
    signing.stop()
    parts = db_rows(db_url, "SELECT status, count(*) AS n FROM paper_job_parts WHERE job_id = :j GROUP BY status",
                    j=job["id"])
    by_status = {p["status"]: p["n"] for p in parts}
    assert set(by_status) == {"done", "queued"}, by_status
    # each renderer finishes its part under way, and at most one more begun before it saw the stop (a part takes
    # far longer than that moment)
    assert seen <= by_status["done"] <= seen + 2 * PARTS_AT_ONCE and by_status["queued"] >= 1, (seen, by_status)
    [stored] = db_rows(db_url, "SELECT status, content FROM paper_jobs WHERE id = :j", j=job["id"])
    assert stored == {"status": "rendering", "content": None}


def test_a_late_renderer_of_a_part_reclaimed_meanwhile_counts_no_print(db_url, db_rows, monkeypatch):
    """The service's renderer (a worker of no container: no timer competes) claims a part; while it renders, the
    part is claimed again as lost; the late render is dropped: no print counted, no `paper_printed`, the part the
    new renderer's."""
    from nameko.testing.services import worker_factory

    from common.db import UnitOfWork, make_engine, make_session_factory
    from services.signing import paper_process
    from services.signing.models import outbox

    release_id = str(uuid.uuid4())
    engine = make_engine(db_url, pool_size=2)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO certificates (reference_id, vin, version_number, status, entity, release_id, "
            "vehicle_revision, approval_number, approval_revision, signer_sub, signer_name, seal_fingerprint, "
            "signed_at, sha256, document) VALUES (gen_random_uuid(), 'VIN00000000000001', 1, 'current', :e, :rid, "
            "1, 'A', 1, 's', 'S', 'f', now(), 'x', 'x')"), {"e": ENTITY, "rid": release_id})
        job_id = insert_job(connection, release_id, "queued")

    def render(job, timeout, background=False):  # meanwhile, another renderer takes the part as lost
        with engine.begin() as connection:
            connection.execute(text("UPDATE paper_job_parts SET attempts = attempts + 1"))
        return b"%PDF-late"

    monkeypatch.setattr(paper_process, "render", render)
    service = worker_factory(SigningService, db=UnitOfWork(make_session_factory(engine), Outbox("signing", outbox)))
    assert service._render_next_part(service.db) is True
    assert db_rows(db_url, "SELECT reference_id FROM paper_prints") == []
    assert db_rows(db_url, "SELECT event_type FROM outbox") == []
    assert db_rows(db_url, "SELECT status, attempts, content FROM paper_job_parts WHERE job_id = :j", j=job_id) == [
        {"status": "rendering", "attempts": 2, "content": None}]
    engine.dispose()


def test_a_part_reclaimed_as_lost_is_kept_only_from_its_new_renderer(db_url, db_rows):
    """Claiming parts (no service running here): the oldest job's parts first, each to one claimer; a part past its
    deadline is claimed again with one more attempt, and its first renderer, coming back late, neither keeps nor
    queues it again."""
    release_id = str(uuid.uuid4())
    engine = create_engine(db_url)
    with engine.begin() as connection:
        for n in range(3):
            connection.execute(text(
                "INSERT INTO certificates (reference_id, vin, version_number, status, entity, release_id, "
                "vehicle_revision, approval_number, approval_revision, signer_sub, signer_name, seal_fingerprint, "
                "signed_at, sha256, document) SELECT gen_random_uuid(), :vin, 1, 'current', :e, :rid, 1, 'A', 1, "
                "'s', 'S', 'f', now(), 'x', 'x'"), {"vin": f"VIN{n:014d}", "e": ENTITY, "rid": release_id})
    session = Session(bind=engine)
    bounds = paper_repo.part_bounds(session, release_id, 2)
    assert bounds == [(None, "VIN00000000000001", 2), ("VIN00000000000001", None, 1)]
    assert [r.vin for r in paper_repo.of_release(session, release_id, *bounds[1][:2])] == ["VIN00000000000002"]
    job_id = str(uuid.uuid4())
    now = dt.datetime.now(dt.timezone.utc)
    paper_repo.add_job(session, bounds, id=job_id, release_id=release_id, entity=ENTITY, form="pdf",
                       status="queued", requested_by="vera", requested_roles=[], requested_at=now, count=3,
                       filename="f", media_type="application/pdf")
    session.commit()

    def claim(at):
        with Session(bind=engine) as own:
            row = paper_repo.claim_part(own, at, 60, 10)
            own.commit()
            return row

    first, second = claim(now), claim(now + dt.timedelta(seconds=30))
    assert [(p.part, p.attempts, p.parts) for p in (first, second)] == [(1, 1, 2), (2, 1, 2)]
    assert claim(now) is None
    assert db_rows(db_url, "SELECT status FROM paper_jobs") == [{"status": "rendering"}]
    later = now + dt.timedelta(seconds=60 + 10 * 2 + 1)  # past the first part's deadline, not the second's (+30 s)
    again = claim(later)
    assert (again.part, again.attempts) == (1, 2) and claim(later) is None
    with Session(bind=engine) as own:
        paper_repo.requeue_part(own, job_id, 1, first.attempts)
        assert not paper_repo.finish_part(own, job_id, 1, first.attempts, b"late")
        assert paper_repo.finish_part(own, job_id, 1, again.attempts, b"new")
        own.commit()
    assert db_rows(db_url, "SELECT part, status, content FROM paper_job_parts ORDER BY part") == [
        {"part": 1, "status": "done", "content": b"new"}, {"part": 2, "status": "rendering", "content": None}]
    session.close()
    engine.dispose()
