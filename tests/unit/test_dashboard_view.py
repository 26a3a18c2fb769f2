"""The dashboard's plain-Python parts: CoC labels and item numbers, the readable CoC, the dashboard content
from the services' answers, the seal's expiry state, the page's session rules and HTML escaping."""
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from cli import demo_data
from common.composition import compose_coc
from common.ivi.labels import LABELS, item_numbers_apply, label_of, spelled_out
from gateway.dashboard.coc_view import coc_view
from gateway.dashboard.render import render
from gateway.dashboard.session import same_origin
from gateway.dashboard.view import dashboard, top_findings
from services.signing.domain.seal_status import seal_status

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.timezone.utc)


def test_labels_name_the_items_of_the_paper_coc():
    assert label_of("ActualMass") == ("13.2", "Actual mass of the vehicle (kg)")
    assert label_of("VehicleIdentificationNumber") == ("0.10", "Vehicle identification number")
    assert label_of("TechnicallyPermissibleMaximumCombinationMass")[0] == "16.4"
    assert label_of("TechnicallyPermissibleMaximumStaticVerticalMassCouplingPoint")[0] == "19"
    # an unlisted element takes the item above it and a label spelled out from its name
    assert label_of("WltpCo2Combined", "49") == ("49", "WLTP CO2 combined")
    assert spelled_out("EURepresentativeName") == "EU representative name"
    assert spelled_out("Maximum15MinutesPower") == "Maximum 15 minutes power"
    assert all(item == "" or all(p.isdigit() for p in item.split(".")) for item, _ in LABELS.values())
    assert item_numbers_apply("M1") and item_numbers_apply("N2") and item_numbers_apply("O3")
    assert not item_numbers_apply("L1e") and not item_numbers_apply(None)


def demo_coc():
    vehicle = demo_data.vehicles(1)[0]
    return vehicle, compose_coc(dict(demo_data.TYPE_LEVEL, VehicleCategory="M1"), vehicle)


def test_the_readable_coc_follows_the_item_order_and_lists_table_entries():
    vehicle, coc = demo_coc()
    view = coc_view(coc, {"IviVersionNumber": 2, "IviReferenceId": "r"})
    assert view["numbered"] is True
    assert [line["name"] for line in view["header"]] == ["IviReferenceId", "IviVersionNumber"]
    items = [line["item"] for line in view["lines"]]
    numbered = [i for i in items if i]
    assert numbered == sorted(numbered, key=lambda i: [int(p) for p in i.split(".")])
    assert items.index("") > items.index("49")  # unnumbered lines after the numbered ones
    by_path = {line["path"]: line for line in view["lines"]}
    assert by_path["MassGroup.ActualMass"]["value"] == vehicle["coc"]["MassGroup"]["ActualMass"]
    axles = by_path["AxleTable"]
    assert axles["item"] == "30" and len(axles["entries"]) == 2
    first = {sub["name"]: sub for sub in axles["entries"][0]}
    assert list(first)[0] == "AxleNumber"  # an entry keeps its data's order
    assert (first["TechnicallyPermissibleMassAxle"]["item"], first["TechnicallyPermissibleMassAxle"]["value"]) == (
        "16.2", 1150)
    tyres = first["TyreAxleTable"]["entries"][0]
    assert {s["name"]: s["value"] for s in tyres}["TyreSize"] == "235/45R19"


def test_an_l_category_coc_carries_labels_but_no_item_numbers():
    _, coc = demo_coc()
    view = coc_view(dict(coc, VehicleCategory="L3e"))
    assert view["numbered"] is False and all(line["item"] == "" for line in view["lines"])
    assert "Actual mass of the vehicle (kg)" in [line["label"] for line in view["lines"]]


def test_top_findings_put_errors_first_with_the_field_label():
    findings = [{"rule": f"W-{i}", "severity": "warning", "path": "Colour", "message": "w"} for i in range(3)]
    findings.append({"rule": "APR-002", "severity": "error", "path": "AxleTable[1].AxleTrack", "message": "e"})
    top = top_findings(findings)
    assert [f["rule"] for f in top] == ["APR-002", "W-0", "W-1"]
    assert (top[0]["item"], top[0]["label"]) == ("30", "Axle track (mm)")


ANSWER = {
    "counts": [{"entity": "ACME", "country": "B", "status": "valid", "count": 2},
               {"entity": "ACME", "country": "B", "status": "blocked", "count": 1},
               {"entity": "ACME", "country": "NL", "status": "in_review", "count": 3},
               {"entity": "ZED", "country": "D", "status": "released", "count": 5}],
    "blocked": [{"vin": "V" * 17, "entity": "ACME", "intended_country": "B", "revision": 2, "approval_number": "n",
                 "updated_at": "t",
                 "findings": [{"rule": "R", "severity": "error", "path": "Colour", "message": "m"}]}],
    "releases": [{"id": "r1", "entity": "ACME", "status": "in_review", "waiting_for": "review", "vehicles": 3,
                  "countries": ["NL"], "note": None, "requested_by": "dana", "requested_at": "t",
                  "reviewed_by": None, "reviewed_at": None}],
}
SEALS = [{"entity": "ACME", "state": "expiring", "days_left": 4, "not_after": "x", "not_before": "y",
          "fingerprint": "f", "current_certificates": 7},
         {"entity": "OTHER", "state": "valid", "days_left": 400, "not_after": "x", "not_before": "y",
          "fingerprint": "g", "current_certificates": 0}]


def test_the_dashboard_groups_by_entity_and_country():
    board = dashboard(ANSWER, SEALS, "now")
    assert [e["entity"] for e in board["entities"]] == ["ACME", "OTHER", "ZED"]
    acme = board["entities"][0]
    assert [(c["country"], c["total"]) for c in acme["countries"]] == [("B", 3), ("NL", 3)]
    assert acme["counts"]["valid"] == 2 and acme["counts"]["in_review"] == 3 and acme["total"] == 6
    assert acme["blocked"][0]["coc_view"] == f"/dashboard/vehicles/{'V' * 17}/coc"
    assert acme["releases"][0]["link"] == "/dashboard/releases/r1" and acme["seal"]["days_left"] == 4
    assert [s["entity"] for s in board["expiring_seals"]] == ["ACME"]
    # filtered to one entity: the other entities' seals are left out
    only = dashboard({"counts": [], "blocked": [], "releases": []}, SEALS, "now", entity="OTHER")
    assert [e["entity"] for e in only["entities"]] == ["OTHER"] and only["expiring_seals"] == []


def test_vehicles_naming_no_country_count_under_none_last():
    """The intended country is optional in IVI 2.0 (the L-category specimens name none)."""
    answer = dict(ANSWER, counts=ANSWER["counts"] + [{"entity": "ACME", "country": None, "status": "valid",
                                                      "count": 4}],
                  blocked=[dict(ANSWER["blocked"][0], intended_country=None)])
    board = dashboard(answer, SEALS, "now")
    acme = board["entities"][0]
    assert [(c["country"], c["total"]) for c in acme["countries"]] == [("B", 3), ("NL", 3), (None, 4)]
    assert acme["blocked"][0]["country"] is None
    html = render("dashboard.html", board=board, identity={"sub": "x", "roles": ["viewer"], "entities": ["ACME"]},
                  csrf="c").get_data(as_text=True)
    assert "none named" in html and "None" not in html


def _cert(not_before, not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ACME")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(not_before).not_valid_after(not_after).sign(key, hashes.SHA256()))


def test_a_seal_is_expiring_within_the_warning_window():
    day = dt.timedelta(days=1)
    assert seal_status(_cert(NOW - day, NOW + 400 * day), NOW)["state"] == "valid"
    expiring = seal_status(_cert(NOW - day, NOW + 10 * day), NOW)
    assert (expiring["state"], expiring["days_left"]) == ("expiring", 10)
    assert seal_status(_cert(NOW - day, NOW + 10 * day), NOW, within_days=5)["state"] == "valid"
    expired = seal_status(_cert(NOW - 10 * day, NOW - 2 * day), NOW)
    assert (expired["state"], expired["days_left"]) == ("expired", -2)
    assert seal_status(_cert(NOW + day, NOW + 400 * day), NOW)["state"] == "not_yet_valid"


def _request(**headers):
    return Request(EnvironBuilder(method="POST", base_url="http://127.0.0.1:8000/", headers=headers).get_environ())


def test_a_login_form_is_taken_only_from_our_own_pages():
    assert same_origin(_request(Origin="http://127.0.0.1:8000"))
    assert same_origin(_request())  # a client that sends no Origin (not a browser)
    assert not same_origin(_request(Origin="https://evil.example"))
    assert not same_origin(_request(Origin="null"))


def test_fetch_metadata_decides_for_a_browser_that_sends_it():
    """The browser's own `Sec-Fetch-Site` wins over Origin, which browsers may send as `null` or without the port
    for a form on our own page."""
    assert same_origin(_request(**{"Sec-Fetch-Site": "same-origin", "Origin": "null"}))
    assert same_origin(_request(**{"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1"}))
    assert same_origin(_request(**{"Sec-Fetch-Site": "none"}))
    assert not same_origin(_request(**{"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.1:8000"}))
    assert not same_origin(_request(**{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:8000"}))


def test_pages_escape_every_value_and_run_no_script():
    answer = dict(ANSWER, blocked=[dict(ANSWER["blocked"][0], findings=[
        {"rule": "R", "severity": "error", "path": "Colour", "message": "<script>alert(1)</script>"}])])
    response = render("dashboard.html", board=dashboard(answer, SEALS, "now"),
                      identity={"sub": "<b>x</b>", "roles": ["viewer"], "entities": ["ACME"]}, csrf='"><i>')
    html = response.get_data(as_text=True)
    assert 'name="csrf" value="&#34;&gt;&lt;i&gt;"' in html  # the sign-out form carries the session's token
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<b>x</b>" not in html
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none' forbids scripts
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_delivery_exceptions_name_owner_and_the_authoritys_first_error():
    from gateway.dashboard.view import dashboard

    rejected = {"id": "d1", "vin": "VIN1", "version_number": 2, "entity": "ACME", "state": "rejected",
                "target_name": "be", "owner": "sam", "finished_at": "2026-07-06T10:00:00+00:00",
                "errors": [{"code": "SCHEMA", "path": "x", "message": "bad"}, {"code": "SEAL", "message": "no"}],
                "last_error": "HTTP 200: REJECTED"}
    failed = dict(rejected, id="d2", vin="VIN2", entity="OTHER", state="failed", errors=[], last_error="timeout")
    board = dashboard({"counts": [], "blocked": [], "releases": []}, [], "now", deliveries=[rejected, failed])
    assert [(d["vin"], d["owner"], d["reason"], d["error_count"]) for d in board["delivery_exceptions"]] == [
        ("VIN1", "sam", "SCHEMA: bad", 2), ("VIN2", "sam", "timeout", 0)]
    assert board["delivery_exceptions"][0]["coc_view"] == "/dashboard/vehicles/VIN1/coc"
    only = dashboard({"counts": [], "blocked": [], "releases": []}, [], "now", entity="ACME",
                     deliveries=[rejected, failed])
    assert [d["vin"] for d in only["delivery_exceptions"]] == ["VIN1"]
