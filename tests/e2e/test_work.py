"""Teams, ownership rules and the work they own over the API: a team lead makes teams and rules, every blocked
vehicle and waiting release shows its owning team, assignee and age; members (by `sub`, or by a group of their
token) claim work and a team lead assigns it; an assignment ends when its item leaves the work list; another
entity's teams and work do not exist for the caller. The list is filtered (intended country, approval number, age,
kind in SQL; team, assignee, mine after reading) and keyset-paged over vehicles and releases together."""
import base64
import copy
import datetime as dt

import pytest

from cli import demo_data

pytestmark = pytest.mark.e2e

E = [demo_data.ENTITY]
GROUP = "ireland-desk"  # an OIDC group: its people are members of the Ireland desk


@pytest.fixture(scope="module")
def work(stack, nordwind, wait):
    """Two vehicles for Ireland built for right-hand traffic (blocked) and two valid ones, each in a release in
    review (the second blocked vehicle and the second release are the claims tests' own)."""
    steward, viewer = stack.client("dana", ["data_steward"], E), stack.client("vic", ["viewer"], E)
    good, good2 = [dict(v, intended_country="A") for v in demo_data.vehicles(2, seed=6161)]
    blocked, blocked2 = [dict(copy.deepcopy(good), vin=vin, intended_country="IRL")
                         for vin in demo_data.vins(2, seed=6162)]
    everything = [good, good2, blocked, blocked2]
    assert steward.post("/v1/vehicles/import", {"vehicles": everything})["accepted"] == 4
    wait(lambda: all(viewer.get(f"/v1/vehicles/{v['vin']}")["status"] != "draft" for v in everything), 30,
         interval=0.3, what="validation of the work vehicles")
    assert {viewer.get(f"/v1/vehicles/{v['vin']}")["status"] for v in (blocked, blocked2)} == {"blocked"}
    release = steward.post("/v1/releases", {"vins": [good["vin"]], "note": "work"})
    release2 = steward.post("/v1/releases", {"vins": [good2["vin"]], "note": "work: claims"})
    return {"blocked": blocked["vin"], "release": release["id"], "good": good["vin"], "blocked2": blocked2["vin"],
            "release2": release2["id"]}


@pytest.fixture(scope="module")
def desks(stack, work):
    """The Ireland desk (rita, and the group `ireland-desk`) owns vehicles for Ireland; Homologation owns the rest."""
    lead = stack.client("tess", ["team_lead"], E)
    ireland = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Ireland desk", "members": ["rita"],
                                      "groups": [GROUP]})
    everyone = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Homologation",
                                       "members": ["sam", "rita", "rev"]})
    lead.post("/v1/ownership-rules", {"team_id": ireland["id"], "field": "intended_country", "pattern": "IRL",
                                      "position": 1})
    lead.post("/v1/ownership-rules", {"team_id": everyone["id"], "field": "vin_pattern",
                                      "pattern": f"{demo_data.WMI}*", "position": 50})
    return {"ireland": ireland["id"], "homologation": everyone["id"]}


def _every(client, **params):
    """Every item of the work list, following `next_cursor`."""
    items, cursor = [], None
    while True:
        answer = client.get("/v1/work", params=dict(params, **({"cursor": cursor} if cursor else {})))
        items += answer["items"]
        cursor = answer["next_cursor"]
        if cursor is None:
            return items


def _items(client, **params):
    return {i["id"]: i for i in _every(client, limit=500, **params)}


def _fields(response):
    assert response.status_code == 422, response.text
    return [e["field"] for e in response.json()["errors"]]


def test_teams_and_rules_give_every_item_its_owner(stack, work, desks):
    lead = stack.client("tess", ["team_lead"], E)
    again = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Ireland desk", "members": ["rita", "olga"]})
    assert again["id"] == desks["ireland"] and again["members"] == ["olga", "rita"]
    assert again["groups"] == [GROUP]  # not named: unchanged

    viewer = stack.client("vic", ["viewer"], E)
    desk = _items(viewer, team=desks["ireland"])
    assert desk[work["blocked"]]["team"] == "Ireland desk" and desk[work["blocked"]]["waiting_for"] == "correction"
    assert desk[work["blocked"]]["assignee"] is None
    items = _items(viewer)
    assert items[work["release"]]["team"] == "Homologation" and items[work["release"]]["waiting_for"] == "review"
    # the rules give every item of the demo manufacturer's an owner (other modules' vehicles of other WMIs may
    # share the stack's entity: the rules say nothing of them)
    own = [i for i in items.values() if i["kind"] == "release" or i["id"].startswith(demo_data.WMI)]
    assert {work["blocked"], work["release"]} <= {i["id"] for i in own}
    assert all(i["team"] for i in own), [i for i in own if not i["team"]]
    assert items[work["release"]]["age_hours"] >= 0 and items[work["release"]]["overdue"] is False
    assert work["release"] not in desk

    # my work: the teams I am a member of, by `sub` or by a group my token carries
    sams = _items(stack.client("sam", ["signer"], E), mine="true")
    assert work["release"] in sams and work["blocked"] not in sams
    gus = stack.client("gus", ["data_steward"], E, groups=[GROUP])
    assert work["blocked"] in _items(gus, mine="true") and work["release"] not in _items(gus, mine="true")
    assert work["blocked"] not in _items(stack.client("gus", ["data_steward"], E), mine="true")  # no group, no team
    assert [r["position"] for r in viewer.get("/v1/ownership-rules")["items"]] == sorted(
        r["position"] for r in viewer.get("/v1/ownership-rules")["items"])


def test_members_claim_and_a_team_lead_assigns(stack, work, desks, wait):
    vin, path = work["blocked2"], f"/v1/work/vehicles/{work['blocked2']}/assignee"
    lead = stack.client("tess", ["team_lead"], E)
    assert lead.request("PATCH", f"/v1/teams/{desks['ireland']}", json={"add_members": ["olga"]}).json()[
        "members"] == ["olga", "rita"]
    rita, olga = stack.client("rita", ["data_steward"], E), stack.client("olga", ["data_steward"], E)
    gus = stack.client("gus", ["data_steward"], E, groups=[GROUP])

    claimed = rita.put(path, {"assignee": "rita"})
    assert (claimed["kind"], claimed["id"], claimed["assignee"], claimed["assigned_by"], claimed["team_id"]) == (
        "vehicle", vin, "rita", "rita", desks["ireland"])
    ritas = _items(rita, team=desks["ireland"], assignee="rita")
    assert ritas[vin]["assignee"] == "rita" and ritas[vin]["assigned_at"] == claimed["assigned_at"]
    assert work["blocked"] not in ritas
    nobodys = _items(rita, team=desks["ireland"], assignee="none")
    assert work["blocked"] in nobodys and vin not in nobodys
    assert vin in _items(rita, mine="true")

    # someone else's: a member waits, a team lead takes it over
    taken = olga.request("PUT", path, json={"assignee": "olga"}, expect=None)
    assert taken.status_code == 409 and "rita" in taken.json()["detail"], taken.text
    assert gus.request("PUT", path, json={"assignee": "gus"}, expect=None).status_code == 409
    assert rita.request("DELETE", path, expect=None).status_code == 204
    assert gus.put(path, {"assignee": "gus"})["assignee"] == "gus"  # a member by group claims it
    assert rita.request("DELETE", path, expect=None).status_code == 403  # not hers any more

    sam = stack.client("sam", ["data_steward"], E)  # of Homologation, not of the Ireland desk
    refused = sam.request("PUT", path, json={"assignee": "sam"}, expect=None)
    assert refused.status_code == 403 and "Ireland desk" in refused.json()["detail"], refused.text
    assert sam.request("PUT", path, json={"assignee": "rita"}, expect=None).status_code == 403  # not a lead
    outsider = lead.request("PUT", path, json={"assignee": "zed"}, expect=None)
    assert outsider.status_code == 422 and [e["field"] for e in outsider.json()["errors"]] == ["assignee"]
    assigned = lead.put(path, {"assignee": "olga"})
    assert (assigned["assignee"], assigned["assigned_by"]) == ("olga", "tess")
    assert _items(olga, mine="true")[vin]["assignee"] == "olga"
    assert stack.client("vic", ["viewer"], E).request("PUT", path, json={"assignee": "vic"},
                                                       expect=None).status_code == 403  # a viewer does not work on it

    # another entity's item is answered exactly like one that does not exist
    stranger = stack.client("otto", ["team_lead"], ["OTHERCO"]).request("PUT", path, json={"assignee": "otto"},
                                                                        expect=None)
    missing_vin = demo_data.vins(1, seed=6199)[0]
    missing = lead.request("PUT", f"/v1/work/vehicles/{missing_vin}/assignee", json={"assignee": "olga"},
                           expect=None)
    assert stranger.status_code == missing.status_code == 404
    assert stranger.json()["detail"].replace(vin, "?") == missing.json()["detail"].replace(missing_vin, "?")
    assert stack.client("otto", ["team_lead"], ["OTHERCO"]).request(
        "DELETE", path, expect=None).status_code == 404

    auditor = stack.client("audrey", ["auditor"], E)

    def audited():
        entries = auditor.get("/v1/audit", params={"subject": vin})["entries"]
        done = [(e["event_type"], e["actor"]) for e in entries if e["event_type"].startswith("work_")]
        return done if len(done) >= 4 else None
    assert wait(audited, 30, interval=0.3, what="the assignments in the audit log") == [
        ("work_assigned", "rita"), ("work_unassigned", "rita"), ("work_assigned", "gus"), ("work_assigned", "tess")]

    # corrected, the vehicle leaves the work list and its assignment ends: blocked again, nobody works on it
    steward = stack.client("dana", ["data_steward"], E)

    def patch(country):
        revision = steward.get(f"/v1/vehicles/{vin}")["revision"]
        steward.request("PATCH", f"/v1/vehicles/{vin}", headers={"If-Match": f'"{revision}"'},
                        json={"intended_country": country, "reason": "work: out and back"})
    patch("A")
    wait(lambda: steward.get(f"/v1/vehicles/{vin}")["status"] == "valid", 30, interval=0.3, what="valid again")
    assert vin not in _items(olga, team=desks["homologation"])
    patch("IRL")
    wait(lambda: steward.get(f"/v1/vehicles/{vin}")["status"] == "blocked", 30, interval=0.3, what="blocked again")
    back = _items(olga, team=desks["ireland"])[vin]
    assert back["assignee"] is None and vin not in _items(olga, mine="true", assignee="olga")


def test_a_release_claimed_for_review_is_free_again_for_signing(stack, work, desks):
    release, path = work["release2"], f"/v1/work/releases/{work['release2']}/assignee"
    rev = stack.client("rev", ["reviewer"], E)
    assert rev.put(path, {"assignee": "rev"})["team_id"] == desks["homologation"]
    assert rev.put(path, {"assignee": "rev"})["assignee"] == "rev"  # again: no change
    mine = _items(rev, mine="true")
    assert mine[release]["assignee"] == "rev" and mine[release]["waiting_for"] == "review"

    stack.client("rob", ["reviewer"], E).post(f"/v1/releases/{release}/approve")
    signing = _items(rev, team=desks["homologation"])[release]
    assert signing["waiting_for"] == "signing" and signing["assignee"] is None
    assert release not in _items(rev, assignee="rev")
    # a release that does not wait any more is no work item: nothing to claim
    assert rev.request("PUT", "/v1/work/releases/not-a-release/assignee", json={"assignee": "rev"},
                       expect=None).status_code == 404


def test_a_rule_on_the_vehicle_category(stack, work, desks):
    lead, viewer = stack.client("tess", ["team_lead"], E), stack.client("vic", ["viewer"], E)
    trucks = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Trucks", "members": ["tom"]})
    cars = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Cars", "members": ["carl"]})
    n1 = lead.post("/v1/ownership-rules", {"team_id": trucks["id"], "field": "category", "pattern": "N1",
                                           "position": 30})
    m1 = lead.post("/v1/ownership-rules", {"team_id": cars["id"], "field": "category", "pattern": "M1",
                                           "position": 40})
    try:
        cars_work = _items(viewer, team=cars["id"])
        assert cars_work[work["release"]]["team"] == "Cars"  # its approval is of category M1
        assert work["blocked"] not in cars_work  # the Ireland rule comes first
        assert work["release"] not in _items(viewer, team=trucks["id"])
        # the lists' team filters judge the category rules alike
        def releases(team):
            return [r["id"] for r in viewer.get("/v1/releases", params={"team": team, "limit": 200})["items"]]

        assert work["release"] in releases(cars["id"]) and work["release"] not in releases(trucks["id"])
        owned = viewer.get("/v1/vehicles", params={"team": cars["id"], "limit": 200})["items"]
        assert owned and all("category" not in v for v in owned)  # what the rules read is not added to the answer
    finally:
        for rule in (n1, m1):
            assert lead.request("DELETE", f"/v1/ownership-rules/{rule['id']}", expect=None).status_code == 204
    assert _items(viewer, team=desks["homologation"])[work["release"]]["team"] == "Homologation"
    assert lead.request("DELETE", f"/v1/ownership-rules/{m1['id']}", expect=None).status_code == 404


def test_bad_input_and_strangers(stack, work, desks):
    lead = stack.client("tess", ["team_lead"], E)
    bad = lead.request("POST", "/v1/ownership-rules", json={"team_id": "0" * 36, "field": "colour", "pattern": "R"},
                       expect=None)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["field"], bad.text
    assert "category" in bad.json()["errors"][0]["message"]
    team = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Strangers test", "members": []})
    stranger = stack.client("otto", ["team_lead"], ["OTHERCO"])
    assert stranger.get("/v1/teams")["items"] == [] and stranger.get("/v1/work")["items"] == []
    refused = stranger.request("POST", "/v1/ownership-rules", json={"team_id": team["id"], "field": "wmi",
                                                                    "pattern": "NWA"}, expect=None)
    assert refused.status_code == 404
    assert stranger.request("PATCH", f"/v1/teams/{team['id']}", json={"add_members": ["otto"]},
                            expect=None).status_code == 404
    [rule] = [r for r in lead.get("/v1/ownership-rules")["items"] if r["team_id"] == desks["ireland"]]
    assert stranger.request("DELETE", f"/v1/ownership-rules/{rule['id']}", expect=None).status_code == 404
    unknown = lead.request("PATCH", f"/v1/teams/{team['id']}", json={"add_members": [""]}, expect=None)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"].startswith("add_members"), unknown.text
    steward = stack.client("dana", ["data_steward"], E)
    assert steward.request("POST", "/v1/teams", json={"entity": demo_data.ENTITY, "name": "x", "members": []},
                           expect=None).status_code == 403
    assert steward.request("PATCH", f"/v1/teams/{team['id']}", json={"add_members": ["dana"]},
                           expect=None).status_code == 403
    assert lead.request("PUT", f"/v1/work/vehicles/{work['blocked']}/assignee", json={},
                        expect=None).status_code == 422


# -- filters and paging ------------------------------------------------------------------------------------------

OWN_NUMBER = "e6*2018/858*06171*00"  # an approval of this module's own: its work is nobody else's


def _position(item):
    return dt.datetime.fromisoformat(item["since"]), item["kind"], item["id"]


@pytest.fixture(scope="module")
def queue(stack, nordwind, wait, desks):
    """Under an approval of the module's own, for Latvia: three blocked vehicles (one for Lithuania), a release in
    review, one approved (waiting for signing), and a release whose first vehicle is of the demo approval."""
    manager = stack.client("alice", ["approvals_manager"], E)
    manager.post("/v1/approvals", dict(copy.deepcopy(demo_data.approval()), number=OWN_NUMBER))
    steward, viewer = stack.client("dana", ["data_steward"], E), stack.client("vic", ["viewer"], E)
    good = sorted((dict(v, intended_country="LV", approval_number=OWN_NUMBER)
                   for v in demo_data.vehicles(5, seed=6171)), key=lambda v: v["vin"])
    blocked = [dict(copy.deepcopy(good[0]), vin=vin, version="NWA1-RWD-XX", intended_country=country)
               for vin, country in zip(demo_data.vins(3, seed=6172), ("LV", "LV", "LT"))]
    demo = min((dict(v, intended_country="LV") for v in demo_data.vehicles(3, seed=6173)), key=lambda v: v["vin"])
    assert demo["vin"] < good[-1]["vin"], "the mixed release's first vehicle must be the demo approval's"
    everything = good + blocked + [demo]
    assert steward.post("/v1/vehicles/import", {"vehicles": everything})["accepted"] == len(everything)
    wait(lambda: all(viewer.get(f"/v1/vehicles/{v['vin']}")["status"] != "draft" for v in everything), 30,
         interval=0.3, what="validation of the queue's vehicles")
    assert {viewer.get(f"/v1/vehicles/{v['vin']}")["status"] for v in blocked} == {"blocked"}
    in_review = steward.post("/v1/releases", {"vins": [good[0]["vin"]], "note": "queue: review"})
    signing = steward.post("/v1/releases", {"vins": [good[1]["vin"], good[2]["vin"]], "note": "queue: signing"})
    stack.client("rob", ["reviewer"], E).post(f"/v1/releases/{signing['id']}/approve")
    mixed = steward.post("/v1/releases", {"vins": [demo["vin"], good[-1]["vin"]], "note": "queue: mixed"})
    return {"blocked": [v["vin"] for v in blocked], "lithuania": blocked[2]["vin"], "in_review": in_review["id"],
            "signing": signing["id"], "mixed": mixed["id"]}


def test_the_work_list_filters_in_sql_and_pages_over_vehicles_and_releases(stack, queue, desks):
    viewer = stack.client("vic", ["viewer"], E)
    own = viewer.get("/v1/work", params={"approval_number": OWN_NUMBER, "limit": 500})
    assert own["next_cursor"] is None
    # a release is judged by its first vehicle: the mixed one's is of the demo approval
    assert {i["id"] for i in own["items"]} == {*queue["blocked"], queue["in_review"], queue["signing"]}
    assert [_position(i) for i in own["items"]] == sorted(_position(i) for i in own["items"])
    assert {i["id"]: i["waiting_for"] for i in own["items"] if i["kind"] == "release"} == {
        queue["in_review"]: "review", queue["signing"]: "signing"}

    # small pages: every item once, in the order of the whole list, vehicles and releases alike
    for limit in (1, 2):
        assert _every(viewer, approval_number=OWN_NUMBER, limit=limit) == own["items"]
    first = viewer.get("/v1/work", params={"approval_number": OWN_NUMBER, "limit": 2})
    assert len(first["items"]) == 2 and first["next_cursor"]
    # owning team, judged after reading, pages alike (Homologation owns the queue by its WMI rule)
    assert [i["id"] for i in _every(viewer, approval_number=OWN_NUMBER, team=desks["homologation"], limit=1)] == [
        i["id"] for i in own["items"]]
    assert _every(viewer, approval_number=OWN_NUMBER, team=desks["ireland"], limit=1) == []

    assert [i["id"] for i in _every(viewer, intended_country="LT")] == [queue["lithuania"]]
    assert [i["id"] for i in _every(viewer, approval_number=OWN_NUMBER, kind="release")] == [
        i["id"] for i in own["items"] if i["kind"] == "release"]
    assert sorted(i["id"] for i in _every(viewer, approval_number=OWN_NUMBER, kind="vehicle")) == sorted(
        queue["blocked"])
    latvian_releases = {i["id"] for i in _every(viewer, intended_country="LV", kind="release")}
    assert latvian_releases == {queue["in_review"], queue["signing"], queue["mixed"]}
    demo_first = {i["id"] for i in _every(viewer, intended_country="LV", approval_number=demo_data.APPROVAL_NUMBER)}
    assert demo_first == {queue["mixed"]}
    assert _every(viewer, approval_number=OWN_NUMBER, older_than_days=1) == []  # all of it is younger than a day


def test_another_entitys_work_never_shows_and_bad_filters_are_named(stack, queue):
    viewer = stack.client("vic", ["viewer"], E)
    stranger = stack.client("otto", ["viewer"], ["OTHERCO"])
    assert _every(stranger, approval_number=OWN_NUMBER) == [] and _every(stranger, intended_country="LV") == []
    # a cursor handed to one entity goes on in the other's list only: nothing of the first shows
    cursor = viewer.get("/v1/work", params={"approval_number": OWN_NUMBER, "limit": 1})["next_cursor"]
    assert stranger.get("/v1/work", params={"cursor": cursor, "approval_number": OWN_NUMBER}) == {
        "items": [], "next_cursor": None}

    forged = base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|release|not-a-uuid").decode()
    for params, field in (({"cursor": "not-a-cursor"}, "cursor"), ({"cursor": forged}, "cursor"),
                          ({"kind": "person"}, "kind"), ({"limit": 501}, "limit"), ({"limit": 0}, "limit"),
                          ({"older_than_days": 0}, "older_than_days"),
                          ({"intended_country": "lv1"}, "intended_country"),
                          ({"approval_number": "x" * 36}, "approval_number"),
                          ({"team": "00000000-0000-4000-8000-000000000000"}, "team")):
        assert _fields(viewer.request("GET", "/v1/work", params=params, expect=None)) == [field], params
