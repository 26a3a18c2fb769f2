"""The change feed's view of audit entries: small payloads per event type and the `types` filter."""
from datetime import datetime, timezone

from common.contracts import events as ev
from services.audit.domain import chain
from common import feed
from common.feed import FEED_TYPES, feed_event, parse_types, summary

VIN = "WVWZZZ1JZXW000001"


def test_every_event_type_of_every_source_has_a_summary():
    produced = {t for types in ev.EVENTS_BY_SOURCE.values() for t in types}
    assert produced <= set(FEED_TYPES)


def test_vehicle_data_and_coc_stay_in_the_log():
    data = {"vehicles": [{"vin": VIN, "revision": 3, "entity": "ACME", "coc": {"MassGroup": {"ActualMass": 1707}},
                          "pinned": {"approval_id": "a", "approval_revision": 1, "content_sha256": "0" * 64}}]}
    assert summary(ev.VEHICLE_CHANGED, data) == {"vehicles": [{"vin": VIN, "revision": 3}]}
    signing = {"release_id": "r1", "signatory": {"sub": "sam", "name": "Sam"}, "vehicles": data["vehicles"]}
    assert summary(ev.RELEASE_SIGN_REQUESTED, signing) == {"release_id": "r1", "vins": [VIN]}


def test_validation_results_carry_findings_counts_not_findings():
    data = {"results": [{"vin": VIN, "revision": 2, "status": "blocked", "rule_pack": {"core": "1"}, "findings": [
        {"rule": "r1", "severity": "error", "path": "x", "message": "secret detail"},
        {"rule": "r2", "severity": "warning", "path": None, "message": "m"},
        {"rule": "r3", "severity": "error", "path": "y", "message": "m"}]}]}
    assert summary(ev.VALIDATION_COMPLETED, data) == {"results": [
        {"vin": VIN, "revision": 2, "status": "blocked", "findings": {"errors": 2, "warnings": 1}}]}


def test_certificates_carry_reference_id_and_version():
    data = {"release_id": "r1", "certificates": [{"vin": VIN, "reference_id": "ref", "version_number": 2,
                                                  "sha256": "f" * 64, "findings": [{"x": 1}]}]}
    assert summary(ev.CERTIFICATE_SIGNED, data) == {
        "release_id": "r1", "certificates": [{"vin": VIN, "reference_id": "ref", "version_number": 2}]}
    withdrawn = {"vin": VIN, "revision": 4, "reason": "recall", "certificate": {"reference_id": "ref",
                                                                                 "version_number": 2, "sha256": "f"}}
    assert summary(ev.VEHICLE_WITHDRAWN, withdrawn)["certificate"] == {"reference_id": "ref", "version_number": 2}


def test_an_unknown_type_or_a_malformed_payload_shows_nothing_of_it():
    assert summary("something_new", {"secret": 1}) == {}
    assert summary(ev.VEHICLE_CHANGED, {"vehicles": ["not an object", None]}) == {"vehicles": []}
    assert summary(ev.VEHICLE_CHANGED, None) == {}


def test_a_feed_event_names_id_type_time_entity_and_subjects():
    entry = {"seq": 7, "event_id": "2f1c3f7e-9d7e-4a8e-9c55-7a1e8a2b9c01", "event_type": ev.RELEASE_APPROVED,
             "source": "vehicles", "occurred_at": datetime(2026, 3, 1, 8, tzinfo=timezone.utc), "entity": "ACME",
             "subject": "r1", "subjects": ["r1", VIN], "actor": "rita",
             "payload": {"data": {"release_id": "r1", "vins": [VIN]}, "trace": {"traceparent": "x"}}}
    event = feed_event(entry, chain.canonical_time)
    assert event == {"id": entry["event_id"], "type": "release_approved", "source": "vehicles",
                     "occurred_at": chain.canonical_time(entry["occurred_at"]), "entity": "ACME", "subject": "r1",
                     "subjects": ["r1", VIN], "actor": "rita", "data": {"release_id": "r1", "vins": [VIN]}}
    assert "seq" not in event  # a sequence number would tell how many events of others happened in between


def test_types_filter():
    assert parse_types(None) == (None, [])
    assert parse_types("") == (None, [])
    assert parse_types("certificate_signed, vehicle_status_changed,certificate_signed") == (
        ["certificate_signed", "vehicle_status_changed"], [])
    types, errors = parse_types("certificate_signed,nope")
    assert types is None and errors[0]["field"] == "types" and "'nope'" in errors[0]["message"]
    assert parse_types(",".join(["certificate_signed"] * 51))[1][0]["field"] == "types"


def test_a_page_ends_early_once_its_events_name_many_subjects():
    assert feed.page_length([1] * 100) == 100
    assert feed.page_length([1001] * 10) == 4  # 4,004 ≤ 5,000 < 5,005
    assert feed.page_length([20000, 1, 1]) == 1  # the first one always
    assert feed.page_length([2500, 2500, 1]) == 2 and feed.page_length([]) == 0
