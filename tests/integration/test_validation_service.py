"""The validation service in a real nameko container on real RabbitMQ and PostgreSQL.

The approvals service is replaced by canned answers (it has its own tests): `resolve` answers as the
approvals service does for the demo approval of `cli.demo_data` (a version it does not know is withdrawn),
`get_entity` knows the demo entity and its WMI. Each test module gets a throwaway database and, where
`rabbitmqctl` can make one, a throwaway RabbitMQ vhost, so a validation service running elsewhere on the
same broker neither steals nor receives our messages.
"""
import os
import uuid

import pytest
from kombu import Connection, Queue
from lxml import etree
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies
from sqlalchemy import create_engine, func, select

from cli import demo_data
from common.config import REPO_ROOT, settings
from common.contracts.events import VALIDATION_COMPLETED, VEHICLE_CHANGED
from common.errors import Forbidden, InvalidInput, NotFound
from common.outbox import Outbox

pytestmark = pytest.mark.integration

VERSION = demo_data.VERSIONS[0]
SAMPLE = REPO_ROOT.parent / "shared" / "ivi" / "samples" / "M1-01-LexusRZ450e.xml"
ERROR = "error"


def canned_resolve(items):
    """What the approvals service would answer: the demo version resolves, any other version is withdrawn;
    for a vehicle of another entity the demo approval's number is unknown."""
    out = []
    for item in items:
        if item["entity"] != demo_data.ENTITY:
            out.append({"ok": False, "reason": "approval_unknown", "message": "no type approval with this number"})
        elif item["version"] == VERSION["version"]:
            out.append(demo_data.resolution(dict(item, vin="X")))
        else:
            out.append({"ok": False, "reason": "approval_withdrawn",
                        "message": "the approval was withdrawn on 2026-10-31"})
    return out


def canned_entity(code):
    if code == demo_data.ENTITY:
        return dict(demo_data.entity(), code=code, revision=1)
    raise NotFound(f"no legal entity {code}")


def vehicle(vin, version=VERSION["version"], revision=1, entity=demo_data.ENTITY):
    return {
        "vin": vin, "revision": revision, "entity": entity, "approval_number": demo_data.APPROVAL_NUMBER,
        "type": VERSION["type"], "variant": VERSION["variant"], "version": version,
        "production_date": "2026-11-09", "intended_country": "B",
        "coc": {"MassGroup": {"ActualMass": 1950}, "ColourTable": [{"Colour": "5"}]},
    }


def errors_of(result):
    return [(f["rule"], f["path"]) for f in result["findings"] if f["severity"] == ERROR]


# -- infrastructure (amqp_uri, service_db, service_config, publish_event: tests/integration/conftest.py) ----

STEWARD = ("dana", ["data_steward"], [demo_data.ENTITY])


@pytest.fixture
def call(call, as_user):
    """Every RPC here runs as a data steward of NORDWIND unless the test gives other context data."""
    return lambda container, method, *args, context_data=None, **kwargs: call(
        container, method, *args, context_data=as_user(*STEWARD) if context_data is None else context_data, **kwargs)


@pytest.fixture
def database_url(service_db):
    return service_db("validation")


@pytest.fixture
def engine(database_url):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def schema_path():
    """The IVI schema when it is at hand (schema checks on), else "" (off: XSD-000 warnings)."""
    path = settings().schema_path
    return path if path and os.path.isfile(path) else ""


needs_schema = pytest.mark.skipif(not schema_path(), reason="the IVI 2.0 schema is not configured")


@pytest.fixture
def container(container_factory, service_config, database_url):
    from services.validation.service import ValidationService

    container = container_factory(
        ValidationService, service_config("validation", database_url, IVI_SCHEMA_PATH=schema_path()))
    approvals = replace_dependencies(container, "approvals")
    approvals.resolve.side_effect = canned_resolve
    approvals.get_entity.side_effect = canned_entity
    container.start()
    container.approvals = approvals
    return container


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


# -- RPC ------------------------------------------------------------------------------------------------

def test_validate_batch_judges_stores_and_does_not_emit(container, engine, call):
    from services.validation.models import outbox, validation_report_history, validation_reports

    good, bad = vehicle("NWAZZZ1KZ8W000001"), vehicle("NWAZZZ1KZ8W000002", version="WITHDRAWN")
    results = call(container, "validate_batch", [good, bad])

    assert [(r["vin"], r["revision"], r["status"]) for r in results] == [
        ("NWAZZZ1KZ8W000001", 1, "valid"), ("NWAZZZ1KZ8W000002", 1, "blocked")]
    assert errors_of(results[0]) == []
    assert ("XSD-000" in [f["rule"] for f in results[0]["findings"]]) is not bool(schema_path())
    [finding] = [f for f in results[1]["findings"] if f["severity"] == ERROR]
    assert (finding["rule"], finding["path"]) == ("APR-002", "TypeApprovalNumber")
    assert finding["found"].startswith("approval_withdrawn") and "withdrawn" in finding["message"]
    # one resolve call for the batch (one item per distinct reference), one entity lookup per legal entity
    [resolve_call] = container.approvals.resolve.call_args_list
    assert [i["version"] for i in resolve_call.args[0]] == [VERSION["version"], "WITHDRAWN"]
    assert [c.args for c in container.approvals.get_entity.call_args_list] == [(demo_data.ENTITY,)]

    stored = call(container, "report", "NWAZZZ1KZ8W000001")
    assert stored["status"] == "valid" and stored["revision"] == 1 and stored["entity"] == demo_data.ENTITY
    assert stored["rule_pack"] == call(container, "health")["rule_packs"]
    assert set(stored["rule_pack"]) == {"core", "family-mn", "family-o", "family-l", "region-eu"}
    assert (stored["approval_number"], stored["approval_revision"]) == (demo_data.APPROVAL_NUMBER, 1)
    assert stored["findings"] == results[0]["findings"] and stored["validated_at"]
    assert call(container, "report", "NWAZZZ1KZ8W000002")["approval_revision"] is None
    assert count(engine, outbox) == 0  # only the event path emits

    # judging the same revision again replaces the current report and keeps the earlier one on record
    call(container, "validate_batch", [good])
    assert count(engine, validation_reports) == 2
    assert count(engine, validation_report_history) == 3


def test_the_wmi_is_checked_against_the_entity(container, call, as_user):
    foreign, unknown = vehicle("WVWZZZ1KZ8W000005"), vehicle("NWAZZZ1KZ8W000006", entity="NOBODY")
    everyone = as_user("root", ["data_steward"], ["*"])  # a steward of NORDWIND may not speak for NOBODY
    results = call(container, "validate_batch", [foreign, unknown], context_data=everyone)
    assert errors_of(results[0]) == [("VIN-004", "VehicleIdentificationNumber")]
    assert "NWA" in results[0]["findings"][0]["message"]
    assert "VIN-005" in [f["rule"] for f in results[1]["findings"]]
    assert ("APR-002", "TypeApprovalNumber") in errors_of(results[1])  # NORDWIND's approval is not NOBODY's
    [unknown] = [f for f in results[1]["findings"] if f["rule"] == "APR-002"]
    assert "not registered for legal entity NOBODY" in unknown["message"]
    assert sorted(c.args[0] for c in container.approvals.get_entity.call_args_list) == ["NOBODY", demo_data.ENTITY]


def test_reports_of_many_vins_at_once(container, call):
    call(container, "validate_batch", [vehicle("NWAZZZ1KZ8W000003", revision=1),
                                        vehicle("NWAZZZ1KZ8W000003", version="WITHDRAWN", revision=2),
                                        vehicle("NWAZZZ1KZ8W000004")])
    assert call(container, "report", "NWAZZZ1KZ8W000003")["revision"] == 2
    found = call(container, "reports", ["NWAZZZ1KZ8W000004", "NWAZZZ1KZ8W999999", "NWAZZZ1KZ8W000003"])
    assert [(r["vin"], r["revision"], r["status"]) for r in found] == [
        ("NWAZZZ1KZ8W000004", 1, "valid"), ("NWAZZZ1KZ8W000003", 2, "blocked")]
    assert call(container, "reports", []) == []
    with pytest.raises(NotFound):
        call(container, "report", "NWAZZZ1KZ8W999999")
    with pytest.raises(InvalidInput):
        call(container, "reports", "NWAZZZ1KZ8W000004")


def test_validate_batch_refuses_records_without_vin_or_revision(container, call):
    with pytest.raises(InvalidInput) as caught:
        call(container, "validate_batch", [vehicle("NWAZZZ1KZ8W000004"), {"revision": "x"}])
    assert {e["field"] for e in caught.value.errors} == {"vehicles[1].vin", "vehicles[1].revision"}


def test_the_rule_catalogue(container, call):
    catalogue = call(container, "rules")
    ids = [r["id"] for r in catalogue["items"]]
    assert len(ids) >= 40 and ids[:2] == ["VIN-001", "VIN-002"]
    assert catalogue["packs"] == call(container, "health")["rule_packs"]
    assert {r["pack"] for r in call(container, "rules", pack="family-l")["items"]} == {"family-l"}
    trailer = {r["id"] for r in call(container, "rules", category="O3")["items"]}
    assert "CAT-004" in trailer and "PWR-001" not in trailer
    with pytest.raises(InvalidInput) as caught:
        call(container, "rules", pack="nope", category="M 1")
    assert {e["field"] for e in caught.value.errors} == {"pack", "category"}
    with pytest.raises(Forbidden):  # the catalogue, too, is read by a verified caller only
        call(container, "rules", context_data={})


@needs_schema
def test_validate_document_full_schema_and_draft(container, call):
    signed = SAMPLE.read_text(encoding="utf-8")
    assert call(container, "validate_document", signed) == {"valid": True, "schema": "full", "issues": []}

    tree = etree.fromstring(SAMPLE.read_bytes())
    tree.remove(tree.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    ns = {"i": "http://eu.ereg.initialvehicleinformation.v2"}
    tree.find(".//i:CocDataGroup/i:Type", ns).text = "EBM1(M)-TOO-LONG-"
    draft = etree.tostring(tree, encoding="unicode")

    as_signed = call(container, "validate_document", draft)
    assert as_signed["valid"] is False and as_signed["schema"] == "full"
    paths = [i["path"] for i in as_signed["issues"]]
    assert "Type" in paths and any("Signature" in i["message"] for i in as_signed["issues"])

    as_draft = call(container, "validate_document", draft, draft=True)
    [issue] = as_draft["issues"]
    assert (issue["path"], as_draft["schema"]) == ("Type", "draft")
    assert "maximum length" in issue["message"] and "maxLength" in issue["raw"] and issue["line"]

    broken = call(container, "validate_document", "<InitialVehicleInformation")
    assert broken["valid"] is False and broken["issues"][0]["path"] == ""
    with pytest.raises(InvalidInput):
        call(container, "validate_document", "")


def test_health(container, call):
    health = call(container, "health")
    assert health["ok"] is True and health["schema_checks"] is bool(schema_path())


# -- the event path -------------------------------------------------------------------------------------

@pytest.fixture
def completed_queue(amqp_uri):
    """A queue bound to validation.events for validation_completed, declared before anything is emitted."""
    exchange = get_event_exchange("validation")
    queue = Queue(f"test-validation-completed-{uuid.uuid4().hex[:8]}", exchange=exchange,
                  routing_key=VALIDATION_COMPLETED, auto_delete=True)
    with Connection(amqp_uri) as conn:
        simple = conn.SimpleQueue(queue)
        yield simple
        simple.close()


def test_vehicle_changed_is_judged_stored_and_reported_once(container, completed_queue, publish_event, engine, call):
    from services.validation.models import outbox, validation_report_history

    vins = ["NWAZZZ1KZ8W000011", "NWAZZZ1KZ8W000012"]
    data = {"vehicles": [vehicle(vins[0]), vehicle(vins[1], version="WITHDRAWN")]}
    envelope = Outbox("vehicles", None).envelope(VEHICLE_CHANGED, data, subject=vins[0], subjects=vins,
                                                 entity=demo_data.ENTITY)

    with entrypoint_waiter(container, "on_vehicle_changed", timeout=30) as waited:
        publish_event(envelope)  # retried until the handler's queue exists
    waited.get()  # re-raises if the handler failed

    assert call(container, "report", vins[0])["status"] == "valid"
    assert call(container, "report", vins[1])["status"] == "blocked"

    message = completed_queue.get(block=True, timeout=15)
    message.ack()
    event = message.payload
    assert event["event_type"] == VALIDATION_COMPLETED and event["source"] == "validation"
    assert event["subjects"] == vins and event["entity"] == demo_data.ENTITY
    assert [(r["vin"], r["revision"], r["status"]) for r in event["data"]["results"]] == [
        (vins[0], 1, "valid"), (vins[1], 1, "blocked")]
    assert errors_of(event["data"]["results"][1]) == [("APR-002", "TypeApprovalNumber")]

    # the same event delivered again changes nothing and emits nothing
    with entrypoint_waiter(container, "on_vehicle_changed", timeout=30) as waited:
        publish_event(envelope)
    waited.get()
    assert count(engine, outbox) == 1
    assert count(engine, validation_report_history) == 2
    assert container.approvals.resolve.call_count == 1
    assert container.approvals.get_entity.call_count == 1


def test_concurrent_batches_share_the_schema_safely(container, as_user):
    """Rules and XSD run in tpool threads; several workers judging at once must all finish correctly."""
    import eventlet

    def run(batch):
        vehicles = [vehicle(f"NWAZZZ1KZ8W{batch:02d}{i:04d}", version=VERSION["version"] if i % 2 else "WITHDRAWN")
                    for i in range(40)]
        with entrypoint_hook(container, "validate_batch", context_data=as_user(*STEWARD)) as validate_batch:
            return validate_batch(vehicles)

    with eventlet.Timeout(60):
        outcomes = list(eventlet.GreenPool().imap(run, range(4)))
    for results in outcomes:
        assert [r["status"] for r in results] == ["blocked", "valid"] * 20


def test_reports_are_for_callers_of_their_entity(container, call, as_user):
    call(container, "validate_batch", [vehicle("NWAZZZ1KZ8W000009")])
    assert call(container, "report", "NWAZZZ1KZ8W000009")["entity"] == demo_data.ENTITY
    outsider = as_user("olga", ["viewer"], ["OTHERCO"])
    with pytest.raises(NotFound):
        call(container, "report", "NWAZZZ1KZ8W000009", context_data=outsider)
    assert call(container, "reports", ["NWAZZZ1KZ8W000009"], context_data=outsider) == []
    with pytest.raises(Forbidden):
        call(container, "validate_batch", [vehicle("NWAZZZ1KZ8W000010")], context_data={})
    with pytest.raises(Forbidden):  # judging and storing is a data steward's (or a service's) act
        call(container, "validate_batch", [vehicle("NWAZZZ1KZ8W000010")],
             context_data=as_user("vera", ["viewer"], [demo_data.ENTITY]))
    # another entity's steward cannot store a report for this entity's vehicle, nor tell it exists
    foreign = as_user("olga", ["data_steward"], ["OTHERCO"])
    with pytest.raises(NotFound) as refused:
        call(container, "validate_batch", [vehicle("NWAZZZ1KZ8W000009", revision=2)], context_data=foreign)
    with pytest.raises(NotFound) as missing:
        call(container, "validate_batch", [vehicle("NWAZZZ1KZ8W000011", entity="NOBODY")], context_data=foreign)
    assert (refused.value.args, refused.value.errors) == (missing.value.args, missing.value.errors)
    assert call(container, "report", "NWAZZZ1KZ8W000009")["revision"] == 1
    with pytest.raises(Forbidden):
        call(container, "report", "NWAZZZ1KZ8W000009", context_data={})
