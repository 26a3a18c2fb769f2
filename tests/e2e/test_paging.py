"""Cursor paging on the list routes (docs/api.md): `?limit=` (default 100, at most 1000), `?cursor=`, and
`next_cursor` in every list answer, null on the last page."""
import pytest

from cli import demo_data

pytestmark = pytest.mark.e2e

PAGING_SEED = 7600
COUNT = 5


@pytest.fixture(scope="module")
def imported(stack, nordwind):
    """Five NORDWIND vehicles, the first of them imported three times with other data (three revisions)."""
    steward = stack.client("pia", ["data_steward"], [demo_data.ENTITY])
    vehicles = demo_data.vehicles(COUNT, seed=PAGING_SEED)
    assert steward.post("/v1/vehicles/import", {"vehicles": vehicles})["accepted"] == COUNT
    first = vehicles[0]
    for mass in (2001, 2002):
        changed = dict(first, coc=dict(first["coc"], MassGroup={"ActualMass": mass}))
        assert steward.post("/v1/vehicles/import", {"vehicles": [changed]})["accepted"] == 1
    return steward, [v["vin"] for v in vehicles]


def _walk(client, path, key, limit):
    """Every item of a list, page by page; also the number of pages."""
    items, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = client.get(path, params=params)
        assert len(page[key]) <= limit
        items += page[key]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 1000, "paging does not end"


def test_vehicle_pages_follow_each_other(stack, imported):
    """Pages of two are the first (up to) thirty vehicles in VIN order, each once; other tests in the session
    may have added thousands, so the walk stops after thirty."""
    reader = stack.client("pia-reader", ["viewer"], [demo_data.ENTITY])
    first = [v["vin"] for v in reader.get("/v1/vehicles", params={"limit": 30})["items"]]
    assert len(first) >= COUNT
    walked, cursor = [], None
    while len(walked) < len(first):
        page = reader.get("/v1/vehicles", params={"limit": 2} | ({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        walked += [v["vin"] for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked[:len(first)] == first == sorted(first)
    assert len(walked) == len(set(walked))


def test_the_last_vehicle_page_has_no_next_cursor(stack, imported):
    _, vins = imported
    reader = stack.client("pia-reader", ["viewer"], [demo_data.ENTITY])
    everything = reader.get("/v1/vehicles", params={"limit": 1000})
    assert set(vins) <= {v["vin"] for v in everything["items"]} or everything["next_cursor"]
    nothing = reader.get("/v1/vehicles", params={"approval_number": "e9*2018/858*99999*00"})
    assert nothing == {"items": [], "next_cursor": None}


def test_the_default_page_is_100_and_carries_next_cursor(imported):
    steward, _ = imported
    page = steward.get("/v1/vehicles")
    assert "next_cursor" in page and len(page["items"]) <= 100


def test_history_pages(imported):
    steward, vins = imported
    revisions, pages = _walk(steward, f"/v1/vehicles/{vins[0]}/history", "revisions", 1)
    assert [r["revision"] for r in revisions] == [1, 2, 3]
    assert pages == 3


def test_approvals_and_rules_page(stack, imported):
    steward, _ = imported
    approvals, _ = _walk(steward, "/v1/approvals", "items", 1)
    assert demo_data.APPROVAL_NUMBER in {a["number"] for a in approvals}
    whole = steward.get("/v1/rules", params={"limit": 1000})
    assert whole["next_cursor"] is None
    rules, pages = _walk(steward, "/v1/rules", "items", 10)
    assert rules == whole["items"]
    assert pages == -(-len(whole["items"]) // 10)


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "ten"])
def test_a_bad_limit_is_422_naming_it(imported, limit):
    steward, _ = imported
    answer = steward.request("GET", "/v1/vehicles", params={"limit": limit}, expect=None)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["limit"]


def test_a_cursor_not_handed_out_is_422_naming_it(imported):
    steward, vins = imported
    answer = steward.request("GET", f"/v1/vehicles/{vins[0]}/history", params={"cursor": "not-ours"}, expect=None)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["cursor"]
