"""The validation service in a real nameko container on real RabbitMQ and PostgreSQL.

The approvals service is replaced by canned `resolve` results (it has its own tests). Each test
module gets a throwaway database and, where `rabbitmqctl` can make one, a throwaway RabbitMQ vhost,
so a validation service running elsewhere on the same broker neither steals nor receives our messages.
"""
import os
import uuid

import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies
from sqlalchemy import create_engine, func, select

from common.config import settings
from common.contracts.events import VALIDATION_COMPLETED, VEHICLE_CHANGED
from common.errors import InvalidInput, NotFound
from common.outbox import Outbox

pytestmark = pytest.mark.integration

NUMBER = "e6*2018/858*00264*01"

TYPE_LEVEL = {
    "TypeApprovalType": "EU", "ProvisionalTypeApprovalIndicator": "N", "StageOfCompletion": "C",
    "Type": "T1", "Variant": "V1", "Version": "GOOD", "VehicleCategory": "M1",
    "MethodAttachmentStatutoryPlate": "A1", "TypeApprovalNumber": NUMBER, "TypeApprovalIssueDate": "2025-11-24",
    "MakeTable": [{"Make": "EXAMPLE"}],
    "ManufacturerTable": [{
        "ManufacturerStageNumber": 1, "ManufacturerName": "EXAMPLE MOTORS NV",
        "ManufacturerAddressLine1": "1 MAIN STREET", "ManufacturerPlaceOfResidence": "BRUSSELS",
        "ManufacturerCountryOfResidence": "BELGIUM",
    }],
    "GeneralConstructionGroup": {"NumberOfAxles": 2, "NumberOfWheels": 4},
    "MassGroup": {"MassInRunningOrder": 1900},
    "DimensionGroup": {"Length": 4800},
}


def canned_resolve(items):
    """What the approvals service would answer: version GOOD resolves, WITHDRAWN is withdrawn."""
    out = []
    for item in items:
        if item["version"] == "GOOD":
            out.append({"ok": True, "coc": dict(TYPE_LEVEL), "number": item["number"], "revision": 1,
                        "extension": 1, "issue_date": "2025-11-24", "entity": "TME", "category": "M1",
                        "ranges": {}})
        else:
            out.append({"ok": False, "reason": "approval_withdrawn",
                        "message": "the approval was withdrawn on 2025-12-31"})
    return out


def vehicle(vin, version="GOOD", revision=1):
    return {
        "vin": vin, "revision": revision, "entity": "TME", "approval_number": NUMBER, "type": "T1",
        "variant": "V1", "version": version, "production_date": "2026-01-08", "intended_country": "BE",
        "coc": {"MassGroup": {"ActualMass": 1950}, "ColourTable": [{"Colour": "5"}]},
    }


# -- infrastructure (amqp_uri, service_db, service_config, publish_event: tests/integration/conftest.py) ----

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


@pytest.fixture
def container(container_factory, service_config, database_url):
    from services.validation.service import ValidationService

    container = container_factory(
        ValidationService, service_config("validation", database_url, IVI_SCHEMA_PATH=schema_path()))
    approvals = replace_dependencies(container, "approvals")
    approvals.resolve.side_effect = canned_resolve
    container.start()
    container.approvals = approvals
    return container


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


# -- RPC ------------------------------------------------------------------------------------------------

def test_validate_batch_judges_stores_and_does_not_emit(container, engine):
    from services.validation.models import outbox, validation_report_history, validation_reports

    good, bad = vehicle("WVWZZZ1KZ8W000001"), vehicle("WVWZZZ1KZ8W000002", version="WITHDRAWN")
    with entrypoint_hook(container, "validate_batch") as validate_batch:
        results = validate_batch([good, bad])

    assert [(r["vin"], r["revision"], r["status"]) for r in results] == [
        ("WVWZZZ1KZ8W000001", 1, "valid"), ("WVWZZZ1KZ8W000002", 1, "blocked")]
    assert [f["rule"] for f in results[0]["findings"]] == ([] if schema_path() else ["XSD-000"])
    [finding] = [f for f in results[1]["findings"] if f["severity"] == "error"]
    assert (finding["rule"], finding["severity"], finding["path"]) == ("APR-002", "error", "TypeApprovalNumber")
    assert finding["found"].startswith("approval_withdrawn")
    # one resolve call for the batch, one item per distinct reference
    [call] = container.approvals.resolve.call_args_list
    assert [i["version"] for i in call.args[0]] == ["GOOD", "WITHDRAWN"]

    with entrypoint_hook(container, "report") as report:
        stored = report("WVWZZZ1KZ8W000002")
    assert stored["status"] == "blocked" and stored["revision"] == 1
    assert stored["rule_pack"] == {"core": "2026.11.1"}
    assert stored["findings"] == results[1]["findings"] and stored["validated_at"]
    assert count(engine, outbox) == 0  # only the event path emits

    # judging the same revision again replaces the current report and keeps the earlier one on record
    with entrypoint_hook(container, "validate_batch") as validate_batch:
        validate_batch([good])
    assert count(engine, validation_reports) == 2
    assert count(engine, validation_report_history) == 3


def test_report_of_the_newest_revision(container):
    with entrypoint_hook(container, "validate_batch") as validate_batch:
        validate_batch([vehicle("WVWZZZ1KZ8W000003", revision=1),
                        vehicle("WVWZZZ1KZ8W000003", version="WITHDRAWN", revision=2)])
    with entrypoint_hook(container, "report") as report:
        assert report("WVWZZZ1KZ8W000003")["revision"] == 2
        with pytest.raises(NotFound):
            report("WVWZZZ1KZ8W999999")


def test_validate_batch_refuses_records_without_vin_or_revision(container):
    with entrypoint_hook(container, "validate_batch") as validate_batch:
        with pytest.raises(InvalidInput) as caught:
            validate_batch([vehicle("WVWZZZ1KZ8W000004"), {"revision": "x"}])
    assert {e["field"] for e in caught.value.errors} == {"vehicles[1].vin", "vehicles[1].revision"}


def test_rules_and_health(container):
    with entrypoint_hook(container, "rules") as rules:
        ids = [r["id"] for r in rules()]
    assert ids == ["VIN-001", "VIN-002", "APR-001", "APR-002", "IVI-001", "XSD-000", "XSD-001"]
    with entrypoint_hook(container, "health") as health:
        assert health()["ok"] is True


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


def test_vehicle_changed_is_judged_stored_and_reported_once(container, completed_queue, publish_event, engine):
    from services.validation.models import outbox, validation_report_history

    vins = ["WVWZZZ1KZ8W000011", "WVWZZZ1KZ8W000012"]
    data = {"vehicles": [vehicle(vins[0]), vehicle(vins[1], version="WITHDRAWN")]}
    envelope = Outbox("vehicles", None).envelope(VEHICLE_CHANGED, data, subject=vins[0], subjects=vins, entity="TME")

    with entrypoint_waiter(container, "on_vehicle_changed", timeout=30) as waited:
        publish_event(envelope)  # retried until the handler's queue exists
    waited.get()  # re-raises if the handler failed

    with entrypoint_hook(container, "report") as report:
        assert report(vins[0])["status"] == "valid"
        assert report(vins[1])["status"] == "blocked"

    message = completed_queue.get(block=True, timeout=15)
    message.ack()
    event = message.payload
    assert event["event_type"] == VALIDATION_COMPLETED and event["source"] == "validation"
    assert event["subjects"] == vins and event["entity"] == "TME"
    assert [(r["vin"], r["revision"], r["status"]) for r in event["data"]["results"]] == [
        (vins[0], 1, "valid"), (vins[1], 1, "blocked")]
    assert event["data"]["results"][1]["findings"][0]["rule"] == "APR-002"

    # the same event delivered again changes nothing and emits nothing
    with entrypoint_waiter(container, "on_vehicle_changed", timeout=30) as waited:
        publish_event(envelope)  # retried until the handler's queue exists
    waited.get()
    assert count(engine, outbox) == 1
    assert count(engine, validation_report_history) == 2
    assert container.approvals.resolve.call_count == 1


def test_concurrent_batches_share_the_schema_safely(container):
    """Rules and XSD run in tpool threads; several workers judging at once must all finish correctly."""
    import eventlet

    def run(batch):
        vehicles = [vehicle(f"WVWZZZ1KZ8W{batch:02d}{i:04d}", version="GOOD" if i % 2 else "WITHDRAWN")
                    for i in range(40)]
        with entrypoint_hook(container, "validate_batch") as validate_batch:
            return validate_batch(vehicles)

    with eventlet.Timeout(60):
        outcomes = list(eventlet.GreenPool().imap(run, range(4)))
    for results in outcomes:
        assert [r["status"] for r in results] == ["blocked", "valid"] * 20
