"""The gateway's HTTP contract (docs/api.md) over real HTTP against the whole running stack:
health, OpenAPI, authentication, roles, entity scoping, four-eyes, signatories, problem+json."""
import json
import time
import uuid

import jwt
import pytest
import requests

from cli import demo_data
from common.config import SERVICES

pytestmark = pytest.mark.e2e

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}
CONTRACT_SEED = 7001
REJECT_SEED = 7002


def assert_problem(response, status, problem_type=None):
    """An application/problem+json error with the contract's five members; returns the body."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers.get("Content-Type", "").split(";")[0] == "application/problem+json", response.headers
    body = response.json()
    assert PROBLEM_KEYS <= set(body), body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert {"field", "message"} <= set(error), error
    assert isinstance(body["type"], str) and body["type"].startswith("urn:ecoc:problem:"), body
    if problem_type is not None:
        assert body["type"] == problem_type, body
    return body


def _import_valid(stack, wait, steward, count, seed):
    vehicles = demo_data.vehicles(count, seed=seed)
    result = steward.post("/v1/vehicles/import", {"vehicles": vehicles})
    assert result["accepted"] == count and not result["rejected"], result
    vins = [v["vin"] for v in vehicles]

    def all_valid():
        statuses = {vin: steward.get(f"/v1/vehicles/{vin}")["status"] for vin in vins}
        assert "blocked" not in statuses.values(), statuses
        return all(s == "valid" for s in statuses.values())

    wait(all_valid, 30, what=f"{count} vehicles to become valid")
    return vins


@pytest.fixture(scope="module")
def in_review(stack, nordwind, wait):
    """A NORDWIND release of three vehicles, imported and requested by dana, waiting for review."""
    steward = stack.client("dana", ["data_steward"], [demo_data.ENTITY])
    vins = _import_valid(stack, wait, steward, 3, CONTRACT_SEED)
    release = steward.post("/v1/releases", {"vins": vins, "note": "contract tests"})
    assert release["status"] == "in_review" and not release["rejected"], release
    return {"id": release["id"], "vins": vins}


# -- open routes ----------------------------------------------------------------------------------


def test_health_lists_every_service_ok(stack):
    response = requests.get(stack.url("/health"), timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["gateway"] == "ok"
    assert body["services"] == {name: "ok" for name in SERVICES}


def test_openapi_is_3_1_with_the_v1_paths(stack):
    response = requests.get(stack.url("/openapi.json"), timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    expected = {
        "/v1/entities/{code}": {"put", "get"}, "/v1/approvals": {"post", "get"}, "/v1/approvals/{id}": {"get"},
        "/v1/vehicles/import": {"post"}, "/v1/vehicles": {"get"}, "/v1/vehicles/{vin}": {"get"},
        "/v1/vehicles/{vin}/history": {"get"}, "/v1/vehicles/{vin}/certificate": {"get"},
        "/v1/vehicles/{vin}/certificates": {"get"}, "/v1/certificates/verify": {"post"},
        "/v1/releases": {"post"}, "/v1/releases/{id}": {"get"}, "/v1/releases/{id}/approve": {"post"},
        "/v1/releases/{id}/reject": {"post"}, "/v1/releases/{id}/sign": {"post"}, "/v1/audit": {"get"},
        "/v1/audit/verify": {"get"}, "/v1/vehicles/{vin}/certificate.pdf": {"get"},
        "/v1/releases/{id}/paper": {"post"}, "/v1/paper-jobs/{id}": {"get"}, "/v1/paper-jobs/{id}/file": {"get"},
        "/v1/entities/{code}/paper-layout": {"get", "put"},
        "/v1/events": {"get"},
        "/v1/rollout/scopes": {"get", "post"}, "/v1/rollout/legacy": {"post"},
        "/v1/rollout/scopes/{id}/parity": {"get"}, "/v1/rollout/legacy/{id}": {"get"},
        "/v1/delivery-targets": {"get"},
        "/v1/delivery-targets/{entity}/{name}": {"get", "put"}, "/v1/deliveries": {"get", "post"},
        "/v1/deliveries/{id}": {"get"}, "/v1/deliveries/{id}/redelivery": {"post"},
        "/v1/vehicles/{vin}/deliveries": {"get"},
    }
    for path, methods in expected.items():
        assert path in doc["paths"], path
        assert methods <= set(doc["paths"][path]), (path, set(doc["paths"][path]))
    assert "Problem" in doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_openapi_describes_requests_responses_and_errors_of_every_operation(stack):
    doc = requests.get(stack.url("/openapi.json"), timeout=10).json()
    problem = {"$ref": "#/components/schemas/Problem"}
    operations = [(m.upper(), p, op) for p, item in doc["paths"].items() for m, op in item.items()]
    assert len(operations) >= 30
    for method, path, op in operations:
        label = f"{method} {path}"
        successes = {code: r for code, r in op["responses"].items() if code[0] in "23"}
        assert successes, label
        for code, response in successes.items():
            if code.startswith("3"):  # a redirect: where to, no body
                assert "Location" in response["headers"], label
                continue
            if code == "204":  # done, nothing to answer
                assert "content" not in response, label
                continue
            [(media, content)] = response["content"].items()
            assert content["schema"], label
            if media == "application/json":
                assert "$ref" in content["schema"] or content["schema"].get("properties"), label
        errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        for code in ("422", "503", "504") if path.startswith("/v1/") else ("422",):
            assert errors[code]["content"]["application/problem+json"]["schema"] == problem, (label, code)
        if path.startswith("/v1/"):
            assert op["security"] == [{"bearer": []}], label
            assert {"401", "403"} <= set(errors), label
            assert ("404" in errors) >= ("{" in path), label
        if "requestBody" in op:  # a body over ECOC_MAX_BODY_BYTES
            assert errors["413"]["content"] == {"application/problem+json": {"schema": problem}}, label
        if method in ("POST", "PUT", "PATCH") and "requestBody" in op:
            json_body = op["requestBody"]["content"].get("application/json")
            if json_body:
                assert "$ref" in json_body["schema"], label
    # request bodies reject unknown fields in the contract too
    for name in ("ApprovalIn", "ReleaseIn", "EntityBody", "VehiclePatch", "RejectIn"):
        assert doc["components"]["schemas"][name]["additionalProperties"] is False, name


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/v1/releases", {"vins": ["X"], "colour": "red"}),
    ("PUT", "/v1/entities/NORDWIND", dict(demo_data.entity(), colour="red")),
    ("POST", "/v1/approvals/{approval}/withdrawal", {"effective_date": "2026-01-01", "reason": "r", "colour": "red"}),
    ("PATCH", f"/v1/vehicles/{demo_data.WMI}00000000000000", {"reason": "r", "colour": "red"}),
], ids=["release", "entity", "withdrawal", "patch"])
def test_unknown_fields_are_422_on_every_json_route(stack, nordwind, method, path, body):
    admin = stack.client("ada", ["admin"])
    path = path.format(approval=nordwind.approval_id)
    response = admin.request(method, path, json=body, expect=None, headers={"If-Match": '"1"'})
    problem = assert_problem(response, 422, "urn:ecoc:problem:validation")
    assert "colour" in {e["field"] for e in problem["errors"]}, problem


@pytest.mark.parametrize("where", ["query", "body", "key"])
def test_text_with_nul_is_422_naming_the_field(stack, nordwind, where):
    steward = stack.client("dana", ["data_steward"], [demo_data.ENTITY])
    if where == "query":
        response = steward.request("GET", "/v1/vehicles", params={"status": "va\x00lid"}, expect=None)
        field = "status"
    elif where == "body":
        response = steward.request("POST", "/v1/releases", json={"vins": ["A\x00"]}, expect=None)
        field = "vins[0]"
    else:
        response = steward.request("POST", "/v1/releases", json={"vins": ["A"], "\ud800": 1}, expect=None)
        field = "_body"
    problem = assert_problem(response, 422, "urn:ecoc:problem:validation")
    assert [e["field"] for e in problem["errors"]] == [field], problem


# -- authentication and roles ---------------------------------------------------------------------


def test_no_token_is_401(stack):
    response = requests.get(stack.url(f"/v1/vehicles/{demo_data.WMI}00000000000000"), timeout=10)
    assert_problem(response, 401, "urn:ecoc:problem:unauthorized")
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_expired_token_is_401(stack):
    s = stack.settings
    past = int(time.time()) - 3600
    token = jwt.encode({"sub": "ada", "roles": ["admin"], "entities": ["*"], "iss": s.jwt_issuer,
                        "aud": s.jwt_audience, "iat": past - 60, "nbf": past - 60, "exp": past},
                       s.jwt_secret, algorithm="HS256")
    response = requests.get(stack.url(f"/v1/entities/{demo_data.ENTITY}"),
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
    body = assert_problem(response, 401, "urn:ecoc:problem:unauthorized")
    assert "expired" in body["detail"].lower()


def test_token_signed_with_another_secret_is_401(stack):
    s = stack.settings
    now = int(time.time())
    token = jwt.encode({"sub": "eve", "roles": ["admin"], "entities": ["*"], "iss": s.jwt_issuer,
                        "aud": s.jwt_audience, "iat": now, "nbf": now, "exp": now + 600},
                       "not-the-secret-" + "x" * 32, algorithm="HS256")
    response = requests.get(stack.url(f"/v1/entities/{demo_data.ENTITY}"),
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert_problem(response, 401, "urn:ecoc:problem:unauthorized")


def test_viewer_may_not_register_an_approval(stack, nordwind):
    viewer = stack.client("vic", ["viewer"], [demo_data.ENTITY])
    response = viewer.request("POST", "/v1/approvals", json=demo_data.approval(), expect=None)
    assert_problem(response, 403, "urn:ecoc:problem:forbidden")


# -- bad input ------------------------------------------------------------------------------------


def test_unknown_body_field_is_422_naming_it(stack, nordwind):
    manager = stack.client("alice", ["approvals_manager"], [demo_data.ENTITY])
    body = dict(demo_data.approval(), number="e6*2018/858*09999*00", paint_shop="blue")
    response = manager.request("POST", "/v1/approvals", json=body, expect=None)
    problem = assert_problem(response, 422, "urn:ecoc:problem:validation")
    assert "paint_shop" in {e["field"] for e in problem["errors"]}, problem
    assert not manager.get("/v1/approvals", params={"number": "e6*2018/858*09999*00"})["items"]


def test_malformed_json_is_400(stack, nordwind):
    manager = stack.client("alice", ["approvals_manager"], [demo_data.ENTITY])
    response = manager.request("POST", "/v1/approvals", data=b'{"number": "e6*2018/858*0', expect=None,
                               headers={"Content-Type": "application/json"})
    assert_problem(response, 400, "urn:ecoc:problem:bad-request")


@pytest.mark.parametrize("body", [[], "a string", 42, None], ids=["list", "string", "number", "null"])
def test_a_body_that_is_not_an_object_is_422(stack, nordwind, body):
    manager = stack.client("alice", ["approvals_manager"], [demo_data.ENTITY])
    response = manager.request("POST", "/v1/approvals", data=json.dumps(body), expect=None,
                               headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "urn:ecoc:problem:validation")


def test_bad_limit_is_422_naming_it(stack, nordwind):
    viewer = stack.client("vic", ["viewer"], [demo_data.ENTITY])
    response = viewer.request("GET", "/v1/vehicles", params={"limit": "many"}, expect=None)
    problem = assert_problem(response, 422, "urn:ecoc:problem:validation")
    assert [e["field"] for e in problem["errors"]] == ["limit"]


# -- entity scope ---------------------------------------------------------------------------------


def test_vehicle_of_another_entity_is_404(stack, in_review):
    vin = in_review["vins"][0]
    assert stack.client("vic", ["viewer"], [demo_data.ENTITY]).get(f"/v1/vehicles/{vin}")["vin"] == vin
    outsider = stack.client("otto", ["viewer", "data_steward"], ["OTHERCO"])
    for path in (f"/v1/vehicles/{vin}", f"/v1/vehicles/{vin}/history", f"/v1/releases/{in_review['id']}",
                 f"/v1/entities/{demo_data.ENTITY}"):
        assert_problem(outsider.request("GET", path, expect=None), 404, "urn:ecoc:problem:not-found")


# -- releases: four-eyes, signatories, states ------------------------------------------------------


def test_requester_may_not_approve_own_release(stack, in_review):
    same_person = stack.client("dana", ["reviewer"], [demo_data.ENTITY])
    response = same_person.request("POST", f"/v1/releases/{in_review['id']}/approve", expect=None)
    assert_problem(response, 403, "urn:ecoc:problem:four-eyes")
    assert stack.client("vic", ["viewer"]).get(f"/v1/releases/{in_review['id']}")["status"] == "in_review"


def test_signer_who_is_not_an_authorised_signatory_is_403(stack, in_review):
    mallory = stack.client("mallory", ["signer"], [demo_data.ENTITY])
    response = mallory.request("POST", f"/v1/releases/{in_review['id']}/sign", expect=None)
    problem = assert_problem(response, 403, "urn:ecoc:problem:forbidden")
    assert "mallory" in problem["detail"]


def test_signing_a_release_that_is_not_approved_is_409(stack, in_review):
    sam = stack.client(demo_data.SIGNATORY["sub"], ["signer"], [demo_data.ENTITY])
    response = sam.request("POST", f"/v1/releases/{in_review['id']}/sign", expect=None)
    assert_problem(response, 409, "urn:ecoc:problem:conflict")
    release = stack.client("vic", ["viewer"]).get(f"/v1/releases/{in_review['id']}")
    assert release["status"] == "in_review"


@pytest.mark.parametrize("release_id", [str(uuid.uuid4()), "not-a-release-id"], ids=["uuid", "garbage"])
def test_unknown_release_is_404(stack, nordwind, release_id):
    viewer = stack.client("vic", ["viewer"])
    assert_problem(viewer.request("GET", f"/v1/releases/{release_id}", expect=None), 404,
                   "urn:ecoc:problem:not-found")
    reviewer = stack.client("rita", ["reviewer"])
    assert_problem(reviewer.request("POST", f"/v1/releases/{release_id}/approve", expect=None), 404,
                   "urn:ecoc:problem:not-found")


def test_unknown_approval_id_that_is_not_a_uuid_is_404(stack, nordwind):
    viewer = stack.client("vic", ["viewer"])
    assert_problem(viewer.request("GET", "/v1/approvals/not-an-approval-id", expect=None), 404,
                   "urn:ecoc:problem:not-found")


def test_unknown_approval_uuid_is_404(stack, nordwind):
    viewer = stack.client("vic", ["viewer"])
    assert_problem(viewer.request("GET", f"/v1/approvals/{uuid.uuid4()}", expect=None), 404,
                   "urn:ecoc:problem:not-found")


def test_last_editor_may_not_reject_the_release(stack, nordwind, wait):
    erin = stack.client("erin", ["data_steward"], [demo_data.ENTITY])
    vins = _import_valid(stack, wait, erin, 2, REJECT_SEED)
    release = stack.client("dana", ["data_steward"], [demo_data.ENTITY]).post(
        "/v1/releases", {"vins": vins, "note": "erin edited these"})
    erin_reviewing = stack.client("erin", ["reviewer"], [demo_data.ENTITY])
    approve = erin_reviewing.request("POST", f"/v1/releases/{release['id']}/approve", expect=None)
    assert_problem(approve, 403, "urn:ecoc:problem:four-eyes")
    reject = erin_reviewing.request("POST", f"/v1/releases/{release['id']}/reject", json={"reason": "no"},
                                    expect=None)
    assert_problem(reject, 403, "urn:ecoc:problem:four-eyes")


# -- what a client generator and a browser rely on ------------------------------------------------


@pytest.mark.parametrize("method,path", [("GET", "/v2/vehicles"), ("GET", "/nothing-here"),
                                         ("POST", "/v1/vehicles/import/extra")])
def test_an_unknown_route_is_404_problem_json(stack, method, path):
    response = requests.request(method, stack.url(path), timeout=10)
    body = assert_problem(response, 404, "urn:ecoc:problem:not-found")
    assert "openapi.json" in body["detail"]


def test_a_method_a_path_does_not_take_is_405_problem_json(stack):
    response = requests.delete(stack.url("/v1/releases"), timeout=10)
    assert_problem(response, 405, "urn:ecoc:problem:method-not-allowed")
    assert response.headers["Allow"] == "GET, HEAD, POST"


def test_an_unknown_state_in_a_filter_is_422_naming_it(stack):
    viewer = stack.client("vic", ["viewer"], [demo_data.ENTITY])
    response = viewer.request("GET", "/v1/vehicles", params={"status": "parked"}, expect=None)
    problem = assert_problem(response, 422, "urn:ecoc:problem:validation")
    assert [e["field"] for e in problem["errors"]] == ["status"], problem


def test_201_answers_carry_location(stack, nordwind):
    approval = nordwind.approval_post
    assert approval.headers["Location"] == f"/v1/approvals/{approval.json()['id']}"
    viewer = stack.client("vic", ["viewer"], [demo_data.ENTITY])
    assert viewer.get(approval.headers["Location"])["number"] == demo_data.APPROVAL_NUMBER


def test_docs_are_served_by_the_gateway_itself(stack):
    page = requests.get(stack.url("/docs"), timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assets = [src for src in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css",
                              "/docs/assets/init.js") if src in page.text or src.endswith("init.js")]
    for asset in assets:
        response = requests.get(stack.url(asset), timeout=30)
        assert response.status_code == 200 and len(response.content) > 100, asset
    assert "http" not in page.text.replace("http-equiv", ""), "the page loads nothing from elsewhere"
    assert_problem(requests.get(stack.url("/docs/assets/core.py"), timeout=10), 404)


def test_an_unknown_event_type_in_the_audit_filter_is_422(stack):
    auditor = stack.client("audrey", ["auditor"], [demo_data.ENTITY])
    response = auditor.request("GET", "/v1/audit", params={"event_type": "vehicle_exploded"}, expect=None)
    problem = assert_problem(response, 422, "urn:ecoc:problem:validation")
    assert [e["field"] for e in problem["errors"]] == ["event_type"], problem
