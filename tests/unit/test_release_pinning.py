"""What a release pins and signing checks: the canonical JSON of the composed CoC and its SHA-256, the
approval revision a pin names, and when a pin no longer holds."""
import copy
import hashlib
from datetime import date

import pytest

from cli import demo_data
from common.canonical import canonical_json, content_sha256
from common.composition import reviewed_content
from common.resolution_plan import ResolutionPlan, pinned_item
from services.approvals.domain.resolution import Approval, Revision, resolve
from services.vehicles.domain.pinning import pin, still_pinned


def test_canonical_json_sorts_keys_has_no_whitespace_and_is_utf8():
    document = {"b": [1, {"z": None, "a": "Š"}], "a": 1.5}
    assert canonical_json(document) == '{"a":1.5,"b":[1,{"a":"Š","z":null}]}'.encode("utf-8")
    reordered = {"a": 1.5, "b": [1, {"a": "Š", "z": None}]}
    assert content_sha256(reordered) == content_sha256(document) == hashlib.sha256(canonical_json(document)).hexdigest()
    assert content_sha256({"b": [{"a": "Š", "z": None}, 1], "a": 1.5}) != content_sha256(document)  # rows keep order
    with pytest.raises(ValueError):
        canonical_json({"a": float("nan")})
    with pytest.raises(TypeError):
        canonical_json({"a": date(2026, 1, 1)})  # not JSON: never serialised some other way


def test_reviewed_content_leaves_out_the_signing_authority():
    vehicle = {"vin": "V" * 17, "production_date": "2026-07-01", "coc": {"SigningAuthorityTable": [{"x": 1}]}}
    content, digest = reviewed_content({"TypeApprovalNumber": "e6*2018/858*00264*00"}, vehicle)
    assert "SigningAuthorityTable" not in content and digest == content_sha256(content)
    assert content["VehicleIdentificationNumber"] == "V" * 17


def approval_with_two_revisions():
    data = demo_data.approval()
    versions = {(v["type"], v["variant"], v["version"]): {"coc": v["coc"], "ranges": v["ranges"]}
                for v in data["versions"]}
    later = copy.deepcopy(versions)
    for entry in later.values():
        entry["coc"] = dict(entry["coc"], Remarks="extension 01")
    number = data["number"]
    return Approval(
        id="a1", number=number, entity=data["entity"], approval_type=data["approval_type"],
        provisional=data["provisional"], category=data["category"], stage_of_completion=data["stage_of_completion"],
        status="valid", withdrawn_on=None, revisions=[
            Revision(revision=1, extension=0, number=number, issue_date=date(2026, 3, 2), coc=data["coc"],
                     versions=versions),
            Revision(revision=2, extension=1, number=number[:-2] + "01", issue_date=date(2026, 6, 1),
                     coc=data["coc"], versions=later)]), next(iter(versions))


def test_a_pinned_revision_resolves_as_that_revision_saying_which_is_in_force():
    approval, key = approval_with_two_revisions()
    now = resolve(approval, *key, date(2026, 7, 1))
    pinned = resolve(approval, *key, date(2026, 7, 1), pinned_revision=1)
    assert (now["revision"], now["in_force_revision"]) == (2, 2)
    assert (pinned["revision"], pinned["in_force_revision"], pinned["number"]) == (1, 2, approval.number)
    assert "Remarks" not in pinned["coc"] and now["coc"]["Remarks"] == "extension 01"
    assert resolve(approval, *key, date(2026, 7, 1), pinned_revision=7)["reason"] == "approval_unknown"


def test_a_pin_holds_until_the_approval_revision_or_the_content_changes():
    approval, key = approval_with_two_revisions()
    vehicle = dict(demo_data.vehicles(1, seed=1)[0], revision=3)
    before = resolve(approval, *key, date(2026, 5, 1))
    pinned, reason = pin(vehicle, before, {"rule_packs": {"core": "1"}, "approval_revision": 1})
    assert reason is None and pinned["approval_revision"] == 1 and pinned["rule_packs"] == {"core": "1"}
    assert pinned["content_sha256"] == content_sha256(pinned["content"])
    assert still_pinned(dict(pinned), pin(vehicle, before)[0])
    after = resolve(approval, *key, date(2026, 7, 1))
    assert not still_pinned(pinned, pin(vehicle, after)[0])
    assert not still_pinned(pinned, None)
    # judged under another approval revision than the one in force: validated again before a release
    assert pin(vehicle, after, {"approval_revision": 1})[0] is None


def test_signing_asks_once_per_distinct_pinned_reference():
    vehicle = dict(demo_data.vehicles(1, seed=1)[0], entity="E")
    plan = ResolutionPlan([dict(vehicle, pinned={"approval_revision": 1}), dict(vehicle, pinned={"approval_revision": 1}),
                           dict(vehicle, pinned={"approval_revision": 2}), vehicle], pinned_item)
    assert [i.get("revision") for i in plan.items] == [1, 2, None]
