"""Tenant isolation over HTTP (issue 13, finding 4 and the VIN half of finding 10).

The attacker holds a valid token for another legal entity. Two entities of this module's own, ALPHA and
BRAVO, share the session stack with the other modules: ALPHA holds type approvals, BRAVO's vehicles name
their numbers. A number BRAVO does not hold must behave exactly like one never registered, and a VIN ALPHA
holds must not be said to belong to someone else.
"""
import copy

import pytest

from cli import demo_data
from common.config import REPO_ROOT

pytestmark = pytest.mark.e2e

XML = {"Content-Type": "application/xml"}
SAMPLE = REPO_ROOT.parent / "shared" / "ivi" / "samples" / "M1-01-LexusRZ450e.xml"
SAMPLE_NUMBER, SAMPLE_MANUFACTURER = "e6*2018/858*00264*01", "TOYOTA MOTOR CORPORATION"

ALPHA, BRAVO = "TN-ALPHA", "TN-BRAVO"
LEGAL_NAMES = {ALPHA: "TENANT ALPHA MOTORS NV", BRAVO: "TENANT BRAVO MOTORS NV"}
WMIS = {ALPHA: "TA9", BRAVO: "TB9"}
HELD = "e6*2018/858*06401*00"  # ALPHA's approval, registered as JSON
HELD_FROM_IVI = "e6*2018/858*06402*01"  # ALPHA's approval, registered from an IVI message
NEVER_REGISTERED = "e6*2018/858*06499*00"


def approval_of(entity, number):
    """The demo approval, named for `entity` (its manufacturer is the entity's legal name)."""
    body = copy.deepcopy(demo_data.approval())
    body["coc"]["ManufacturerTable"][0]["ManufacturerName"] = LEGAL_NAMES[entity]
    return dict(body, entity=entity, number=number)


def vehicles_of(entity, count, seed, number):
    out = []
    for vehicle, vin in zip(demo_data.vehicles(count, seed=seed), demo_data.vins(count, seed, wmi=WMIS[entity])):
        out.append(dict(vehicle, vin=vin, entity=entity, approval_number=number))
    return out


def ivi_message(entity, number):
    text = SAMPLE.read_text(encoding="utf-8")
    return text.replace(SAMPLE_NUMBER, number).replace(SAMPLE_MANUFACTURER, LEGAL_NAMES[entity]).encode("utf-8")


def blind(value, *secrets):
    """`value` as JSON-like data with every secret replaced by a placeholder: what stays must be equal."""
    if isinstance(value, dict):
        return {k: blind(v, *secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [blind(v, *secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "<X>")
    return value


@pytest.fixture(scope="module")
def tenants(stack):
    admin = stack.client("ada", ["admin"])
    for code in (ALPHA, BRAVO):
        admin.put(f"/v1/entities/{code}", {
            "legal_name": LEGAL_NAMES[code], "role": "manufacturer",
            "address": {"line1": "LINE 1", "place": "PLACE", "country": "BELGIUM"}, "wmis": [WMIS[code]]})
    return {code: {
        "manager": stack.client(f"manager-{code.lower()}", ["approvals_manager"], [code]),
        "steward": stack.client(f"steward-{code.lower()}", ["data_steward"], [code]),
        "viewer": stack.client(f"viewer-{code.lower()}", ["viewer"], [code]),
    } for code in (ALPHA, BRAVO)}


def settled(client, vin, wait, states=("valid", "blocked")):
    return wait(lambda: (lambda v: v if v["status"] in states else None)(client.get(f"/v1/vehicles/{vin}")),
                60, what=f"vehicle {vin} to be judged")


def test_finding_04_another_entitys_approval_number_behaves_like_an_unknown_one(stack, tenants, wait):
    alpha, bravo = tenants[ALPHA], tenants[BRAVO]
    held_id = alpha["manager"].post("/v1/approvals", approval_of(ALPHA, HELD))["id"]

    [own] = vehicles_of(ALPHA, 1, 6410, HELD)
    foreign, twin = vehicles_of(BRAVO, 2, 6411, HELD)
    unknown = dict(foreign, vin=twin["vin"], approval_number=NEVER_REGISTERED)  # differs in VIN and number only
    assert alpha["steward"].post("/v1/vehicles/import", {"vehicles": [own]})["accepted"] == 1
    assert bravo["steward"].post("/v1/vehicles/import", {"vehicles": [foreign, unknown]})["accepted"] == 2
    assert settled(alpha["steward"], own["vin"], wait)["status"] == "valid"
    judged = {v["vin"]: settled(bravo["steward"], v["vin"], wait) for v in (foreign, unknown)}

    # validation: the same findings as for a number never registered; nothing names ALPHA or its approval
    secrets = (foreign["vin"], unknown["vin"], HELD, NEVER_REGISTERED)
    assert blind(judged[foreign["vin"]]["findings"], *secrets) == blind(judged[unknown["vin"]]["findings"], *secrets)
    text = str(judged[foreign["vin"]]["findings"])
    assert ALPHA not in text and LEGAL_NAMES[ALPHA] not in text
    assert demo_data.APPROVAL_ISSUE_DATE.isoformat() not in text

    # the readable CoC preview: no type-level data of ALPHA's approval, the same problem as an unknown number
    views = {v["vin"]: bravo["viewer"].get(f"/v1/vehicles/{v['vin']}/coc") for v in (foreign, unknown)}
    assert blind(views[foreign["vin"]], *secrets) == blind(views[unknown["vin"]], *secrets)
    assert LEGAL_NAMES[ALPHA] not in str(views[foreign["vin"]])

    # impact of ALPHA's approval, even for a viewer of both entities, holds ALPHA's vehicles only
    both = stack.client("vera", ["viewer"], [ALPHA, BRAVO])
    impact = both.get(f"/v1/approvals/{held_id}/impact")
    assert sorted(vin for state in impact["unreleased"].values() for vin in state) == [own["vin"]]

    # ALPHA's extension re-judges ALPHA's vehicles, never BRAVO's that name the same number
    foreign_before = bravo["steward"].get(f"/v1/vehicles/{foreign['vin']}")["updated_at"]
    own_before = alpha["steward"].get(f"/v1/vehicles/{own['vin']}")["updated_at"]
    alpha["manager"].post(f"/v1/approvals/{held_id}/extensions", {
        "extension": 1, "issue_date": "2026-06-01", "reason": "range", "coc": {"MaximumSpeed": 185}})
    wait(lambda: (lambda v: v["updated_at"] != own_before and v["status"] in ("valid", "blocked"))(
        alpha["steward"].get(f"/v1/vehicles/{own['vin']}")), 60, what="ALPHA's vehicle to be judged again")
    assert bravo["steward"].get(f"/v1/vehicles/{foreign['vin']}")["updated_at"] == foreign_before
    held_before = alpha["viewer"].get(f"/v1/approvals/{held_id}")

    # BRAVO registers the same number for itself: no 409 naming ALPHA's approval, and ALPHA's is untouched
    registered = bravo["manager"].request("POST", "/v1/approvals", json=approval_of(BRAVO, HELD), expect=None)
    assert registered.status_code == 201, registered.text
    assert registered.json()["id"] != held_id
    listed = bravo["manager"].get("/v1/approvals", params={"number": HELD})["items"]
    assert [a["id"] for a in listed] == [registered.json()["id"]]

    # the same from an IVI message: ALPHA's approval gets no version and BRAVO no 409 revealing it
    url = "/v1/approvals/from-ivi?entity={}"
    from_ivi = alpha["manager"].request("POST", url.format(ALPHA), data=ivi_message(ALPHA, HELD_FROM_IVI),
                                        headers=XML, expect=None)
    assert from_ivi.status_code == 201, from_ivi.text
    alpha_ivi = alpha["viewer"].get(f"/v1/approvals/{from_ivi.json()['id']}")
    answer = bravo["manager"].request("POST", url.format(BRAVO), data=ivi_message(BRAVO, HELD_FROM_IVI),
                                      headers=XML, expect=None)
    assert answer.status_code == 201 and answer.json()["outcome"] == "registered", answer.text
    assert answer.json()["id"] != alpha_ivi["id"]
    assert alpha["viewer"].get(f"/v1/approvals/{alpha_ivi['id']}") == alpha_ivi
    assert alpha["viewer"].get(f"/v1/approvals/{held_id}") == held_before


def test_finding_10_a_vin_held_by_another_entity_is_not_said_to_be_theirs(stack, tenants, wait):
    alpha, bravo = tenants[ALPHA], tenants[BRAVO]
    [held] = vehicles_of(ALPHA, 1, 6420, HELD)
    assert alpha["steward"].post("/v1/vehicles/import", {"vehicles": [held]})["accepted"] == 1

    claim = dict(held, entity=BRAVO)
    outcome = bravo["steward"].post("/v1/vehicles/import", {"vehicles": [claim]})
    assert outcome["accepted"] == 0
    [rejected] = outcome["rejected"]
    assert rejected["errors"] == [{"field": "vin", "message": "VIN not available to this entity"}]
    assert "another" not in str(outcome) and ALPHA not in str(outcome)
    assert alpha["steward"].get(f"/v1/vehicles/{held['vin']}")["entity"] == ALPHA
