"""The paper CoC over HTTP: a vehicle's (current or `?version=`), a release's batch (one print file in VIN order
or a zip of one PDF per VIN), re-prints marked DUPLICATE and every print in the audit, an entity's layout for
its security paper, PAdES with the entity's seal checked by poppler's `pdfsig`, entity scoping (a foreign
object answers like a missing one) and bad input answered 422 naming the field.

NORDWIND's demo vehicles go through one release here; the nine official samples' paper CoCs are checked
value by value in test_samples_sealed.py."""
import hashlib
import io
import subprocess
import zipfile

import pytest

from cli import demo_data
from tests.paper_checks import check_paper, missing_tools, page_count, print_release

pytestmark = pytest.mark.e2e
E = demo_data.ENTITY
SIGNER = demo_data.SIGNATORY["sub"]


@pytest.fixture(scope="module")
def released(stack, nordwind, wait):
    """Three NORDWIND vehicles sealed in one release, and the first of them corrected and sealed again."""
    if missing_tools():
        pytest.fail(f"missing {', '.join(missing_tools())}: `make system-deps` installs poppler-utils and zbar-tools")
    steward = stack.client("pia", ["data_steward"], [E])
    reviewer = stack.client("rolf", ["reviewer"], [E])
    signer = stack.client(SIGNER, ["signer"], [E])
    batch = demo_data.vehicles(3, seed=1919)
    vins = sorted(v["vin"] for v in batch)
    assert steward.post("/v1/vehicles/import", {"vehicles": batch})["accepted"] == 3

    def release(which):
        wait(lambda: all(steward.get(f"/v1/vehicles/{v}")["status"] == "valid" for v in which), 60, what="valid")
        rid = steward.post("/v1/releases", {"vins": which, "note": "paper"})["id"]
        reviewer.post(f"/v1/releases/{rid}/approve")
        signer.request("POST", f"/v1/releases/{rid}/sign", json={})
        wait(lambda: steward.get(f"/v1/releases/{rid}")["status"] == "released", 120, what="release sealed")
        return rid

    first = release(vins)
    steward.post(f"/v1/vehicles/{vins[0]}/corrections",
                 {"reason": "paper: a correction", "coc": {"ColourTable": [{"Colour": "7"}]}})
    release([vins[0]])
    return {"vins": vins, "release": first}


def test_current_and_earlier_versions_print_with_duplicates_counted_in_the_audit(stack, released, tmp_path):
    vin = released["vins"][1]
    viewer = stack.client("vera", ["viewer"], [E])
    document = viewer.request("GET", f"/v1/vehicles/{vin}/certificate").content
    first = viewer.request("GET", f"/v1/vehicles/{vin}/certificate.pdf")
    again = viewer.request("GET", f"/v1/vehicles/{vin}/certificate.pdf")
    assert (first.headers["X-Print-Number"], again.headers["X-Print-Number"]) == ("1", "2")
    problems, text = check_paper(first.content, document, tmp_path, "nordwind-original", pages_to_png=False)
    assert problems == [] and "DUPLICATE" not in text
    problems, text = check_paper(again.content, document, tmp_path, "nordwind-reprint", pages_to_png=False)
    assert problems == [] and "DUPLICATE — re-print 1" in text
    assert 'attachment; filename="' in first.headers["Content-Disposition"]

    trail = stack.client("audra", ["auditor"], [E]).get(
        "/v1/audit", params={"subject": vin, "event_type": "paper_printed"})["entries"]
    assert [e["actor"] for e in trail] == ["vera", "vera"]

    corrected = released["vins"][0]
    old = viewer.request("GET", f"/v1/vehicles/{corrected}/certificate.pdf", params={"version": 1})
    assert old.headers["X-Ivi-Version-Number"] == "1"
    (tmp_path / "old.pdf").write_bytes(old.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "old.pdf"), "-"], capture_output=True,
                          check=True).stdout.decode()
    assert "SUPERSEDED" in text
    current = viewer.request("GET", f"/v1/vehicles/{corrected}/certificate.pdf")
    assert current.headers["X-Ivi-Version-Number"] == "2"


def test_a_release_prints_as_one_file_in_vin_order_or_one_pdf_per_vin(stack, released, tmp_path, wait):
    viewer = stack.client("vera", ["viewer"], [E])
    rid = released["release"]
    job, one = print_release(viewer, rid, wait)
    assert (job["count"], job["requested_by"], job["release_id"]) == (3, "vera", rid)
    assert one.headers["Content-Type"] == "application/pdf" and one.headers["X-Certificate-Count"] == "3"
    (tmp_path / "release.pdf").write_bytes(one.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "release.pdf"), "-"], capture_output=True,
                          check=True).stdout.decode()
    positions = [text.index(vin) for vin in released["vins"]]
    assert positions == sorted(positions)
    assert page_count(tmp_path / "release.pdf") >= 3 * 2  # side 1 and side 2 of each

    _, packed = print_release(viewer, rid, wait, form="zip")
    assert packed.headers["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(packed.content)).namelist()
    assert [n.split("-v")[0] for n in names] == released["vins"]


def test_foreign_and_missing_objects_answer_alike(stack, released):
    stranger = stack.client("otto", ["viewer", "admin"], ["OTHERCO"])
    viewer = stack.client("vera", ["viewer"], [E])
    vin, rid = released["vins"][1], released["release"]
    job = viewer.request("POST", f"/v1/releases/{rid}/paper").json()["id"]
    missing_vin = "WNW00000000000000"
    missing = {}
    for path in (f"/v1/vehicles/{vin}/certificate.pdf", f"/v1/vehicles/{vin}/certificate.pdf?version=1",
                 f"/v1/entities/{E}/paper-layout", f"/v1/paper-jobs/{job}", f"/v1/paper-jobs/{job}/file"):
        assert stranger.request("GET", path, expect=None).status_code == 404, path
    for path in (f"/v1/vehicles/{missing_vin}/certificate.pdf", f"/v1/vehicles/{vin}/certificate.pdf?version=99",
                 "/v1/paper-jobs/00000000-0000-4000-8000-000000000000", "/v1/paper-jobs/nope/file"):
        assert viewer.request("GET", path, expect=None).status_code == 404, path
    for who, release in ((stranger, rid), (viewer, "00000000-0000-4000-8000-000000000000"), (viewer, "nope")):
        response = who.request("POST", f"/v1/releases/{release}/paper", expect=None)
        assert response.status_code == 404 and "Location" not in response.headers, (release, response.text)
        missing[release] = response.json()["detail"].replace(release, "ID")
    assert missing[rid] == missing["00000000-0000-4000-8000-000000000000"]  # the same words: nothing leaks
    put = stranger.request("PUT", f"/v1/entities/{E}/paper-layout", json={"watermark": "x"}, expect=None)
    assert put.status_code == 404
    everywhere = stack.client("ada", ["admin"])  # every entity: one that is not registered has no layout either
    for method in ("GET", "PUT"):
        response = everywhere.request(method, "/v1/entities/NOSUCHCO/paper-layout", json={}, expect=None)
        assert response.status_code == 404, (method, response.text)


def test_bad_input_is_a_422_naming_the_field(stack, released):
    viewer = stack.client("vera", ["viewer"], [E])
    admin = stack.client("ada", ["admin"], [E])
    vin, rid = released["vins"][1], released["release"]
    for method, path, field in (("GET", f"/v1/vehicles/{vin}/certificate.pdf?version=abc", "version"),
                                ("GET", f"/v1/vehicles/{vin}/certificate.pdf?version=0", "version"),
                                ("POST", f"/v1/releases/{rid}/paper?form=docx", "form")):
        response = viewer.request(method, path, expect=None)
        assert response.status_code == 422 and field in response.text, (path, response.text)
    reads_a_file = ('<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm">'
                    '<image href="file:///etc/hostname" width="10" height="10"/></svg>')
    for body, field in (({"margins": {"top": 500}}, "margins"), ({"background_svg": "<html/>"}, "background_svg"),
                        ({"background_svg": reads_a_file}, "background_svg"),
                        ({"language": "xx"}, "language"), ({"colour": "red"}, "colour")):
        response = admin.request("PUT", f"/v1/entities/{E}/paper-layout", json=body, expect=None)
        assert response.status_code == 422 and field in response.text, (body, response.text)
    assert viewer.request("PUT", f"/v1/entities/{E}/paper-layout", json={}, expect=None).status_code == 403


def test_the_entity_layout_and_pades_seal_apply_and_pdfsig_accepts_the_seal(stack, released, tmp_path):
    admin = stack.client("ada", ["admin"], [E])
    viewer = stack.client("vera", ["viewer"], [E])
    vin = released["vins"][2]
    layout = admin.put(f"/v1/entities/{E}/paper-layout", {
        "margins": {"top": 20, "left": 22}, "watermark": "NORDWIND SECURITY PAPER", "language": "de", "pades": True,
        "background_svg": '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm">'
                          '<rect x="6mm" y="6mm" width="198mm" height="285mm" fill="none" stroke="#264"/></svg>'})
    assert layout["margins"] == {"top": 20, "right": 14, "bottom": 10, "left": 22} and layout["pades"] is True
    assert viewer.get(f"/v1/entities/{E}/paper-layout")["language"] == "de"
    try:
        response = viewer.request("GET", f"/v1/vehicles/{vin}/certificate.pdf")
        path = tmp_path / "sealed.pdf"
        path.write_bytes(response.content)
        checked = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
        assert "Signature is Valid" in checked.stdout, checked.stdout + checked.stderr
        assert "Total document signed" in checked.stdout
        seal = stack.client("ada", ["admin"], [E]).get(f"/v1/entities/{E}")["seal_certificate"]
        assert _common_name(seal) in checked.stdout
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
        assert "EU-Übereinstimmungsbescheinigung" in text  # the watermark is diagonal: pdftotext skips it
        document = viewer.request("GET", f"/v1/vehicles/{vin}/certificate").content
        assert response.headers["X-Certificate-Sha256"] == hashlib.sha256(document).hexdigest()
        changed = stack.client("audra", ["auditor"], [E]).get(
            "/v1/audit", params={"subject": E, "event_type": "paper_layout_changed"})["entries"]
        assert changed and changed[-1]["actor"] == "ada"
    finally:
        admin.put(f"/v1/entities/{E}/paper-layout", {})


def _common_name(pem):
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    cert = x509.load_pem_x509_certificate(pem.encode())
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def test_the_vehicle_page_offers_the_paper_coc(stack, released):
    viewer = stack.client("vera", ["viewer"], [E])
    vin = released["vins"][1]
    page = viewer.request("GET", f"/dashboard/vehicles/{vin}/coc")
    assert f'href="/dashboard/vehicles/{vin}/coc.pdf"' in page.text
    pdf = viewer.request("GET", f"/dashboard/vehicles/{vin}/coc.pdf")
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    hidden = stack.client("otto", ["viewer"], ["OTHERCO"]).request("GET", f"/dashboard/vehicles/{vin}/coc.pdf",
                                                                   expect=None)
    assert hidden.status_code == 404 and b"%PDF" not in hidden.content
