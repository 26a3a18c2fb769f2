"""The approvals service in a real nameko container on real RabbitMQ and PostgreSQL.

Test data is the demo manufacturer of `cli.demo_data` (schema-valid IVI type-level data).
"""
import copy
import uuid

import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from cli import demo_data
from common.config import REPO_ROOT
from common.contracts.events import (
    APPROVAL_EXTENDED, APPROVAL_REGISTERED, APPROVAL_VERSION_ADDED, APPROVAL_WITHDRAWN, ENTITY_CHANGED, data_errors,
)
from common.errors import Conflict, InvalidInput, NotFound
from common.ivi import load_schema, read_ivi, split_levels
from services.approvals.service import ApprovalsService
from tests.unit.test_approvals_registration import certificate

SAMPLES_DIR = REPO_ROOT.parent / "shared" / "ivi" / "samples"
XSD_PATH = REPO_ROOT.parent / "shared" / "ivi" / "IVI2.0.xsd"

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


def item(production_date="2026-11-02", number=NUMBER, version=VERSION["version"], entity=demo_data.ENTITY):
    return {"entity": entity, "number": number, "type": VERSION["type"], "variant": VERSION["variant"], "version": version,
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
    [registration] = stored["history"]
    assert {k: registration[k] for k in ("revision", "extension", "number", "issue_date", "reason", "created_by")} == {
        "revision": 1, "extension": 0, "number": NUMBER, "issue_date": "2026-03-02", "reason": "registration",
        "created_by": "mia"}
    assert stored["versions"][0]["type_level_coc"]["TypeApprovalNumber"] == NUMBER


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


def test_an_approval_number_is_unique_within_its_entity_only(registered, rpc, db_url, db_rows):
    """Another entity holding the same number neither blocks nor sees this one: each resolves its own."""
    rpc("put_entity", dict(demo_data.entity(), code="OTHER", legal_name="OTHER MOTORS BV", wmis=["WTM"]), user=ADMIN)
    theirs = copy.deepcopy(demo_data.approval())
    theirs["coc"]["ManufacturerTable"][0]["ManufacturerName"] = "OTHER MOTORS BV"
    other = rpc("register", dict(theirs, entity="OTHER"), user=("oz", ["approvals_manager"], ["OTHER"]))
    assert other["id"] != registered["id"]
    with pytest.raises(Conflict, match="legal entity OTHER already holds"):
        rpc("register", dict(theirs, entity="OTHER"), user=("oz", ["approvals_manager"], ["OTHER"]))
    ours, their = rpc("resolve", [item(), item(entity="OTHER")], user=ADMIN)
    assert (ours["approval_id"], their["approval_id"]) == (registered["id"], other["id"])
    # a caller resolves within its own entities only: OTHER's approval is unknown to a manager of NORDWIND
    unknown = item(entity="OTHER", number="e6*2018/858*09999*00")
    assert rpc("resolve", [item(entity="OTHER")]) == rpc("resolve", [unknown])
    assert [a["id"] for a in rpc("find", NUMBER)] == [registered["id"]]
    assert len(db_rows(db_url, "SELECT id FROM approvals")) == 2


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


def test_an_approval_resolves_only_within_the_vehicles_entity(registered, rpc):
    """Another entity's vehicle naming this approval number gets exactly the answer of a number never registered."""
    foreign, unknown = rpc("resolve", [item(entity="OTHERCO"), item(entity="OTHERCO", number="e6*2018/858*09999*00")])
    assert foreign == dict(unknown) and foreign["reason"] == "approval_unknown", (foreign, unknown)


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


# -- document checks at registration ------------------------------------------------------------------


def test_register_names_every_bad_ivi_path(registered, rpc):
    body = dict(demo_data.approval(), number="e6*2018/858*04321*00")
    body["coc"] = dict(body["coc"], MassGroup={"ActualMass": 1907}, MaximumSpeed=-1)
    body["versions"] = [dict(VERSION, coc={"AxleTable": [{"AxleNumber": 1, "TyreAxleTable": [{"RimSize": 8}]}]},
                             ranges={"MassGroup.MassInRunningOrder": {"min": 1960, "max": 1860}})]
    with pytest.raises(InvalidInput) as caught:
        rpc("register", body)
    assert fields_of(caught) == {"coc.MassGroup.ActualMass", "coc.MaximumSpeed",
                                 "versions[0].coc.AxleTable[0].TyreAxleTable[0].RimSize",
                                 "versions[0].ranges.MassGroup.MassInRunningOrder"}
    assert rpc("find", "e6*2018/858*04321*00") == []


def test_register_refuses_an_entity_the_approval_does_not_name(registered, rpc):
    rpc("put_entity", dict(demo_data.entity(), code="OTHER", legal_name="OTHER MOTORS BV", wmis=["ZZZ"]),
        user=ADMIN)
    with pytest.raises(InvalidInput) as caught:
        rpc("register", dict(demo_data.approval(), number="e6*2018/858*04321*00", entity="OTHER"),
            user=("mia", ["approvals_manager"], [demo_data.ENTITY, "OTHER"]))
    assert fields_of(caught) == {"entity"}
    assert "OTHER MOTORS BV" in caught.value.errors[0]["message"]


def test_put_entity_refuses_a_seal_certificate_of_another_organisation(rpc, db_url, db_rows):
    pem, _ = certificate("SOMEONE ELSE NV")
    with pytest.raises(InvalidInput) as caught:
        rpc("put_entity", dict(demo_data.entity(), code=demo_data.ENTITY, seal_certificate=pem), user=ADMIN)
    [error] = caught.value.errors
    assert error["field"] == "seal_certificate"
    assert "'SOMEONE ELSE NV'" in error["message"] and f"'{demo_data.LEGAL_NAME}'" in error["message"]
    assert db_rows(db_url, "SELECT code FROM entities") == []
    pem, _ = certificate(demo_data.LEGAL_NAME)
    assert rpc("put_entity", dict(demo_data.entity(), code=demo_data.ENTITY, seal_certificate=pem),
               user=ADMIN)["seal_certificate"] == pem


# -- extensions and withdrawal ------------------------------------------------------------------------------

LONG_RANGE = dict(VERSION, version="NWA1-RWD-XR",
                  coc={"MassGroup": {"MassInRunningOrder": 1990, "TechnicallyPermissibleMaximumLadenMass": 2450}})


def extension_body(extension=1, issue_date="2026-06-01", **changes):
    return dict({"extension": extension, "issue_date": issue_date, "reason": "long-range battery",
                 "versions": [LONG_RANGE]}, **changes)


def test_extend_stores_a_revision_and_announces_it(registered, rpc, db_url, outbox_rows, db_rows):
    extended = rpc("extend", registered["id"], extension_body(coc={"MaximumSpeed": 185}))
    assert extended == {"id": registered["id"], "number": "e6*2018/858*01234*01", "revision": 2, "extension": 1,
                        "issue_date": "2026-06-01"}
    rows = db_rows(db_url, "SELECT revision, number, reason, created_by, coc->'MaximumSpeed' AS speed "
                           "FROM approval_revisions ORDER BY revision")
    assert rows == [
        {"revision": 1, "number": NUMBER, "reason": "registration", "created_by": "mia", "speed": 180},
        {"revision": 2, "number": "e6*2018/858*01234*01", "reason": "long-range battery", "created_by": "mia",
         "speed": 185}]
    [event] = outbox_rows(db_url, APPROVAL_EXTENDED)
    assert event["data"] == {"id": registered["id"], "number": "e6*2018/858*01234*01", "revision": 2,
                             "extension": 1, "issue_date": "2026-06-01", "previous_number": NUMBER}
    assert event["subjects"] == ["e6*2018/858*01234*01", NUMBER] and data_errors(event) == {}

    stored = rpc("get", registered["id"])
    assert (stored["number"], stored["revision"], stored["issue_date"]) == ("e6*2018/858*01234*01", 2, "2026-06-01")
    assert [v["version"] for v in stored["versions"]] == ["NWA1-RWD-LR", "NWA1-RWD-XR"]
    assert [h["versions_added"] for h in stored["history"]][1] == [
        {"type": "NWA1", "variant": "NWA1-RWD", "version": "NWA1-RWD-XR"}]
    assert rpc("find", "e6*2018/858*01234*00")[0]["number"] == "e6*2018/858*01234*01"


def test_extend_refusals_name_the_field(registered, rpc, db_url, outbox_rows):
    rpc("extend", registered["id"], extension_body())
    later = "2026-07-01"  # after *01
    for body, field in [
        (extension_body(extension=1, issue_date="2026-07-01"), "extension"),
        (extension_body(extension=2, issue_date="2026-05-01"), "issue_date"),
        (extension_body(extension=2, issue_date="2026-06-01"), "issue_date"),  # the day of *01: never back-dated
        (extension_body(extension=2, issue_date=later, coc={"ColourTable": [{"Colour": "1"}]}), "coc.ColourTable"),
        (extension_body(extension=2, issue_date=later,
                        versions=[dict(LONG_RANGE, coc={"MassGroup": {"MassInRunningOrder": "x"}})]),
         "versions[0].coc.MassGroup.MassInRunningOrder"),
        (extension_body(extension=2, issue_date=later, removed_versions=[{"type": "A", "variant": "B", "version": "C"}]),
         "removed_versions[0]"),
        (extension_body(extension=2, issue_date=later, reason=""), "reason"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            rpc("extend", registered["id"], body)
        assert fields_of(caught) == {field}, (field, caught.value.errors)
    assert len(outbox_rows(db_url, APPROVAL_EXTENDED)) == 1
    with pytest.raises(NotFound):
        rpc("extend", str(uuid.uuid4()), extension_body())


def test_resolve_follows_the_extensions_by_production_date(registered, rpc):
    rpc("extend", registered["id"], extension_body())
    heavier = dict(VERSION, coc={"MassGroup": {"MassInRunningOrder": 1950, "TechnicallyPermissibleMaximumLadenMass": 2400}})
    rpc("extend", registered["id"], extension_body(extension=2, issue_date="2026-09-01", versions=[heavier]))
    results = rpc("resolve", [
        item("2026-05-31"), item("2026-06-01"), item("2026-09-01"),
        item("2026-10-01", number="e6*2018/858*01234*01"),   # refers to *01, made after *02 was issued
        item("2026-07-01", number="e6*2018/858*01234*02"),   # refers to *02 before it was issued
        item("2026-05-31", version="NWA1-RWD-XR"), item("2026-06-01", version="NWA1-RWD-XR"),
        item("2026-09-02", number="e6*2018/858*01234*02"),
    ])
    assert [r.get("number") for r in results[:4]] == [
        NUMBER, "e6*2018/858*01234*01", "e6*2018/858*01234*02", "e6*2018/858*01234*02"]
    assert [r["coc"]["MassGroup"]["MassInRunningOrder"] for r in results[:4]] == [1890, 1890, 1950, 1950]
    assert results[3]["superseded"] is True and results[7]["superseded"] is False
    assert results[3]["coc"]["TypeApprovalIssueDate"] == "2026-09-01"
    assert results[4]["reason"] == "approval_not_yet_valid" and "extension 02" in results[4]["message"]
    assert [r["ok"] for r in results[5:]] == [False, True, True] and results[5]["reason"] == "version_unknown"


def test_withdraw_stops_resolution_from_its_date_and_is_final(registered, rpc, db_url, outbox_rows):
    withdrawn = rpc("withdraw", registered["id"], {"effective_date": "2026-12-01", "reason": "CoP failure"})
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdrawal"]["withdrawn_by"] == "mia"
    assert withdrawn["withdrawal"]["effective_date"] == "2026-12-01" and withdrawn["withdrawal"]["reason"] == "CoP failure"
    [event] = outbox_rows(db_url, APPROVAL_WITHDRAWN)
    assert event["data"] == {"id": registered["id"], "number": NUMBER, "effective_date": "2026-12-01",
                             "reason": "CoP failure"}
    assert data_errors(event) == {}
    results = rpc("resolve", [item("2026-11-30"), item("2026-12-01"), item("2027-01-01")])
    assert [r["ok"] for r in results] == [True, False, False]
    assert {r["reason"] for r in results[1:]} == {"approval_withdrawn"}
    with pytest.raises(Conflict):
        rpc("withdraw", registered["id"], {"effective_date": "2027-01-01", "reason": "again"})
    with pytest.raises(Conflict):
        rpc("extend", registered["id"], extension_body())


def test_withdraw_names_a_bad_date(registered, rpc):
    with pytest.raises(InvalidInput) as caught:
        rpc("withdraw", registered["id"], {"effective_date": "2026-03-01", "reason": "too early"})
    assert fields_of(caught) == {"effective_date"}
    with pytest.raises(InvalidInput) as caught:
        rpc("withdraw", registered["id"], {"effective_date": "soon"})
    assert fields_of(caught) == {"effective_date", "reason"}


# -- from IVI messages ---------------------------------------------------------------------------------------------

TOYOTA_EUROPE = {"legal_name": "TOYOTA MOTOR EUROPE NV/SA", "role": "eu_representative",
                 "address": {"line1": "BOURGETLAAN 60", "place": "BRUSSELS", "country": "BELGIUM"}}


@pytest.fixture
def mirai(rpc):
    """The official Mirai sample as text, and its entity registered."""
    path = SAMPLES_DIR / "M1-03-Mirai.xml"
    if not path.is_file():
        pytest.skip(f"the official samples are not in {SAMPLES_DIR}")
    rpc("put_entity", dict(TOYOTA_EUROPE, code="TME"), user=ADMIN)
    return path.read_text(encoding="utf-8")


TME_MANAGER = ("tom", ["approvals_manager"], ["TME"])


def test_from_ivi_registers_the_type_level_part_and_reads_it_back(mirai, rpc, db_url, outbox_rows):
    result = rpc("from_ivi", "TME", mirai, user=TME_MANAGER)
    assert (result["outcome"], result["number"], result["revision"]) == ("registered", "e6*2018/858*00002*03", 1)
    assert (result["type"], result["variant"], result["version"]) == ("AD2(JP,M)", "JPD20(E)", "JPD20L-CEDHSW(1D)")
    stored = rpc("get", result["id"], user=TME_MANAGER)
    type_level = split_levels(read_ivi(mirai.encode(), load_schema(XSD_PATH))["coc"])[0]
    assert stored["versions"][0]["type_level_coc"] == type_level
    assert "TypeApprovalNumber" not in stored["coc"] and stored["category"] == "M1"
    assert len(outbox_rows(db_url, APPROVAL_REGISTERED)) == 1

    again = rpc("from_ivi", "TME", mirai, user=TME_MANAGER)
    assert again["outcome"] == "unchanged" and again["id"] == result["id"]


def test_from_ivi_adds_a_second_version_and_refuses_a_changed_one(mirai, rpc, db_url, outbox_rows):
    first = rpc("from_ivi", "TME", mirai, user=TME_MANAGER)
    second = mirai.replace("<Version>JPD20L-CEDHSW(1D)</Version>", "<Version>JPD20L-CEDHSW(2D)</Version>") \
                  .replace("<MaximumSpeed>175</MaximumSpeed>", "<MaximumSpeed>170</MaximumSpeed>")
    assert second.count("(2D)") == 1 and "<MaximumSpeed>170" in second
    added = rpc("from_ivi", "TME", second, user=TME_MANAGER)
    assert (added["outcome"], added["id"], added["revision"]) == ("version_added", first["id"], 1)
    [event] = outbox_rows(db_url, APPROVAL_VERSION_ADDED)
    assert event["data"]["version"] == "JPD20L-CEDHSW(2D)" and data_errors(event) == {}
    speeds = {v["version"]: v["type_level_coc"]["MaximumSpeed"] for v in rpc("get", first["id"], user=TME_MANAGER)["versions"]}
    assert speeds == {"JPD20L-CEDHSW(1D)": 175, "JPD20L-CEDHSW(2D)": 170}

    changed = mirai.replace("<MaximumSpeed>175</MaximumSpeed>", "<MaximumSpeed>160</MaximumSpeed>")
    with pytest.raises(Conflict) as caught:
        rpc("from_ivi", "TME", changed, user=TME_MANAGER)
    assert "exists with different data (in MaximumSpeed)" in caught.value.detail


def test_from_ivi_names_what_is_wrong_in_the_message(mirai, rpc):
    for document, field in [
        (mirai.replace("<MaximumSpeed>175</MaximumSpeed>", "<MaximumSpeed>fast</MaximumSpeed>"), "MaximumSpeed"),
        (mirai.replace("<VehicleCategory>M1</VehicleCategory>", "<VehicleCategory>M9</VehicleCategory>"),
         "VehicleCategory"),
        (mirai.replace("<TypeApprovalNumber>e6*2018/858*00002*03</TypeApprovalNumber>",
                       "<TypeApprovalNumber>e6*2018/858*2*03</TypeApprovalNumber>"), "TypeApprovalNumber"),
        ("<InitialVehicleInformation", "_body"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            rpc("from_ivi", "TME", document, user=TME_MANAGER)
        assert fields_of(caught) == {field}, (field, caught.value.errors)
    with pytest.raises(InvalidInput) as caught:
        rpc("from_ivi", demo_data.ENTITY, mirai)
    assert fields_of(caught) == {"entity"}  # NORDWIND is not registered here
