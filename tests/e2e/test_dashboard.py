"""The dashboard over HTTP: counts by entity, intended country and state; blocked vehicles with their top
findings (item and label of the field); releases waiting for review or for signing; the seal's validity;
the readable CoC of a vehicle before and after sealing; and entity scope (another entity's viewer sees
none of it)."""
import copy
import datetime as dt

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cli import demo_data
from services.signing.domain.keys import write_seal

pytestmark = pytest.mark.e2e

SEED = 7171
COUNTRY = "L"  # Luxembourg: no other e2e module imports vehicles for it
BLOCKED_VIN = demo_data.vins(1, seed=SEED + 1)[0]


@pytest.fixture(scope="module")
def actors(stack):
    e = [demo_data.ENTITY]
    return {"steward": stack.client("dana", ["data_steward"], e), "reviewer": stack.client("rita", ["reviewer"], e),
            "signer": stack.client(demo_data.SIGNATORY["sub"], ["signer"], e),
            "viewer": stack.client("vic", ["viewer"], e),
            "stranger": stack.client("otto", ["viewer"], ["OTHERCO"])}


@pytest.fixture(scope="module")
def board(nordwind, actors, wait):
    """Four vehicles for Luxembourg: one blocked (a version the approval does not list), two in a release
    waiting for review, one in a release waiting for signing."""
    good = [dict(v, intended_country=COUNTRY) for v in demo_data.vehicles(3, seed=SEED)]
    blocked = dict(copy.deepcopy(good[0]), vin=BLOCKED_VIN, version="NWA1-RWD-XX")
    result = actors["steward"].post("/v1/vehicles/import", {"vehicles": good + [blocked]})
    assert result["accepted"] == 4, result
    viewer = actors["viewer"]

    def judged():
        states = {v["vin"]: viewer.get(f"/v1/vehicles/{v['vin']}")["status"] for v in good + [blocked]}
        return states if "draft" not in states.values() else None

    states = wait(judged, 30, interval=0.3, what="validation of the dashboard vehicles")
    assert states == dict({v["vin"]: "valid" for v in good}, **{BLOCKED_VIN: "blocked"}), states
    in_review = actors["steward"].post("/v1/releases", {"vins": [good[0]["vin"], good[1]["vin"]], "note": "dash"})
    to_sign = actors["steward"].post("/v1/releases", {"vins": [good[2]["vin"]], "note": "dash sign"})
    actors["reviewer"].request("POST", f"/v1/releases/{to_sign['id']}/approve")
    return {"good": good, "in_review": in_review["id"], "to_sign": to_sign["id"]}


def test_counts_blocked_findings_and_waiting_releases_per_entity_and_country(board, actors):
    answer = actors["viewer"].get(f"/v1/dashboard?country={COUNTRY}")
    assert answer["filters"] == {"entity": None, "country": COUNTRY}
    assert [e["entity"] for e in answer["entities"]] == [demo_data.ENTITY]
    [entity] = answer["entities"]
    assert [c["country"] for c in entity["countries"]] == [COUNTRY]
    counts = entity["countries"][0]["counts"]
    assert counts == {"draft": 0, "valid": 0, "blocked": 1, "in_review": 2, "approved": 1, "released": 0,
                      "withdrawn": 0}
    assert entity["countries"][0]["total"] == 4 and entity["counts"] == counts

    [blocked] = entity["blocked"]
    assert (blocked["vin"], blocked["country"], blocked["revision"]) == (BLOCKED_VIN, COUNTRY, 1)
    assert blocked["findings"][0]["severity"] == "error" and blocked["findings"][0]["rule"] == "APR-002"
    assert blocked["findings"][0]["message"] and len(blocked["findings"]) <= 3
    assert blocked["finding_count"] >= len(blocked["findings"])
    assert blocked["coc_view"] == f"/dashboard/vehicles/{BLOCKED_VIN}/coc"

    waiting = {r["id"]: r for r in entity["releases"]}
    assert set(waiting) == {board["in_review"], board["to_sign"]}
    review, sign = waiting[board["in_review"]], waiting[board["to_sign"]]
    assert (review["status"], review["waiting_for"], review["vehicles"], review["requested_by"]) == (
        "in_review", "review", 2, "dana")
    assert (sign["status"], sign["waiting_for"], sign["vehicles"], sign["reviewed_by"]) == (
        "approved", "signing", 1, "rita")
    assert review["countries"] == [COUNTRY] and review["link"] == f"/dashboard/releases/{board['in_review']}"

    seal = entity["seal"]
    assert seal["entity"] == demo_data.ENTITY and seal["state"] == "valid" and seal["days_left"] > 30
    assert demo_data.ENTITY not in [s["entity"] for s in answer["expiring_seals"]]


def test_without_the_country_filter_the_entity_spans_every_country(board, actors):
    answer = actors["viewer"].get(f"/v1/dashboard?entity={demo_data.ENTITY}")
    [entity] = answer["entities"]
    countries = {c["country"]: c for c in entity["countries"]}
    assert COUNTRY in countries and countries[COUNTRY]["total"] == 4
    assert entity["total"] == sum(c["total"] for c in countries.values())
    assert BLOCKED_VIN in [b["vin"] for b in entity["blocked"]]


def test_a_viewer_of_another_entity_sees_none_of_it(board, actors, stack):
    stranger = actors["stranger"]
    answer = stranger.get("/v1/dashboard")  # only its own entity, which other modules may have registered
    assert {e["entity"] for e in answer["entities"]} <= {"OTHERCO"}
    assert all(s.get("entity") == "OTHERCO" for s in answer["expiring_seals"])
    assert stranger.get(f"/v1/dashboard?entity={demo_data.ENTITY}")["entities"] == []
    assert stranger.request("GET", f"/v1/vehicles/{BLOCKED_VIN}/coc", expect=None).status_code == 404
    page = stranger.request("GET", "/dashboard")
    assert page.headers["Content-Type"].startswith("text/html")
    assert BLOCKED_VIN not in page.text and demo_data.ENTITY not in page.text and board["in_review"] not in page.text
    assert stranger.request("GET", "/dashboard?entity=&country=").status_code == 200  # the page's empty filter form
    hidden = stranger.request("GET", f"/dashboard/vehicles/{BLOCKED_VIN}/coc", expect=None)
    assert hidden.status_code == 404 and hidden.headers["Content-Type"].startswith("text/html")
    assert f"no vehicle {BLOCKED_VIN}" in hidden.text


def test_bad_parameters_and_missing_tokens_are_4xx(board, actors, stack):
    bad = actors["viewer"].request("GET", "/v1/dashboard?blocked_limit=0", expect=None)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["blocked_limit"], bad.text
    assert requests.get(stack.url("/v1/dashboard"), timeout=10).status_code == 401
    page = requests.get(stack.url("/dashboard"), timeout=10, allow_redirects=False)
    assert page.status_code == 303 and page.headers["Location"] == "/dashboard/login"
    refused = requests.post(stack.url("/dashboard/login"), data={"token": "not-a-token"}, timeout=10)
    assert refused.status_code == 401 and "invalid token" in refused.text
    cross_site = requests.post(stack.url("/dashboard/login"), data={"token": "x"}, timeout=10,
                               headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403


def test_the_readable_coc_before_and_after_sealing(board, actors, wait):
    vin = board["good"][0]["vin"]
    preview = actors["viewer"].get(f"/v1/vehicles/{vin}/coc")
    assert (preview["vin"], preview["source"], preview["certificate"], preview["numbered"]) == (
        vin, "preview", None, True)
    by_path = {line["path"]: line for line in preview["lines"]}
    mass = by_path["MassGroup.ActualMass"]
    assert (mass["item"], mass["label"], mass["value"]) == (
        "13.2", "Actual mass of the vehicle (kg)", board["good"][0]["coc"]["MassGroup"]["ActualMass"])
    assert (by_path["VehicleIdentificationNumber"]["item"], by_path["VehicleIdentificationNumber"]["value"]) == (
        "0.10", vin)
    make = by_path["MakeTable"]
    assert make["item"] == "0.1" and make["entries"] == [[{"item": "0.1", "label": "Make", "name": "Make",
                                                           "path": "MakeTable[0].Make", "value": "NORDWIND"}]]
    items = [line["item"] for line in preview["lines"] if line["item"]]
    assert items.index("0.10") < items.index("13.2") < items.index("16.1")  # in the order of the paper CoC

    signed_vin = board["good"][2]["vin"]
    actors["signer"].request("POST", f"/v1/releases/{board['to_sign']}/sign")
    wait(lambda: actors["viewer"].get(f"/v1/vehicles/{signed_vin}")["status"] == "released", 60, interval=0.3,
         what="the release to be sealed")
    sealed = actors["viewer"].get(f"/v1/vehicles/{signed_vin}/coc")
    [version] = actors["viewer"].get(f"/v1/vehicles/{signed_vin}/certificates")["items"]
    assert sealed["source"] == "certificate"
    assert sealed["certificate"]["reference_id"] == version["reference_id"]
    header = {line["name"]: line["value"] for line in sealed["header"]}
    assert header["IviReferenceId"] == version["reference_id"] and header["IviVersionNumber"] == 1
    assert header["IntendedCountryRegistration"] == COUNTRY
    lines = {line["path"]: line for line in sealed["lines"]}
    assert lines["MassGroup.ActualMass"]["value"] == board["good"][2]["coc"]["MassGroup"]["ActualMass"]
    signer = {sub["name"]: sub["value"] for sub in lines["SigningAuthorityTable"]["entries"][0]}
    assert signer["SignerName"] == demo_data.SIGNATORY["name"]
    after = actors["viewer"].get(f"/v1/dashboard?country={COUNTRY}")["entities"][0]
    assert board["to_sign"] not in [r["id"] for r in after["releases"]]
    assert after["countries"][0]["counts"]["released"] == 1


def test_a_seal_expiring_within_30_days_is_listed_for_its_entity_only(board, actors, stack):
    code = "SOONSEAL"
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SOON SEAL NV")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=700))
            .not_valid_after(now + dt.timedelta(days=10, hours=1)).sign(key, hashes.SHA256()))
    write_seal(stack.keys_dir, code, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()),
               cert.public_bytes(serialization.Encoding.PEM))

    viewer = stack.client("sue", ["viewer"], [code])
    answer = viewer.get("/v1/dashboard")
    [expiring] = answer["expiring_seals"]
    assert (expiring["entity"], expiring["state"], expiring["days_left"], expiring["current_certificates"]) == (
        code, "expiring", 10, 0)
    assert [(e["entity"], e["seal"]["state"], e["total"]) for e in answer["entities"]] == [(code, "expiring", 0)]
    page = viewer.request("GET", "/dashboard").text
    assert "Seal certificates expiring soon" in page and code in page
    assert code not in [s["entity"] for s in actors["viewer"].get("/v1/dashboard")["expiring_seals"]]
