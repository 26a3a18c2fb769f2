"""The approvals service in a real nameko container on real RabbitMQ and PostgreSQL.

Test data is the demo manufacturer of `cli.demo_data` (schema-valid IVI type-level data).
"""
import copy
import uuid

import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from cli import demo_data
from common.contracts.events import APPROVAL_REGISTERED, ENTITY_CHANGED
from common.errors import Conflict, InvalidInput, NotFound
from services.approvals.service import ApprovalsService

pytestmark = pytest.mark.integration

ADMIN = ("ada", ["admin"], ["*"])
MANAGER = ("mia", ["approvals_manager"], [demo_data.ENTITY])
NUMBER = demo_data.APPROVAL_NUMBER
VERSION = demo_data.VERSIONS[0]


@pytest.fixture
def db_url(service_db):
    return service_db("approvals")


@pytest.fixture
def approvals(container_factory, service_config, db_url):
    container = container_factory(ApprovalsService, service_config("approvals", db_url))
    container.start()
    yield container
    container.stop()


@pytest.fixture
def rpc(approvals, call, as_user):
    """`rpc(method, *args, user=MANAGER)`: call the approvals service as that user."""

    def invoke(method, *args, user=MANAGER, **kwargs):
        return call(approvals, method, *args, context_data=as_user(*user), **kwargs)

    return invoke


@pytest.fixture
def registered(rpc):
    """The demo entity and its approval, registered."""
    rpc("put_entity", dict(demo_data.entity(), code=demo_data.ENTITY), user=ADMIN)
    return rpc("register", demo_data.approval())


def item(production_date="2026-11-02", number=NUMBER, version=VERSION["version"]):
    return {"number": number, "type": VERSION["type"], "variant": VERSION["variant"], "version": version,
            "production_date": production_date}


def fields_of(exc_info):
    return {e["field"] for e in exc_info.value.errors}


# -- legal entities -------------------------------------------------------------------------------------

def test_put_entity_creates_then_updates_with_a_new_revision(rpc, db_url, outbox_rows, db_rows):
    body = dict(demo_data.entity(), code=demo_data.ENTITY)
    created = rpc("put_entity", body, user=ADMIN)
    assert created["revision"] == 1 and created["legal_name"] == demo_data.LEGAL_NAME
    assert created["signatories"] == [demo_data.SIGNATORY] and created["wmis"] == [demo_data.WMI]

    changed = copy.deepcopy(body)
    changed["address"]["line1"] = "HAVENLAAN 14"
    updated = rpc("put_entity", changed, user=ADMIN)
    assert updated["revision"] == 2 and updated["address"]["line1"] == "HAVENLAAN 14"
    assert rpc("get_entity", demo_data.ENTITY) == updated

    [row] = db_rows(db_url, "SELECT revision, updated_by, address FROM entities")
    assert row == {"revision": 2, "updated_by": "ada", "address": changed["address"]}
    events = outbox_rows(db_url, ENTITY_CHANGED)
    assert [(e["subject"], e["entity"], e["actor"], e["data"]) for e in events] == [
        (demo_data.ENTITY, demo_data.ENTITY, "ada", {"code": demo_data.ENTITY, "revision": 1}),
        (demo_data.ENTITY, demo_data.ENTITY, "ada", {"code": demo_data.ENTITY, "revision": 2}),
    ]


def test_get_unknown_entity_is_not_found(rpc):
    with pytest.raises(NotFound):
        rpc("get_entity", "NOBODY")


def test_put_entity_names_invalid_fields(rpc, db_url, db_rows):
    body = dict(demo_data.entity(), code=demo_data.ENTITY, wmis=["NW"], colour="blue")
    with pytest.raises(InvalidInput) as caught:
        rpc("put_entity", body, user=ADMIN)
    assert fields_of(caught) == {"wmis[0]", "colour"}
    assert db_rows(db_url, "SELECT * FROM entities") == []


# -- registration ---------------------------------------------------------------------------------------

def test_register_stores_the_approval_and_its_event(registered, rpc, db_url, outbox_rows, db_rows):
    assert registered["number"] == NUMBER and registered["revision"] == 1
    uuid.UUID(registered["id"])

    [row] = db_rows(db_url, "SELECT number, base_number, entity, status, created_by FROM approvals")
    assert row == {"number": NUMBER, "base_number": "e6*2018/858*01234", "entity": demo_data.ENTITY,
                   "status": "valid", "created_by": "mia"}
    [version] = db_rows(db_url, "SELECT type, variant, version, coc, ranges FROM approval_versions")
    assert version == {k: VERSION[k] for k in ("type", "variant", "version", "coc", "ranges")}

    [event] = outbox_rows(db_url, APPROVAL_REGISTERED)
    assert event["subject"] == NUMBER and event["subjects"] == [NUMBER]
    assert event["entity"] == demo_data.ENTITY and event["actor"] == "mia" and event["source"] == "approvals"
    assert event["data"] == {"id": registered["id"], "number": NUMBER, "revision": 1}

    stored = rpc("get", registered["id"])
    assert stored["coc"] == demo_data.TYPE_LEVEL and stored["issue_date"] == "2026-03-02"
    assert stored["history"] == [{"revision": 1, "extension": 0, "number": NUMBER, "issue_date": "2026-03-02"}]


def test_registered_event_is_published_to_the_exchange(amqp_uri, rpc):
    """The outbox relay delivers the stored events to `approvals.events` once a queue takes them."""
    queue = Queue(f"test-approvals-{uuid.uuid4().hex[:8]}", exchange=get_event_exchange("approvals"),
                  routing_key="#", auto_delete=True)
    with Connection(amqp_uri) as conn:
        inbox = conn.SimpleQueue(queue)
        try:
            rpc("put_entity", dict(demo_data.entity(), code=demo_data.ENTITY), user=ADMIN)
            approval = rpc("register", demo_data.approval())
            received = []
            for _ in range(2):
                message = inbox.get(block=True, timeout=10)
                message.ack()
                received.append(message.payload)
        finally:
            inbox.close()
    assert [e["event_type"] for e in received] == [ENTITY_CHANGED, APPROVAL_REGISTERED]
    assert received[1]["subject"] == NUMBER and received[1]["data"]["id"] == approval["id"]


def test_a_second_approval_with_the_same_base_number_is_a_conflict(registered, rpc, db_url, db_rows):
    again = dict(demo_data.approval(), number="e6*2018/858*01234*01")
    with pytest.raises(Conflict):
        rpc("register", again)
    assert len(db_rows(db_url, "SELECT id FROM approvals")) == 1


def test_register_for_an_unknown_entity_names_entity(rpc, db_url, outbox_rows):
    with pytest.raises(InvalidInput) as caught:
        rpc("register", dict(demo_data.approval(), entity="NOBODY"))
    assert fields_of(caught) == {"entity"}
    assert outbox_rows(db_url) == []


def test_register_with_a_malformed_number_names_number(registered, rpc):
    with pytest.raises(InvalidInput) as caught:
        rpc("register", dict(demo_data.approval(), number="e6*2018/858*264*01"))
    assert fields_of(caught) == {"number"}


def test_register_rejects_unknown_fields_by_name(registered, rpc):
    body = dict(demo_data.approval(), number="e6*2018/858*04321*00", colour="red")
    body["versions"] = [dict(VERSION, engine="V8")]
    with pytest.raises(InvalidInput) as caught:
        rpc("register", body)
    assert fields_of(caught) == {"colour", "versions[0].engine"}


# -- resolution -----------------------------------------------------------------------------------------

def test_resolve_a_batch(registered, rpc):
    results = rpc("resolve", [
        item("2026-11-02"),
        item("2026-03-01"),  # a day before the approval was issued
        item("2026-11-02", version="NWA1-RWD-XX"),
        item("2026-11-02", number="e6*2018/858*09999*00"),
        item("2026-03-02"),  # on the issue date
    ])
    assert [r["ok"] for r in results] == [True, False, False, False, True]
    ok = results[0]
    assert (ok["number"], ok["revision"], ok["approval_id"], ok["entity"]) == (
        NUMBER, 1, registered["id"], demo_data.ENTITY)
    coc = ok["coc"]
    assert coc["TypeApprovalNumber"] == NUMBER and coc["TypeApprovalIssueDate"] == "2026-03-02"
    assert (coc["Type"], coc["Variant"], coc["Version"], coc["VehicleCategory"]) == (
        VERSION["type"], VERSION["variant"], VERSION["version"], "M1")
    assert coc["MassGroup"] == VERSION["coc"]["MassGroup"]
    assert coc["ManufacturerTable"] == demo_data.TYPE_LEVEL["ManufacturerTable"]
    assert ok["ranges"] == VERSION["ranges"]

    assert [r.get("reason") for r in results[1:4]] == ["approval_not_yet_valid", "version_unknown",
                                                       "approval_unknown"]
    assert "2026-03-01" in results[1]["message"] and "2026-03-02" in results[1]["message"]
    assert "NWA1-RWD-XX" in results[2]["message"]


def test_resolve_names_the_bad_item_field(registered, rpc):
    with pytest.raises(InvalidInput) as caught:
        rpc("resolve", [item(), dict(item(), production_date="02/11/2026")])
    assert fields_of(caught) == {"items[1].production_date"}


def test_find_by_number(registered, rpc):
    [found] = rpc("find", NUMBER)
    assert found["id"] == registered["id"] and found["number"] == NUMBER
    assert [v["version"] for v in found["versions"]] == [VERSION["version"]]
    # any extension of the same approval finds it; another number does not
    assert [a["id"] for a in rpc("find", "e6*2018/858*01234*03")] == [registered["id"]]
    assert rpc("find", "e6*2018/858*09999*00") == []
    assert rpc("find", NUMBER, entities=["OTHER"]) == []
