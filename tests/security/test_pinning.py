"""What is sealed is what was reviewed (finding 3): over HTTP against the whole stack, with a legal entity and
type approval of this module's own (no other test's vehicles are touched by its extensions).

A release request pins per vehicle the vehicle revision, the approval revision in force, the rule-pack versions
and the SHA-256 of the canonical composed CoC; review sees that content; an approval extension that reaches the
vehicles after the review takes them out of the release (reopened, audited) and nothing is sealed that was not
reviewed; a release approved without changes seals exactly the pinned content."""
import copy
import hashlib

import pytest

from cli import demo_data
from cli.client import ApiError
from common.canonical import content_sha256

pytestmark = pytest.mark.e2e

ENTITY = "PINNED-MOTORS"
LEGAL_NAME = "PINNED MOTORS NV"
WMI = "PMZ"
SIGNATORY = {"sub": "pia", "name": "PIA PEETERS", "position": "HOMOLOGATION", "location": "GENT"}
SETTLED = ("released", "completed_with_failures", "closed")


@pytest.fixture(scope="module")
def people(stack):
    e = [ENTITY]
    admin = stack.client("ada", ["admin"])
    admin.put(f"/v1/entities/{ENTITY}", dict(demo_data.entity(), legal_name=LEGAL_NAME, wmis=[WMI],
                                             signatories=[SIGNATORY]))
    return {"manager": stack.client("amir", ["approvals_manager"], e),
            "steward": stack.client("stef", ["data_steward"], e),
            "reviewer": stack.client("rosa", ["reviewer"], e),
            "signer": stack.client(SIGNATORY["sub"], ["signer"], e),
            "auditor": stack.client("audrey", ["auditor"], ["*"]),
            "stranger": stack.client("otto", ["reviewer"], ["OTHERCO"])}


def approval(sequence):
    """This module's approval `e6*2018/858*<sequence>*00`, issued 2026-03-02, naming its legal entity."""
    data = demo_data.approval()
    coc = copy.deepcopy(data["coc"])
    coc["ManufacturerTable"][0]["ManufacturerName"] = LEGAL_NAME
    return dict(data, number=f"e6*2018/858*{sequence}*00", entity=ENTITY, coc=coc)


def approved_release(people, wait, sequence, count, seed):
    """`count` vehicles (made from 2026-11-02) of a new approval, valid, in a release requested and approved."""
    registered = people["manager"].post("/v1/approvals", approval(sequence))
    rows = [dict(v, vin=vin, entity=ENTITY, approval_number=registered["number"])
            for v, vin in zip(demo_data.vehicles(count, seed=seed), demo_data.vins(count, seed=seed, wmi=WMI))]
    assert people["steward"].post("/v1/vehicles/import", {"vehicles": rows})["accepted"] == count
    vins = [r["vin"] for r in rows]

    def valid():
        return all(people["steward"].get(f"/v1/vehicles/{vin}")["status"] == "valid" for vin in vins)

    wait(valid, 60, interval=0.3, what="validation of this module's vehicles")
    release = people["steward"].post("/v1/releases", {"vins": vins, "note": "pinning"})
    assert release["accepted"] == count, release
    people["reviewer"].post(f"/v1/releases/{release['id']}/approve")
    return registered, release["id"], sorted(vins)


def extend(people, registered, issue_date):
    """Extension 01 raising the maximum speed (type-level data every vehicle of the approval carries)."""
    return people["manager"].post(f"/v1/approvals/{registered['id']}/extensions", {
        "extension": 1, "issue_date": issue_date, "reason": "software update", "coc": {"MaximumSpeed": 185}})


def sign_and_settle(people, wait, release_id):
    """Ask for the seals (refused when the release no longer holds an approved item) and wait for the outcome."""
    try:
        people["signer"].post(f"/v1/releases/{release_id}/sign")
    except ApiError as exc:
        assert exc.response.status_code == 409, exc.response.text
    return wait(lambda: (lambda r: r if r["status"] in SETTLED else None)(
        people["steward"].get(f"/v1/releases/{release_id}")), 120, interval=0.5, what="the release to settle")


def test_finding_03_an_approval_extended_after_review_never_changes_what_is_sealed(people, wait):
    registered, release_id, [vin] = approved_release(people, wait, "07301", 1, seed=301)
    # back-dated: issued before the vehicle was made, after the registration; accepted, it applies to the vehicle
    assert extend(people, registered, "2026-10-01")["number"] == "e6*2018/858*07301*01"

    settled = sign_and_settle(people, wait, release_id)
    [item] = settled["vehicles"]
    assert item["state"] in ("reopened", "failed"), settled
    assert people["steward"].get(f"/v1/vehicles/{vin}/certificates")["items"] == []
    assert people["steward"].request("GET", f"/v1/vehicles/{vin}/certificate", expect=None).status_code == 404


def test_changes_reopen_review_and_an_unchanged_release_seals_the_pinned_content(people, wait, stack):
    steward, reviewer = people["steward"], people["reviewer"]
    registered, release_id, vins = approved_release(people, wait, "07302", 2, seed=302)
    _, untouched_id, [untouched] = approved_release(people, wait, "07303", 1, seed=303)

    # review sees the pinned content and its digest, per item
    release = reviewer.get(f"/v1/releases/{release_id}")
    item = reviewer.get(f"/v1/releases/{release_id}/items/{vins[0]}")
    assert item["content_sha256"] == content_sha256(item["content"])
    assert item["content"]["VehicleIdentificationNumber"] == vins[0] and item["content"]["MaximumSpeed"] == 180
    assert (item["approval_number"], item["approval_revision"]) == (registered["number"], 1)
    assert item["rule_packs"] and "core" in item["rule_packs"]
    assert {v["vin"]: v["content_sha256"] for v in release["vehicles"]}[vins[0]] == item["content_sha256"]
    page = reviewer.request("GET", f"/dashboard/releases/{release_id}")
    assert item["content_sha256"] in page.text and f"/dashboard/releases/{release_id}/items/{vins[0]}" in page.text
    pinned_page = reviewer.request("GET", f"/dashboard/releases/{release_id}/items/{vins[0]}")
    assert item["content_sha256"] in pinned_page.text and "180" in pinned_page.text
    hidden = people["stranger"].request("GET", f"/v1/releases/{release_id}/items/{vins[0]}", expect=None)
    assert hidden.status_code == 404 and item["content_sha256"] not in hidden.text
    assert "/v1/releases/{id}/items/{vin}" in stack.client("ada", ["admin"]).get("/openapi.json")["paths"]

    # an extension may not be issued on or before the previous revision's date
    refused = people["manager"].request("POST", f"/v1/approvals/{registered['id']}/extensions", expect=None, json={
        "extension": 1, "issue_date": "2026-03-02", "reason": "same day", "coc": {"MaximumSpeed": 185}})
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["issue_date"]

    # issued 2026-11-03: it applies to the vehicle made that day, not to the one made the day before
    made = {vin: steward.get(f"/v1/vehicles/{vin}")["production_date"] for vin in vins}
    spared, touched = sorted(vins, key=made.get)
    assert (made[spared], made[touched]) == ("2026-11-02", "2026-11-03")
    extend(people, registered, "2026-11-03")
    reason = f"approval {registered['number'][:-2]}01: approval extended"

    def reopened():
        items = {v["vin"]: v for v in reviewer.get(f"/v1/releases/{release_id}")["vehicles"]}
        return items if items[touched]["state"] == "reopened" else None

    items = wait(reopened, 30, what=f"{touched} to leave the release")
    assert items[touched]["reopened_reason"] == reason and items[spared]["state"] == "approved"
    assert reason in reviewer.request("GET", f"/dashboard/releases/{release_id}").text
    wait(lambda: steward.get(f"/v1/vehicles/{touched}")["status"] == "valid", 60, what="validation again")

    def audited():
        entries = people["auditor"].get("/v1/audit", params={"subject": touched})["entries"]
        return [e for e in entries if e["event_type"] == "release_item_reopened"]

    [entry] = wait(audited, 30, what="release_item_reopened in the audit trail")
    assert entry["actor"] == "amir"

    # the rest of the release seals, each certificate's content digest the pinned one
    for rid, expected in ((release_id, {spared: "released", touched: "reopened"}), (untouched_id, {untouched: "released"})):
        settled = sign_and_settle(people, wait, rid)
        assert settled["status"] == "released" and settled["counts"].get("released") == 1, settled
        assert {v["vin"]: v["state"] for v in settled["vehicles"]} == expected, settled
        for v in settled["vehicles"]:
            if v["state"] != "released":
                continue
            [version] = steward.get(f"/v1/vehicles/{v['vin']}/certificates")["items"]
            assert version["content_sha256"] == v["content_sha256"]
            document = steward.request("GET", f"/v1/vehicles/{v['vin']}/certificate").content
            assert hashlib.sha256(document).hexdigest() == version["sha256"]
            assert b"<MaximumSpeed>180</MaximumSpeed>" in document
