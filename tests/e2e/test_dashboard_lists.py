"""Finding things over HTTP: the vehicle and release lists filtered by intended country, approval number, owning
team and age, on the API and on the dashboard's pages, paged with the filters kept; a bad filter answered as a page;
times in the reader's language; and the approval revision in force against the one the VIN's last certificate was
composed from, field by field.

Its vehicles are for Estonia (EST, no other e2e module's) under an approval of its own, owned through a rule of a
team of its own."""
import copy
import re

import pytest
from lxml import html

from cli import demo_data

pytestmark = pytest.mark.e2e

E = [demo_data.ENTITY]
COUNTRY = "EST"
OWN_NUMBER = "e6*2018/858*07774*00"
UNKNOWN_TEAM = "00000000-0000-4000-8000-000000000000"


def page(client, path, status=200, **kwargs):
    response = client.request("GET", path, expect=None, allow_redirects=False, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("text/html")
    return html.fromstring(response.text)


def texts(doc, xpath):
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


@pytest.fixture(scope="module")
def scene(stack, nordwind, wait):
    """Five vehicles for Estonia under the module's approval: `released` (certified from revision 1 of it),
    `in_review` (in a release waiting for review), `blocked`, and two valid ones never certified."""
    manager = stack.client("alice", ["approvals_manager"], E)
    approval = manager.post("/v1/approvals", dict(copy.deepcopy(demo_data.approval()), number=OWN_NUMBER))
    lead = stack.client("tess", ["team_lead"], E)
    team = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Estonia desk", "members": ["rita"]})
    lead.post("/v1/ownership-rules", {"team_id": team["id"], "field": "intended_country", "pattern": COUNTRY,
                                      "position": 2})

    steward, viewer = stack.client("dana", ["data_steward"], E), stack.client("vic", ["viewer"], E)
    good = [dict(v, intended_country=COUNTRY, approval_number=OWN_NUMBER) for v in demo_data.vehicles(4, seed=9631)]
    blocked = dict(copy.deepcopy(good[0]), vin=demo_data.vins(1, seed=9632)[0], version="NWA1-RWD-XX")
    assert steward.post("/v1/vehicles/import", {"vehicles": good + [blocked]})["accepted"] == 5
    wait(lambda: all(viewer.get(f"/v1/vehicles/{v['vin']}")["status"] != "draft" for v in good + [blocked]), 30,
         interval=0.3, what="validation of the Estonian vehicles")
    assert viewer.get(f"/v1/vehicles/{blocked['vin']}")["status"] == "blocked"

    released, in_review, *valid = (v["vin"] for v in good)
    signed = steward.post("/v1/releases", {"vins": [released], "note": "lists: signed"})
    stack.client("rita", ["reviewer"], E).request("POST", f"/v1/releases/{signed['id']}/approve")
    stack.client(demo_data.SIGNATORY["sub"], ["signer"], E).request("POST", f"/v1/releases/{signed['id']}/sign")
    wait(lambda: viewer.get(f"/v1/vehicles/{released}")["status"] == "released", 60, interval=0.3,
         what="the signed Estonian vehicle to be released")
    waiting = steward.post("/v1/releases", {"vins": [in_review], "note": "lists: waiting"})
    return {"approval": approval["id"], "team": team["id"], "viewer": viewer, "released": released,
            "in_review": in_review, "blocked": blocked["vin"], "valid": sorted(valid), "signed": signed["id"],
            "waiting": waiting["id"], "all": sorted([v["vin"] for v in good] + [blocked["vin"]])}


def every(client, path, **params):
    """Every item of a paged list, following `next_cursor`."""
    items, cursor = [], None
    while True:
        answer = client.get(path, params=dict(params, **({"cursor": cursor} if cursor else {})))
        items += answer["items"]
        cursor = answer["next_cursor"]
        if cursor is None:
            return items


def problem_fields(response, status=422):
    assert response.status_code == status, response.text
    return [e["field"] for e in response.json()["errors"]]


def test_the_vehicle_list_filters_by_country_team_and_age(scene):
    viewer = scene["viewer"]
    assert [v["vin"] for v in every(viewer, "/v1/vehicles", intended_country=COUNTRY)] == scene["all"]
    blocked = viewer.get("/v1/vehicles", params={"intended_country": COUNTRY, "status": "blocked"})["items"]
    assert [v["vin"] for v in blocked] == [scene["blocked"]]
    # the team's vehicles, one a page: ownership is decided by rules, so pages are read until full
    owned = every(viewer, "/v1/vehicles", team=scene["team"], limit=1)
    assert [v["vin"] for v in owned] == scene["all"]
    assert every(viewer, "/v1/vehicles", team="none", intended_country=COUNTRY) == []
    assert every(viewer, "/v1/vehicles", intended_country=COUNTRY, older_than_days=1) == []

    assert problem_fields(viewer.request("GET", "/v1/vehicles", params={"team": UNKNOWN_TEAM}, expect=None)) == [
        "team"]
    assert problem_fields(viewer.request("GET", "/v1/vehicles", params={"intended_country": "est1"},
                                         expect=None)) == ["intended_country"]
    assert problem_fields(viewer.request("GET", "/v1/vehicles", params={"older_than_days": 0}, expect=None)) == [
        "older_than_days"]


def test_the_release_list_filters_by_country_approval_team_and_age(scene):
    viewer = scene["viewer"]
    mine = {scene["signed"], scene["waiting"]}
    assert {r["id"] for r in every(viewer, "/v1/releases", intended_country=COUNTRY)} == mine
    assert [r["id"] for r in every(viewer, "/v1/releases", intended_country=COUNTRY, status="in_review")] == [
        scene["waiting"]]
    assert {r["id"] for r in every(viewer, "/v1/releases", approval_number=OWN_NUMBER)} == mine
    assert {r["id"] for r in every(viewer, "/v1/releases", team=scene["team"], limit=1)} == mine
    assert every(viewer, "/v1/releases", team="none", intended_country=COUNTRY) == []
    assert every(viewer, "/v1/releases", intended_country=COUNTRY, older_than_days=1) == []
    assert problem_fields(viewer.request("GET", "/v1/releases", params={"team": "not-a-team"}, expect=None)) == [
        "team"]


def test_list_pages_filter_page_on_with_their_filters_and_answer_a_bad_filter_as_a_page(stack, scene):
    viewer = scene["viewer"]
    first = page(viewer, f"/dashboard/vehicles?status=valid&intended_country={COUNTRY}&limit=1")
    assert texts(first, "//table[@class='vehicles']//tr/td[1]") == scene["valid"][:1]
    [following] = first.xpath("//a[@id='next-page']/@href")
    assert "intended_country=EST" in following and "status=valid" in following and "limit=1" in following
    second = page(viewer, following)
    assert texts(second, "//table[@class='vehicles']//tr/td[1]") == scene["valid"][1:]
    assert second.xpath("//a[@id='next-page']") == []

    owned = page(viewer, f"/dashboard/vehicles?status=blocked&team={scene['team']}")
    assert texts(owned, "//table[@class='vehicles']//tr/td[1]") == [scene["blocked"]]
    assert owned.xpath("//select[@id='f-team']/option[@selected]/@value") == [scene["team"]]

    releases = page(viewer, f"/dashboard/releases?status=in_review&intended_country={COUNTRY}")
    assert [r.get("id") for r in releases.xpath("//table[@class='releases']//tr[@id]")] == [
        f"release-{scene['waiting']}"]
    nothing = page(viewer, f"/dashboard/releases?status=rejected&intended_country={COUNTRY}")
    assert texts(nothing, "//p[@id='none-found']") == ["No release matches these filters."]

    # the dashboard's short lists lead to the paged, filtered ones
    board = page(viewer, f"/dashboard?country={COUNTRY}")
    [blocked] = board.xpath(f"//section[@id='entity-{demo_data.ENTITY}']//a[@class='all-blocked']/@href")
    assert blocked == f"/dashboard/vehicles?status=blocked&entity={demo_data.ENTITY}&intended_country={COUNTRY}"
    [in_review] = board.xpath(f"//section[@id='entity-{demo_data.ENTITY}']//a[@class='all-in-review']/@href")
    listed = page(viewer, in_review)
    assert [r.get("id") for r in listed.xpath("//table[@class='releases']//tr[@id]")] == [
        f"release-{scene['waiting']}"]

    bad = page(viewer, "/dashboard/vehicles?intended_country=12", status=422)
    assert "intended_country" in " ".join(texts(bad, "//main//li | //ul/li"))
    unknown = page(viewer, f"/dashboard/releases?team={UNKNOWN_TEAM}", status=422)
    assert texts(unknown, "//p[@role='alert']") == ["Unknown team."]
    assert any(t.startswith("team:") for t in texts(unknown, "//ul/li"))


def test_times_read_in_the_readers_language_to_the_minute_with_the_zone(scene):
    viewer = scene["viewer"]
    path = f"/dashboard/releases?status=in_review&intended_country={COUNTRY}"
    german = page(viewer, path, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    [moment] = german.xpath(f"//tr[@id='release-{scene['waiting']}']/td[1]//time")
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} UTC", moment.text_content()), moment.text_content()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.?\d*\+00:00", moment.get("datetime"))
    american = page(viewer, path, headers={"Accept-Language": "en-US"})
    [moment] = american.xpath(f"//tr[@id='release-{scene['waiting']}']/td[1]//time")
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M UTC", moment.text_content()), \
        moment.text_content()


def test_the_approval_revision_in_force_against_the_last_certificates_field_by_field(stack, scene):
    viewer = scene["viewer"]
    first_issue = page(viewer, f"/dashboard/vehicles/{scene['valid'][0]}/coc")
    assert texts(first_issue, "//p[@id='approval-first-issue']")
    assert "revision 1" in texts(first_issue, "//p[@id='approval-shown']")[0]

    certified = page(viewer, f"/dashboard/vehicles/{scene['released']}/coc")
    assert texts(certified, "//p[@id='approval-unchanged']") == [
        "The same revision as the last certificate: no type-approval field changed."]

    manager = stack.client("alice", ["approvals_manager"], E)
    manager.post(f"/v1/approvals/{scene['approval']}/extensions", {
        "extension": 1, "issue_date": "2026-06-01", "reason": "faster", "coc": {"MaximumSpeed": 185}})

    changed = page(viewer, f"/dashboard/vehicles/{scene['released']}/coc")
    shown = texts(changed, "//p[@id='approval-shown']")[0]
    assert "e6*2018/858*07774*01, revision 2" in shown, shown
    assert "e6*2018/858*07774*00, revision 1" in texts(changed, "//p[@id='approval-certified']")[0]
    assert texts(changed, "//table[@class='approval-diff']/caption") == [
        "3 type-approval fields changed since the last certificate"]
    rows = [texts(row, "td") for row in changed.xpath("//table[@class='approval-diff']//tr[td]")]
    assert rows == [["29", "Maximum speed (km/h)", "180", "185"],
                    ["", "Date of issue of the type approval", "2026-03-02", "2026-06-01"],
                    ["", "EU type-approval number including the extension number", "e6*2018/858*07774*00",
                     "e6*2018/858*07774*01"]], rows

    # the release item shows the revision it pinned, and that another one is in force now
    item = page(viewer, f"/dashboard/releases/{scene['signed']}/items/{scene['released']}")
    pinned = texts(item, "//p[@id='approval-shown']")[0]
    assert pinned.startswith("Pinned for this release") and "revision 1" in pinned, pinned
    assert "revision 2 is in force now" in pinned, pinned
    assert texts(item, "//p[@id='approval-unchanged']") == [
        "The same revision as the last certificate: no type-approval field changed."]

    # another entity's reader finds none of it
    stranger = stack.client("otto", ["viewer"], ["OTHERCO"])
    page(stranger, f"/dashboard/vehicles/{scene['released']}/coc", status=404)
    assert stranger.get("/v1/vehicles", params={"intended_country": COUNTRY})["items"] == []
    assert stranger.request("GET", "/v1/vehicles", params={"team": scene["team"]}, expect=None).status_code == 422


def test_a_release_page_shows_its_vehicles_a_page_at_a_time_in_vin_order(stack, scene, wait):
    steward, viewer = stack.client("dana", ["data_steward"], E), scene["viewer"]
    vehicles = [dict(v, intended_country=COUNTRY, approval_number=OWN_NUMBER)
                for v in demo_data.vehicles(3, seed=9633)]
    vins = sorted(v["vin"] for v in vehicles)
    assert steward.post("/v1/vehicles/import", {"vehicles": vehicles})["accepted"] == 3
    wait(lambda: all(viewer.get(f"/v1/vehicles/{v}")["status"] == "valid" for v in vins), 30, interval=0.3,
         what="validation of the vehicles to release")
    release = steward.post("/v1/releases", {"vins": vins, "note": "lists: paged"})["id"]
    path = f"/dashboard/releases/{release}"
    shown = lambda doc: [row[0] for row in (texts(r, "td") for r in doc.xpath("//table//tr[td]"))]  # noqa: E731

    first = page(viewer, path, params={"limit": 2})
    assert texts(first, "//h1") == ["Release of 3 vehicles requested by dana"]
    assert shown(first) == vins[:2]
    [next_link] = first.xpath("//a[@id='next-page']/@href")
    assert next_link == f"{path}?limit=2&cursor={vins[1]}" and not first.xpath("//a[@id='first-page']")
    second = page(viewer, next_link)
    assert shown(second) == vins[2:] and not second.xpath("//a[@id='next-page']")
    assert second.xpath("//a[@id='first-page']/@href") == [path]
    assert shown(page(viewer, path)) == vins  # 100 a page by default

    for bad, field in (({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"cursor": "not a VIN"}, "cursor")):
        refused = page(viewer, path, status=422, params=bad)
        assert any(t.startswith(f"{field}:") for t in texts(refused, "//ul/li")), (bad, texts(refused, "//ul/li"))
    # another entity's reader: the same answer as for a release that does not exist
    stranger = stack.client("otto", ["viewer"], ["OTHERCO"])
    missing = page(stranger, "/dashboard/releases/00000000-0000-4000-8000-000000000000", status=404)
    foreign = page(stranger, path, status=404, params={"limit": 2})
    assert texts(foreign, "//main") == [t.replace("00000000-0000-4000-8000-000000000000", release)
                                        for t in texts(missing, "//main")]
