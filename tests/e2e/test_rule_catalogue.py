"""The open rule catalogue over HTTP: `GET /v1/rules` for any authenticated role, with pack and category filters,
and the findings of a blocked vehicle naming catalogue rules."""
import pytest
import requests

from cli import demo_data

pytestmark = pytest.mark.e2e


def test_any_role_reads_the_whole_catalogue(stack):
    body = stack.client("vic", ["viewer"], [demo_data.ENTITY]).get("/v1/rules")
    assert set(body) >= {"items", "packs"}
    assert set(body["packs"]) == {"core", "family-mn", "family-o", "family-l", "region-eu"}
    ids = [r["id"] for r in body["items"]]
    assert len(ids) >= 40 and len(ids) == len(set(ids))
    for rule in body["items"]:
        assert {"id", "pack", "version", "severity", "applicability", "description", "path", "message"} <= set(rule)
        assert rule["version"] == body["packs"][rule["pack"]]
        assert rule["severity"] in ("error", "warning")
    assert stack.client("audrey", ["auditor"]).get("/v1/rules")["items"] == body["items"]


def test_the_catalogue_filters_by_pack_and_category(stack):
    client = stack.client("vic", ["viewer"])
    regional = client.get("/v1/rules?pack=region-eu")["items"]
    assert regional and {r["pack"] for r in regional} == {"region-eu"}
    trailer = {r["id"] for r in client.get("/v1/rules?category=O3")["items"]}
    car = {r["id"] for r in client.get("/v1/rules?category=M1")["items"]}
    assert "CAT-004" in trailer and "CAT-004" not in car
    assert "TOW-007" in car and "TOW-007" not in trailer
    both = client.get("/v1/rules?pack=family-mn&category=N2")["items"]
    assert {r["pack"] for r in both} == {"family-mn"} and "CAT-001" not in {r["id"] for r in both}


def test_a_bad_filter_is_422_naming_it(stack):
    response = stack.client("vic", ["viewer"]).request("GET", "/v1/rules?pack=nope", expect=None)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["pack"]


def test_the_catalogue_needs_a_token(stack):
    response = requests.get(stack.url("/v1/rules"), timeout=10)
    assert response.status_code == 401


def test_the_catalogue_is_in_the_contract(stack):
    doc = requests.get(stack.url("/openapi.json"), timeout=10).json()
    assert "get" in doc["paths"]["/v1/rules"]


def test_every_finding_of_a_vehicle_names_a_catalogue_rule(stack, nordwind, wait):
    steward = stack.client("dana", ["data_steward"], [demo_data.ENTITY])
    [good] = demo_data.vehicles(1, seed=9301)
    light = dict(good, vin=demo_data.vins(2, seed=9302)[1],
                 coc={"MassGroup": {"ActualMass": 1800}, "ColourTable": [{"Colour": "1"}]})  # below running order
    result = steward.post("/v1/vehicles/import", {"vehicles": [light]})
    assert result["accepted"] == 1, result

    def judged():
        found = steward.get(f"/v1/vehicles/{light['vin']}")
        return found if found["status"] != "draft" else None

    vehicle = wait(judged, 30, what="validation of the light vehicle")
    assert vehicle["status"] == "blocked"
    rules = {r["id"]: r for r in steward.get("/v1/rules")["items"]}
    errors = [f for f in vehicle["findings"] if f["severity"] == "error"]
    assert [f["rule"] for f in errors] == ["MAS-001"], vehicle["findings"]
    assert errors[0]["message"] == \
        "Actual mass (13.2) 1,800 kg is below the mass in running order (13) 1,890 kg."
    assert (errors[0]["expected"], errors[0]["found"]) == ("at least 1,890 kg", "1,800 kg")
    assert all(f["rule"] in rules and rules[f["rule"]]["severity"] == f["severity"] for f in vehicle["findings"])
