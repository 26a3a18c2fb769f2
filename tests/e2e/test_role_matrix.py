"""Every route of api.md × the seven roles and no token, over HTTP against the running stack.

One request per cell, with a payload the allowed role could send. Expected per cell: `ok` (the role may:
anything but 401/403/404 and 5xx — a 409 or 422 of a repeated action is still the role being let in),
403 (the role may not), 401 (no token). An allowed role scoped to another legal entity gets 404 for an
object of NORDWIND. The table is written from api.md here, not read from the gateway."""
import copy
import json
import time
import uuid
from collections import Counter
from pathlib import Path

import jwt
import pytest
import requests

from cli import demo_data
from gateway.auth import issue_token

pytestmark = pytest.mark.e2e

ROLES = ("approvals_manager", "data_steward", "reviewer", "signer", "auditor", "viewer", "team_lead", "admin")
E = demo_data.ENTITY
ANY = ROLES  # "viewer" in api.md: every role reads within its entities
COMMENTERS = tuple(r for r in ROLES if r != "viewer")  # a viewer reads comments only
OWN_NUMBER = "e6*2018/858*07772*00"
IMPORTER, REQUESTER = "imogen", "quentin"  # neither ever reviews: four-eyes must not decide a cell
SIGNER = demo_data.SIGNATORY["sub"]  # the entity's authorised signatory; the signer role acts as them
# a rollout scope that selects no vehicle of the session (no WMI ZZZ): it takes nothing out of live production
SPECIMEN = Path(__file__).resolve().parents[2].parent / "shared" / "ivi" / "samples" / "M1-01-LexusRZ450e.xml"
NO_VEHICLE = {"entity": E, "name": "matrix: no vehicle", "selector": {"vin_prefixes": ["ZZZ"]}, "mode": "off"}


class Route:
    def __init__(self, method, path, roles, body=None, xml=None, foreign=True, headers=None, only=None):
        self.method, self.path, self.roles = method, path, roles
        self.body, self.xml, self.foreign, self.headers = body, xml, foreign, headers
        self.only = only or {}  # role → why that role is refused although api.md names it (e.g. not a signatory)

    def __repr__(self):
        return f"{self.method} {self.path}"


def routes(world):
    w = world
    vin, edit, released, withdraw = w["vin"], w["edit"], w["released"], w["withdraw"]
    approval = f"/v1/approvals/{w['approval']}"
    not_signatory = {"admin": "admin is no authorised signatory of NORDWIND"}
    scope = f"/v1/rollout/scopes/{w['scope']}"
    return [
        Route("GET", f"/v1/entities/{E}", ANY),
        Route("PUT", f"/v1/entities/{E}", ("admin",), body=demo_data.entity()),
        Route("GET", f"/v1/approvals?number={OWN_NUMBER}", ANY, foreign=False),
        Route("GET", approval, ANY),
        Route("GET", f"{approval}/impact", ANY),
        Route("POST", "/v1/approvals", ("approvals_manager", "admin"), body=demo_data.approval(), foreign=False),
        Route("POST", f"/v1/approvals/from-ivi?entity={E}", ("approvals_manager", "admin"), xml="<NotIvi/>",
              foreign=False),
        Route("POST", f"{approval}/extensions", ("approvals_manager", "admin"),
              body={"extension": 1, "issue_date": "2026-12-01", "reason": "role matrix"}),
        Route("GET", "/v1/vehicles", ANY, foreign=False),
        Route("GET", f"/v1/vehicles/{vin}", ANY),
        Route("GET", f"/v1/vehicles/{vin}/history", ANY),
        Route("GET", f"/v1/vehicles/{released}/certificate", ANY),
        Route("GET", f"/v1/vehicles/{released}/certificates", ANY),
        Route("GET", f"/v1/vehicles/{released}/certificate.pdf", ANY),
        Route("POST", f"/v1/releases/{w['signed_release']}/paper", ANY),
        Route("GET", f"/v1/paper-jobs/{w['paper_job']}", ANY),
        Route("GET", f"/v1/paper-jobs/{w['paper_job']}/file", ANY),
        Route("GET", f"/v1/entities/{E}/paper-layout", ANY),
        Route("PUT", f"/v1/entities/{E}/paper-layout", ("admin",), body={"watermark": "role matrix"}),
        Route("POST", "/v1/certificates/verify", ANY, xml=w["certificate"], foreign=False),
        Route("GET", f"/v1/releases/{w['signed_release']}", ANY),
        Route("GET", "/v1/dashboard", ANY, foreign=False),
        Route("GET", "/v1/events?limit=5", ANY, foreign=False),
        Route("GET", "/v1/webhooks", ANY, foreign=False),
        Route("GET", f"/v1/webhooks/{w['webhook']}", ANY),
        Route("GET", f"/v1/webhooks/{w['webhook']}/deliveries", ANY),
        Route("POST", "/v1/webhooks", ("data_steward", "admin"), foreign=False,
              body={"entity": E, "url": "ftp://matrix.example.eu/refused"}),  # let in, then 422: nothing created
        Route("PATCH", f"/v1/webhooks/{w['webhook']}", ("data_steward", "admin"), body={"active": False}),
        Route("POST", f"/v1/webhooks/{w['webhook']}/ping", ("data_steward", "admin")),
        Route("GET", "/v1/teams", ANY, foreign=False),
        Route("GET", "/v1/ownership-rules", ANY, foreign=False),
        Route("GET", "/v1/work", ANY, foreign=False),
        Route("POST", "/v1/teams", ("team_lead", "admin"), body={"entity": E, "name": "matrix", "members": ["x"]}),
        Route("PATCH", f"/v1/teams/{w['team']}", ("team_lead", "admin"), body={"add_members": ["x"]}),
        # nobody works on the release in review: giving it back changes nothing, for whoever may work on it
        Route("DELETE", f"/v1/work/releases/{w['review']}/assignee", ("data_steward", "reviewer", "signer",
                                                                       "team_lead", "admin")),
        Route("GET", f"/v1/vehicles/{vin}/comments", ANY),
        Route("GET", f"/v1/releases/{w['signed_release']}/comments", ANY),
        Route("POST", f"/v1/vehicles/{vin}/comments", COMMENTERS, body={"body": "role matrix"}),
        Route("POST", f"/v1/releases/{w['signed_release']}/comments", COMMENTERS, body={"body": "role matrix"}),
        Route("GET", f"/v1/audit?subject={vin}", ("auditor", "admin"), foreign=False),
        Route("GET", "/v1/audit/verify", ("auditor", "admin"), foreign=False),
        Route("GET", f"/v1/vehicles/{released}/evidence", ("auditor", "admin")),
        Route("POST", "/v1/vehicles/import", ("data_steward", "admin"), foreign=False,
              body={"vehicles": demo_data.vehicles(1, seed=8080)}),
        Route("POST", f"/v1/vehicles/from-ivi?entity={E}", ("data_steward", "admin"), xml="<NotIvi/>",
              foreign=False),
        Route("PATCH", f"/v1/vehicles/{edit}", ("data_steward", "admin"), headers={"If-Match": '"1"'},
              body={"reason": "role matrix", "intended_country": "NL"}),
        Route("POST", "/v1/releases", ("data_steward", "admin"), foreign=False,
              body={"vins": [w["spare"]], "note": "role matrix"}),
        Route("POST", f"/v1/releases/{w['review']}/approve", ("reviewer", "admin")),
        Route("POST", f"/v1/releases/{w['review']}/reject", ("reviewer", "admin"), body={"reason": "role matrix"}),
        Route("POST", f"/v1/releases/{w['review']}/sign", ("signer", "admin"), only=not_signatory),
        Route("POST", f"/v1/vehicles/{released}/corrections", ("data_steward", "admin"),
              body={"reason": "role matrix", "coc": {"ColourTable": [{"Colour": "7"}]}}),
        Route("POST", f"/v1/vehicles/{withdraw}/withdrawal", ("signer", "admin"), only=not_signatory,
              body={"reason": "role matrix"}),
        Route("POST", f"{approval}/withdrawal", ("approvals_manager", "admin"),
              body={"effective_date": "2099-12-31", "reason": "role matrix"}),
        Route("GET", "/v1/rollout/scopes", ANY, foreign=False),
        Route("GET", "/v1/rollout/overview", ANY, foreign=False),
        Route("POST", "/v1/rollout/scopes", ("admin",), foreign=False, body=dict(NO_VEHICLE, name="matrix: new")),
        Route("GET", scope, ANY),
        Route("PATCH", scope, ("admin",), body={"name": "matrix: no vehicle"}),
        Route("POST", f"{scope}/rollback", ("admin",), body={"reason": "role matrix"}),
        Route("POST", f"{scope}/cutover", ("admin",), body={}),
        Route("POST", f"{scope}/cutover/approve", ("admin",)),
        Route("POST", f"{scope}/explanations", ("admin",), body={"path": "MassGroup.ActualMass", "reason": "matrix"}),
        Route("GET", f"{scope}/parity", ANY),
        Route("GET", f"{scope}/parity.csv", ANY),
        Route("POST", f"/v1/rollout/legacy?entity={E}", ("data_steward", "admin"), xml="<NotIvi/>", foreign=False),
        Route("GET", f"/v1/rollout/legacy/{w['legacy']}", ANY),
        Route("GET", "/v1/delivery-targets", ANY, foreign=False),
        Route("GET", f"/v1/delivery-targets/{E}/matrix", ANY),
        Route("PUT", f"/v1/delivery-targets/{E}/matrix", ("admin",), body={
            "endpoint": "https://nap.example/matrix", "client_cert": "matrix.pem", "client_key": "matrix.key",
            "country": "MTX", "enabled": False, "auto_deliver": False}),
        Route("GET", "/v1/deliveries", ANY, foreign=False),
        Route("POST", "/v1/deliveries", ("data_steward", "signer", "admin"), body={"vins": [released]},
              foreign=False),
        Route("GET", f"/v1/vehicles/{released}/deliveries", ANY),
    ]


def token(stack, role, entities=(E,)):
    sub = SIGNER if role == "signer" else f"matrix-{role}"
    return issue_token(stack.settings, sub, [role], list(entities))


def send(stack, route, bearer):
    headers = dict(route.headers or {})
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    kwargs = {"json": copy.deepcopy(route.body)} if route.body is not None else {}
    if route.xml is not None:
        kwargs = {"data": route.xml.encode() if isinstance(route.xml, str) else route.xml}
        headers["Content-Type"] = "application/xml"
    elif route.method in ("POST", "PUT", "PATCH") and route.body is None:
        kwargs = {"json": {}}
    headers["Idempotency-Key"] = str(uuid.uuid4())  # every cell is a new request, never a replay
    response = requests.request(route.method, stack.url(route.path), headers=headers, timeout=60, **kwargs)
    return response.status_code, response.text[:300]


@pytest.fixture(scope="module")
def world(stack, nordwind, wait):
    """NORDWIND objects in every state a route needs: a released vehicle with its certificate (and one to
    withdraw), a release in review, a valid vehicle to edit, a spare valid one, an approval of the test's own."""
    importer = stack.client(IMPORTER, ["data_steward"], [E])
    requester = stack.client(REQUESTER, ["data_steward"], [E])
    manager = stack.client("mia", ["approvals_manager"], [E])
    own = manager.request("POST", "/v1/approvals", json=dict(copy.deepcopy(demo_data.approval()), number=OWN_NUMBER),
                          expect=None)
    assert own.status_code == 201, own.text
    batch = demo_data.vehicles(6, seed=7272)
    vins = [v["vin"] for v in batch]
    assert importer.post("/v1/vehicles/import", {"vehicles": batch})["accepted"] == 6
    wait(lambda: all(importer.get(f"/v1/vehicles/{v}")["status"] == "valid" for v in vins), 60, what="valid")
    signed = requester.post("/v1/releases", {"vins": vins[:2], "note": "matrix: signed"})["id"]
    stack.client("rhea", ["reviewer"], [E]).post(f"/v1/releases/{signed}/approve")
    stack.client(SIGNER, ["signer"], [E]).request("POST", f"/v1/releases/{signed}/sign", json={})
    wait(lambda: importer.get(f"/v1/releases/{signed}")["status"] == "released", 120, what="release signed")
    review = requester.post("/v1/releases", {"vins": vins[2:3], "note": "matrix: in review"})["id"]
    certificate = importer.request("GET", f"/v1/vehicles/{vins[0]}/certificate").content
    # a paused webhook: nothing is delivered to its dead port, and a ping of it is a 409 for the roles let in
    webhook = importer.post("/v1/webhooks", {"entity": E, "url": "http://127.0.0.1:9/matrix"})["id"]
    importer.request("PATCH", f"/v1/webhooks/{webhook}", json={"active": False})
    scope = stack.client("ada", ["admin"]).post("/v1/rollout/scopes", NO_VEHICLE)["id"]
    # a legacy eCoC of a VIN no test makes (the specimen with its VIN replaced: its version number touches nothing)
    document = SPECIMEN.read_bytes().replace(b"JTJM1C0MPTEST0001", b"NWZZZ000000000001")
    legacy = importer.request("POST", "/v1/rollout/legacy", params={"entity": E}, data=document,
                              headers={"Content-Type": "application/xml"}).json()["documents"][0]["id"]
    stack.client("ada", ["admin"], [E]).put(f"/v1/delivery-targets/{E}/matrix", {  # disabled: nothing is sent
        "endpoint": "https://nap.example/matrix", "client_cert": "matrix.pem", "client_key": "matrix.key",
        "country": "MTX", "enabled": False, "auto_deliver": False})
    paper_job = stack.client("vera", ["viewer"], [E]).request("POST", f"/v1/releases/{signed}/paper").json()["id"]
    team = stack.client("tilda", ["team_lead"], [E]).post("/v1/teams", {"entity": E, "name": "matrix: changed",
                                                                       "members": []})["id"]
    return {"team": team, "paper_job": paper_job, "scope": scope, "legacy": legacy, "approval": own.json()["id"], "webhook": webhook, "released": vins[0],
            "withdraw": vins[1], "review": review, "signed_release": signed, "vin": vins[3], "edit": vins[4],
            "spare": vins[5], "certificate": certificate}


def expected(route, role):
    if role is None:
        return 401
    if role in route.only:
        return 403
    return "ok" if role in route.roles else 403


def outcome(status):
    return "ok" if status not in (401, 403, 404) and status < 500 else status


def test_every_route_against_every_role(stack, world):
    """One table of every cell; it fails listing every cell that differs, so one run shows the whole picture."""
    wrong, cells = [], Counter()
    table = routes(world)
    for route in table:
        for role in (None, *ROLES):
            status, text = send(stack, route, token(stack, role) if role else None)
            cells[expected(route, role)] += 1
            if outcome(status) != expected(route, role):
                wrong.append(f"{route!r} as {role or 'no token'}: {status} (want {expected(route, role)}) {text}")
            if role in route.roles and role not in route.only and route.foreign:
                status, text = send(stack, route, token(stack, role, ["ELSEWHERE"]))
                cells["foreign"] += 1
                if status != 404:
                    wrong.append(f"{route!r} as {role} of another entity: {status} (want 404) {text}")
    assert not wrong, f"{len(wrong)} cells differ from api.md:\n" + "\n".join(wrong)
    assert cells[401] == len(table) and cells[403] > 70 and cells["ok"] > 100 and cells["foreign"] > 30, cells


def test_open_routes_need_no_token(stack):
    for path in ("/health", "/openapi.json"):
        assert requests.get(stack.url(path), timeout=30).status_code == 200, path


def test_bad_tokens_are_401_over_http(stack):
    s = stack.settings
    now = int(time.time())
    good = {"sub": "ada", "roles": ["admin"], "entities": ["*"], "iss": s.jwt_issuer, "aud": s.jwt_audience,
            "iat": now, "exp": now + 300}
    header, _, signature = issue_token(s, "vic", ["viewer"], [E]).split(".")
    raised = jwt.utils.base64url_encode(json.dumps(good).encode()).decode()
    bad = {
        "expired": jwt.encode(dict(good, exp=now - 3600), s.jwt_secret, algorithm="HS256"),
        "not yet valid": jwt.encode(dict(good, nbf=now + 3600), s.jwt_secret, algorithm="HS256"),
        "alg none": jwt.encode(good, None, algorithm="none"),
        "other secret": jwt.encode(good, "not-the-stack-secret-but-long-enough-32", algorithm="HS256"),
        "other issuer": jwt.encode(dict(good, iss="evil"), s.jwt_secret, algorithm="HS256"),
        "other audience": jwt.encode(dict(good, aud="evil"), s.jwt_secret, algorithm="HS256"),
        "tampered roles": f"{header}.{raised}.{signature}",
    }
    for name, value in bad.items():
        response = requests.get(stack.url(f"/v1/entities/{E}"), headers={"Authorization": f"Bearer {value}"},
                                timeout=30)
        assert response.status_code == 401, (name, response.text)
        assert response.json()["type"] == "urn:ecoc:problem:unauthorized", name
    ok = requests.get(stack.url(f"/v1/entities/{E}"), timeout=30,
                      headers={"Authorization": f"Bearer {jwt.encode(good, s.jwt_secret, algorithm='HS256')}"})
    assert ok.status_code == 200, ok.text  # the same claims, signed properly, are let in


def test_admin_is_still_subject_to_four_eyes_over_http(stack, nordwind, wait):
    adele = stack.client("adele", ["admin"])
    [vehicle] = demo_data.vehicles(1, seed=9191)
    assert adele.post("/v1/vehicles/import", {"vehicles": [vehicle]})["accepted"] == 1
    wait(lambda: adele.get(f"/v1/vehicles/{vehicle['vin']}")["status"] == "valid", 60, what="valid")
    release = adele.post("/v1/releases", {"vins": [vehicle["vin"]], "note": "admin asks"})
    refused = adele.request("POST", f"/v1/releases/{release['id']}/approve", expect=None)
    assert refused.status_code == 403 and refused.json()["type"] == "urn:ecoc:problem:four-eyes", refused.text
    approved = stack.client("arno", ["admin"]).post(f"/v1/releases/{release['id']}/approve")
    assert (approved["status"], approved["reviewed_by"]) == ("approved", "arno")
