"""Teams, ownership rules and the work they own over the API: a team lead makes teams and rules, every blocked
vehicle and waiting release shows its owning team, assignee and age; members (by `sub`, or by a group of their
token) claim work and a team lead assigns it; an assignment ends when its item leaves the work list; another
entity's teams and work do not exist for the caller."""
import copy

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


def _items(client, **params):
    return {i["id"]: i for i in client.get("/v1/work", params=params)["items"]}


def test_teams_and_rules_give_every_item_its_owner(stack, work, desks):
    lead = stack.client("tess", ["team_lead"], E)
    again = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Ireland desk", "members": ["rita", "olga"]})
    assert again["id"] == desks["ireland"] and again["members"] == ["olga", "rita"]
    assert again["groups"] == [GROUP]  # not named: unchanged

    viewer = stack.client("vic", ["viewer"], E)
    # the whole list holds the first 500 blocked vehicles of the session, so one team's work is asked for
    desk = _items(viewer, team=desks["ireland"])
    assert desk[work["blocked"]]["team"] == "Ireland desk" and desk[work["blocked"]]["waiting_for"] == "correction"
    assert desk[work["blocked"]]["assignee"] is None
    items = _items(viewer)
    assert items[work["release"]]["team"] == "Homologation" and items[work["release"]]["waiting_for"] == "review"
    assert all(i["team"] for i in items.values()), [i for i in items.values() if not i["team"]]
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
