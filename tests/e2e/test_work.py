"""Teams, ownership rules and the work they own over the API: a team lead makes teams and rules, every blocked
vehicle and waiting release shows its owning team and age, `assignee` keeps a person's teams' work, and another
entity's teams and work do not exist for the caller."""
import copy

import pytest

from cli import demo_data

pytestmark = pytest.mark.e2e

E = [demo_data.ENTITY]


@pytest.fixture(scope="module")
def work(stack, nordwind, wait):
    """A vehicle for Ireland built for right-hand traffic (blocked) and a valid one in a release in review."""
    steward, viewer = stack.client("dana", ["data_steward"], E), stack.client("vic", ["viewer"], E)
    [good] = [dict(v, intended_country="A") for v in demo_data.vehicles(1, seed=6161)]
    blocked = dict(copy.deepcopy(good), vin=demo_data.vins(1, seed=6162)[0], intended_country="IRL")
    assert steward.post("/v1/vehicles/import", {"vehicles": [good, blocked]})["accepted"] == 2
    wait(lambda: all(viewer.get(f"/v1/vehicles/{v['vin']}")["status"] != "draft" for v in (good, blocked)), 30,
         interval=0.3, what="validation of the work vehicles")
    assert viewer.get(f"/v1/vehicles/{blocked['vin']}")["status"] == "blocked"
    release = steward.post("/v1/releases", {"vins": [good["vin"]], "note": "work"})
    return {"blocked": blocked["vin"], "release": release["id"], "good": good["vin"]}


def test_teams_and_rules_give_every_item_its_owner(stack, work):
    lead = stack.client("tess", ["team_lead"], E)
    ireland = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Ireland desk", "members": ["rita"]})
    everyone = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Homologation", "members": ["sam", "rita"]})
    lead.post("/v1/ownership-rules", {"team_id": ireland["id"], "field": "intended_country", "pattern": "IRL",
                                      "position": 1})
    lead.post("/v1/ownership-rules", {"team_id": everyone["id"], "field": "vin_pattern",
                                      "pattern": f"{demo_data.WMI}*", "position": 50})
    again = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Ireland desk", "members": ["rita", "olga"]})
    assert again["id"] == ireland["id"] and again["members"] == ["olga", "rita"]

    viewer = stack.client("vic", ["viewer"], E)
    # the whole list holds the first 500 blocked vehicles of the session, so one team's work is asked for
    desk = {i["id"]: i for i in viewer.get("/v1/work", params={"team": ireland["id"]})["items"]}
    assert desk[work["blocked"]]["team"] == "Ireland desk" and desk[work["blocked"]]["waiting_for"] == "correction"
    items = {i["id"]: i for i in viewer.get("/v1/work")["items"]}
    assert items[work["release"]]["team"] == "Homologation" and items[work["release"]]["waiting_for"] == "review"
    assert all(i["team"] for i in items.values()), [i for i in items.values() if not i["team"]]
    assert items[work["release"]]["age_hours"] >= 0 and items[work["release"]]["overdue"] is False

    sams = {i["id"] for i in viewer.get("/v1/work", params={"assignee": "sam"})["items"]}
    assert work["release"] in sams and work["blocked"] not in sams
    desk = {i["id"] for i in viewer.get("/v1/work", params={"team": ireland["id"]})["items"]}
    assert work["blocked"] in desk and work["release"] not in desk
    assert [r["position"] for r in viewer.get("/v1/ownership-rules")["items"]] == sorted(
        r["position"] for r in viewer.get("/v1/ownership-rules")["items"])


def test_bad_input_and_strangers(stack, work):
    lead = stack.client("tess", ["team_lead"], E)
    bad = lead.request("POST", "/v1/ownership-rules", json={"team_id": "0" * 36, "field": "colour", "pattern": "R"},
                       expect=None)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["field"], bad.text
    team = lead.post("/v1/teams", {"entity": demo_data.ENTITY, "name": "Strangers test", "members": []})
    stranger = stack.client("otto", ["team_lead"], ["OTHERCO"])
    assert stranger.get("/v1/teams")["items"] == [] and stranger.get("/v1/work")["items"] == []
    refused = stranger.request("POST", "/v1/ownership-rules", json={"team_id": team["id"], "field": "wmi",
                                                                    "pattern": "NWA"}, expect=None)
    assert refused.status_code == 404
    steward = stack.client("dana", ["data_steward"], E)
    assert steward.request("POST", "/v1/teams", json={"entity": demo_data.ENTITY, "name": "x", "members": []},
                           expect=None).status_code == 403
