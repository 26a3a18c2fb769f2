"""The rollout service on the real broker and database: scopes and their events, legacy documents in, ecoc's
compositions from `vehicle_changed`, parity, the shadow test seal and the four-eyes cut-over. The approvals
service is the demo double (`tests.approvals_double`); validation's rules on legacy documents are swapped for an
answer that names one finding per document."""
import base64
import io
import zipfile

import pytest
from nameko.testing.services import entrypoint_waiter, replace_dependencies

from cli import demo_data
from common.composition import reviewed_content
from common.config import settings
from common.contracts.events import CUTOVER_REQUESTED, LEGACY_RECEIVED, PARITY_COMPUTED, SCOPE_CHANGED, VEHICLE_CHANGED
from common.errors import Conflict, Forbidden, FourEyes, InvalidInput, NotFound
from common.ivi import build_message, load_schema, serialize
from common.outbox import Outbox
from services.rollout.service import RolloutService
from services.vehicles.models import outbox as vehicles_outbox
from tests.approvals_double import canned_resolve

pytestmark = pytest.mark.integration

ENTITY = demo_data.ENTITY
ADA = ("ada", ["admin"], [ENTITY])
BOB = ("bob", ["admin"], [ENTITY])
DANA = ("dana", ["data_steward"], [ENTITY])
OTHER = ("olga", ["admin"], ["ELSEWHERE"])
FINDING = {"rule": "VIN-004", "severity": "error", "path": "VehicleIdentificationNumber", "message": "WMI"}
WAIT = 30


@pytest.fixture
def db_url(service_db):
    return service_db("rollout")


@pytest.fixture
def rollout(container_factory, service_config, db_url, monkeypatch):
    monkeypatch.setenv("ECOC_ROLLOUT_MIN_VOLUME", "2")  # the gate reads the settings when it judges
    container = container_factory(RolloutService, service_config("rollout", db_url))
    approvals = replace_dependencies(container, "approvals")
    approvals.resolve.side_effect = canned_resolve
    validation = replace_dependencies(container, "validation")
    validation.judge_documents.side_effect = lambda items: [[FINDING] for _ in items]
    container.start()
    yield container
    container.stop()


@pytest.fixture
def rpc(rollout, call, as_user):
    def invoke(method, *args, user=ADA):
        return call(rollout, method, *args, context_data=as_user(*user))

    return invoke


@pytest.fixture
def changed(rollout, publish_event):
    """`changed(records)`: vehicle_changed as the vehicles service sends it, waited for until handled."""

    def send(records):
        envelope = Outbox("vehicles", vehicles_outbox).envelope(
            VEHICLE_CHANGED, {"vehicles": records}, subject=records[0]["vin"], subjects=[r["vin"] for r in records],
            entity=ENTITY, actor="dana")
        with entrypoint_waiter(rollout, "on_vehicle_changed", timeout=WAIT,
                               callback=lambda ctx, result, exc: ctx.args[0]["event_id"] == envelope["event_id"]) as w:
            publish_event(envelope)
        w.get()

    return send


def records(count, seed=17):
    return [dict(v, revision=1, production_date=str(v["production_date"]))
            for v in demo_data.vehicles(count, seed=seed)]


def legacy_of(record, **changes):
    """The IVI 2.0 document the legacy system would have issued for a demo vehicle (unsigned)."""
    schema = load_schema(settings().schema_path)
    [resolution] = canned_resolve([{"entity": ENTITY, "number": record["approval_number"], "type": record["type"],
                                    "variant": record["variant"], "version": record["version"],
                                    "production_date": record["production_date"]}])
    content, _ = reviewed_content(resolution["coc"], record)
    content = dict(content, **changes)
    header = {"IviReferenceId": "0f8fad5b-d9cb-469f-a165-70867728950e", "IviVersionNumberXsd": "2.0",
              "IviVersionNumber": 3, "IviVersionDateTime": "2026-01-01T10:00:00.000+01:00",
              "DesignatedTypeApprovalCountry": "e6"}
    return serialize(build_message(schema, header, content))


def zipped(*documents):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i, document in enumerate(documents):
            archive.writestr(f"ecoc-{i}.xml", document)
    return base64.b64encode(out.getvalue()).decode()


def test_scopes_are_saved_with_their_events_and_equal_specificity_overlaps_are_refused(rpc, db_url, outbox_rows):
    plant = rpc("create_scope", {"entity": ENTITY, "name": "plant", "selector": {"vin_prefixes": [demo_data.WMI]}})
    assert (plant["mode"], plant["revision"], plant["selector"]) == ("shadow", 1, {"vin_prefixes": [demo_data.WMI]})
    with pytest.raises(Conflict) as clash:
        rpc("create_scope", {"entity": ENTITY, "name": "M1", "selector": {"categories": ["M1"]}})
    assert clash.value.errors[0]["field"] == "selector" and "'plant'" in clash.value.detail
    rpc("create_scope", {"entity": ENTITY, "name": "everything else", "selector": {}, "mode": "off"})
    with pytest.raises(InvalidInput):
        rpc("create_scope", {"entity": ENTITY, "name": "live at once", "selector": {"countries": ["B"]},
                             "mode": "live"})
    with pytest.raises(Forbidden):
        rpc("create_scope", {"entity": ENTITY, "name": "x", "selector": {}}, user=DANA)
    with pytest.raises(NotFound):
        rpc("get_scope", plant["id"], user=OTHER)
    with pytest.raises(Conflict):
        rpc("rollback", plant["id"], {"reason": "not live"})
    events = outbox_rows(db_url, SCOPE_CHANGED)
    assert [(e["data"]["generation"], e["data"]["change"], len(e["data"]["scopes"])) for e in events] == [
        (1, "created", 1), (2, "created", 2)]


def test_parity_of_legacy_documents_with_compositions_and_a_four_eyes_cut_over(rpc, changed, db_url, outbox_rows):
    scope = rpc("create_scope", {"entity": ENTITY, "name": "plant", "selector": {"vin_prefixes": [demo_data.WMI]}})
    vehicles = records(3)
    changed(vehicles)
    same, other = legacy_of(vehicles[0]), legacy_of(vehicles[1], Variant="OTHER")
    answer = rpc("receive_legacy", ENTITY, zipped(same, other, b"<NotIvi/>"), user=DANA)
    assert (answer["accepted"], answer["unchanged"]) == (2, 0)
    assert answer["rejected"] == [{"file": "ecoc-2.xml",
                                   "errors": ["the root element is NotIvi, not InitialVehicleInformation"]}]
    assert {d["seal"]["status"] for d in answer["documents"]} == {"absent"}
    assert rpc("receive_legacy", ENTITY, base64.b64encode(same).decode(), user=DANA)["unchanged"] == 1

    report = rpc("parity", scope["id"])
    assert (report["volume"], report["matched"], report["parity_rate"]) == (2, 1, 50.0)
    [field] = report["differing_fields"]
    assert (field["field"], field["mandatory"], field["examples"][0]["legacy"]) == ("Variant", True, "OTHER")
    assert report["legacy_findings"][0]["rule"] == "VIN-004" and report["legacy_findings"][0]["vehicles"] == 2
    assert report["test_sealed"] == {"sealed": 2, "failed": 0, "examples": []}
    assert "below 99.5" in " ".join(report["gate"]["reasons"]) and "Variant" in report["gate"]["reasons"][-1]
    with pytest.raises(Conflict):
        rpc("request_cutover", scope["id"], {})

    # the legacy system's next version agrees: the gate holds, and two people decide
    fixed = legacy_of(vehicles[1]).replace(b"<IviVersionNumber>3<", b"<IviVersionNumber>4<")
    rpc("receive_legacy", ENTITY, base64.b64encode(fixed).decode(), user=DANA)
    assert rpc("parity", scope["id"])["parity_rate"] == 100.0
    requested = rpc("request_cutover", scope["id"], {"note": "ready"})
    assert requested["cutover"]["requested_by"] == "ada"
    with pytest.raises(FourEyes):
        rpc("approve_cutover", scope["id"])
    live = rpc("approve_cutover", scope["id"], user=BOB)
    assert live["mode"] == "live" and live["decision"]["report_digest"] == requested["cutover"]["report_digest"]
    [decided] = [e for e in outbox_rows(db_url, SCOPE_CHANGED) if e["data"]["change"] == "cut_over"]
    assert decided["data"]["decision"]["approved_by"] == "bob" and decided["actor"] == "bob"
    assert outbox_rows(db_url, CUTOVER_REQUESTED)[0]["data"]["report_digest"] == live["decision"]["report_digest"]
    assert rpc("rollback", scope["id"], {"reason": "line stop"})["mode"] == "shadow"

    history = rpc("legacy_history", vehicles[1]["vin"], user=DANA)
    assert [(d["version_number"], d["status"]) for d in history] == [(3, "legacy"), (4, "legacy")]
    assert rpc("legacy_history", vehicles[1]["vin"], user=OTHER) == []
    received = outbox_rows(db_url, LEGACY_RECEIVED)
    assert [d["version_number"] for e in received for d in e["data"]["documents"]] == [3, 3, 4]
    assert all(r["mode"] == "shadow" for e in outbox_rows(db_url, PARITY_COMPUTED) for r in e["data"]["results"])
