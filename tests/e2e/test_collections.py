"""Collections and bulk reads over HTTP (issue 16 item 3): the entity list, the release list with its filters,
the states of many VINs at once, `updated_since` on the vehicle list, and deleting a vehicle imported by
mistake — each scoped: another entity's objects are answered exactly like missing ones."""
from datetime import datetime, timedelta, timezone

import pytest

from cli import demo_data

pytestmark = pytest.mark.e2e

SEED = 7410
BLOCKED_SEED = 7411
PAGING_SEED = 7412
OTHER = "OTHERCO"  # an entity of its own: nothing of NORDWIND may show through it


def _problem_fields(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return [e["field"] for e in response.json()["errors"]]


@pytest.fixture(scope="module")
def released_request(stack, nordwind, wait):
    """Two valid NORDWIND vehicles in a release requested by `cora`, and the moment just before."""
    steward = stack.client("cora", ["data_steward"], [demo_data.ENTITY])
    vehicles = demo_data.vehicles(2, seed=SEED)
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    assert steward.post("/v1/vehicles/import", {"vehicles": vehicles})["accepted"] == 2
    vins = [v["vin"] for v in vehicles]
    wait(lambda: all(steward.get(f"/v1/vehicles/{v}")["status"] == "valid" for v in vins), 60,
         what="the vehicles to become valid")
    release = steward.post("/v1/releases", {"vins": vins, "note": "collections"})
    return {"id": release["id"], "vins": vins, "before": before}


@pytest.fixture(scope="module")
def other_viewer(stack):
    admin = stack.client("ada", ["admin"])
    admin.put(f"/v1/entities/{OTHER}", {"legal_name": "OTHER CO", "role": "manufacturer",
                                         "address": {"line1": "1 ELSEWHERE", "place": "GENT", "country": "BELGIUM"}})
    return stack.client("olga", ["viewer"], [OTHER])


def test_the_entity_list_holds_the_callers_entities_only(stack, nordwind, other_viewer):
    viewer = stack.client("vic", ["viewer"], [demo_data.ENTITY])
    assert [e["code"] for e in viewer.get("/v1/entities")["items"]] == [demo_data.ENTITY]
    assert [e["code"] for e in other_viewer.get("/v1/entities")["items"]] == [OTHER]
    everything = stack.client("ada", ["admin"]).get("/v1/entities", params={"limit": 1})
    assert len(everything["items"]) == 1 and everything["next_cursor"]


def test_the_release_list_filters_and_scopes(stack, released_request, other_viewer):
    viewer = stack.client("vic", ["viewer"], [demo_data.ENTITY])
    since = released_request["before"].isoformat()
    mine = viewer.get("/v1/releases", params={"requested_by": "cora", "status": "in_review", "since": since})
    [release] = [r for r in mine["items"] if r["id"] == released_request["id"]]
    assert release["counts"] == {"in_review": 2} and release["entity"] == demo_data.ENTITY
    assert all(r["requested_by"] == "cora" and r["status"] == "in_review" for r in mine["items"])
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    assert viewer.get("/v1/releases", params={"since": later})["items"] == []
    assert other_viewer.get("/v1/releases")["items"] == []  # another entity's releases do not exist for it
    assert other_viewer.get("/v1/releases", params={"entity": demo_data.ENTITY})["items"] == []
    assert _problem_fields(viewer.request("GET", "/v1/releases", params={"status": "lost"}, expect=None),
                           422) == ["status"]
    assert _problem_fields(viewer.request("GET", "/v1/releases", params={"since": "yesterday"}, expect=None),
                           422) == ["since"]


def test_release_list_pages_follow_each_other(stack, released_request, wait):
    steward = stack.client("cora", ["data_steward"], [demo_data.ENTITY])
    [another] = demo_data.vehicles(1, seed=PAGING_SEED)
    assert steward.post("/v1/vehicles/import", {"vehicles": [another]})["accepted"] == 1
    wait(lambda: steward.get(f"/v1/vehicles/{another['vin']}")["status"] == "valid", 60,
         what="the vehicle to become valid")
    steward.post("/v1/releases", {"vins": [another["vin"]]})  # a second release: two pages at least
    viewer = stack.client("vic", ["viewer"], [demo_data.ENTITY])
    whole = viewer.get("/v1/releases", params={"limit": 1000})["items"]
    walked, cursor = [], None
    while True:
        page = viewer.get("/v1/releases", params={"limit": 1} | ({"cursor": cursor} if cursor else {}))
        walked += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None or len(walked) > len(whole):
            break
    assert walked == [r["id"] for r in whole]
    for cursor in ("bm90LWEtY3Vyc29y", "MjAyNi0xMi0wM1QxMjo0NjowOSswMDowMHxub3QtYS11dWlk"):  # junk; a date|not-a-uuid
        bad = viewer.request("GET", "/v1/releases", params={"cursor": cursor}, expect=None)
        assert _problem_fields(bad, 422) == ["cursor"]


def test_the_states_of_many_vins_at_once(stack, released_request, other_viewer):
    viewer = stack.client("vic", ["viewer"], [demo_data.ENTITY])
    vins = released_request["vins"]
    unknown = demo_data.WMI + "Z" * 14
    answer = viewer.post("/v1/vehicles/status", {"vins": [vins[1], unknown, vins[0], vins[1]]})
    assert [i["vin"] for i in answer["items"]] == [vins[1], vins[0]]
    assert {i["status"] for i in answer["items"]} == {"in_review"}
    assert all(i["certificate"] is None and i["revision"] >= 1 for i in answer["items"])
    assert answer["unknown"] == [unknown]
    foreign = other_viewer.post("/v1/vehicles/status", {"vins": vins})
    assert foreign == {"items": [], "unknown": vins}  # exactly what a missing VIN gets
    too_many = viewer.request("POST", "/v1/vehicles/status", json={"vins": [unknown] * 10001}, expect=None)
    assert _problem_fields(too_many, 422) == ["vins"]


def test_updated_since_lists_only_vehicles_changed_after(stack, released_request):
    viewer = stack.client("vic", ["viewer"], [demo_data.ENTITY])
    recent = viewer.get("/v1/vehicles", params={"updated_since": released_request["before"].isoformat(),
                                                "limit": 1000})
    assert set(released_request["vins"]) <= {v["vin"] for v in recent["items"]}
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    assert viewer.get("/v1/vehicles", params={"updated_since": later})["items"] == []
    naive = viewer.request("GET", "/v1/vehicles", params={"updated_since": "2026-01-01T00:00:00"}, expect=None)
    assert _problem_fields(naive, 422) == ["updated_since"]


def test_a_vehicle_imported_by_mistake_is_deleted_and_audited(stack, nordwind, released_request, wait):
    steward = stack.client("cora", ["data_steward"], [demo_data.ENTITY])
    mistake = dict(demo_data.vehicles(1, seed=BLOCKED_SEED)[0])
    mistake["vin"] = demo_data.WMI + "O" + mistake["vin"][4:]  # the letter O: blocked by VIN-002
    assert steward.post("/v1/vehicles/import", {"vehicles": [mistake]})["accepted"] == 1
    vin = mistake["vin"]
    wait(lambda: steward.get(f"/v1/vehicles/{vin}")["status"] == "blocked", 60, what="the vehicle to be blocked")

    foreign = stack.client("otto", ["data_steward"], [OTHER])
    assert foreign.request("DELETE", f"/v1/vehicles/{vin}", expect=None).status_code == 404
    in_release = steward.request("DELETE", f"/v1/vehicles/{released_request['vins'][0]}", expect=None)
    assert _problem_fields(in_release, 409) == ["status"]

    deleted = steward.request("DELETE", f"/v1/vehicles/{vin}", params={"reason": "typed the wrong VIN"},
                              expect=None)
    assert deleted.status_code == 204 and deleted.content == b""
    assert steward.request("GET", f"/v1/vehicles/{vin}", expect=None).status_code == 404
    assert steward.request("DELETE", f"/v1/vehicles/{vin}", expect=None).status_code == 404

    auditor = stack.client("audrey", ["auditor"], [demo_data.ENTITY])

    def recorded():
        entries = auditor.get("/v1/audit", params={"subject": vin, "event_type": "vehicle_deleted"})["entries"]
        return entries[0] if entries else None

    entry = wait(recorded, 60, what="the deletion to be audited")
    assert entry["actor"] == "cora" and entry["data"]["reason"] == "typed the wrong VIN"
    assert entry["data"]["status"] == "blocked"
