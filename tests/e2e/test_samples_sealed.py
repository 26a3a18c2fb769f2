"""Round trip of the nine official IVI 2.0 samples through the whole stack over HTTP.

Each sample is sealed for the legal entity of its EU representative, else of its manufacturer: one entity per
legal name (legal names and WMIs are unique across entities; the code is `sample_entity_code`, which
test_approvals_api shares), holding the WMIs of its samples' VINs and a signatory per sample (the sample's
SignerName/Position/Location). The sample is posted to
/v1/approvals/from-ivi and /v1/vehicles/from-ivi, validated, released, approved, signed and downloaded. The
sealed eCoC must then carry the sample's CocDataGroup (compared canonically, element by element; only
SignatureDate, the sealing date, may differ), validate against the official schema, verify through the
gateway and be accepted by xmlsec1 with the entity's seal certificate as the only trust anchor. Its paper CoC
must print every value of the sealed eCoC (tests/paper_checks.py).

Each sample's two parts also read back unchanged: the type level as the approval version, the vehicle level as
the vehicle record, and composed again they are the sample's CoC data.

The samples are read from ../shared/ivi at test time. M1-03 and M1-04 share one VIN; a VIN is one vehicle
record, so M1-04 goes through with its VIN's serial part changed (JTDM1C0MPTEST0001 → JTDM1C0MPTEST0004),
and its expected CocDataGroup is the sample with the same change. A WMI is one entity's: N2-01 (for STELLANTIS
EUROPE S.P.A.) has Toyota Motor Europe's YAR (M1-06), so its VIN goes through with the WMI `SPARE_WMI`.

All nine go through the sequence together (one module fixture, phase by phase); each test then judges its
sample. Signing answers per VIN, so one sample failing never hides the others. The seals are provisioned
into the stack's keys directory as an operator would (one RSA-3072 key, a certificate per entity whose
organisation is its legal name; an entity another module registered first keeps the seal it has), so the
signing service has no keys to generate.
"""
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from common.composition import compose_coc
from common.contracts.responses import ApprovalFromIvi, VehicleFromIvi
from common.ivi import load_schema, read_ivi, split_levels
from services.signing.domain.keys import FileKeyProvider, write_seal
from tests.paper_checks import check_paper, missing_tools
from tests.support import sample_entity_code, xmlsec1_verify

pytestmark = pytest.mark.e2e

SCHEMA = Path(os.environ.get("ECOC_IVI_SCHEMA") or Path(__file__).resolve().parents[3] / "shared" / "ivi" / "IVI2.0.xsd")
SAMPLES = sorted((SCHEMA.parent / "samples").glob("*.xml"))
NS = {"i": "http://eu.ereg.initialvehicleinformation.v2"}
XML = {"Content-Type": "application/xml"}
ROUTES = ("/v1/approvals/from-ivi", "/v1/vehicles/from-ivi")
SPARE_WMI = "ZFA"  # for a sample whose VIN's WMI is another sample entity's


@dataclass
class Case:
    """One sample on its way through the stack; `problem` says where it stopped."""

    name: str
    xml: bytes
    code: str
    vin: str
    legal_name: str
    signatory: dict
    document: bytes = None
    seal_pem: str = None
    answers: dict = field(default_factory=dict)  # route -> the JSON answer of its POST
    problem: str = None
    trail: list = field(default_factory=list)


def text(root, path):
    return root.findtext(path, namespaces=NS)


def case_for(path, vins_seen, wmi_owners):
    xml = path.read_bytes()
    root = etree.fromstring(xml)
    coc = "i:CocDataGroup/"
    authority = coc + "i:SigningAuthorityTable/i:SigningAuthorityGroup/"
    legal_name = text(root, coc + "i:EURepresentativeGroup/i:EURepresentativeName") \
        or text(root, coc + "i:ManufacturerTable/i:ManufacturerGroup/i:ManufacturerName")
    vin = text(root, "i:CocDataGroup/i:VehicleIdentificationNumber")
    changed = vin
    if vin in vins_seen:  # M1-04 repeats M1-03's VIN
        changed = vin[:-1] + path.stem[3]
    if wmi_owners.setdefault(vin[:3], legal_name) != legal_name:  # N2-01 has M1-06's WMI
        changed = SPARE_WMI + changed[3:]
        wmi_owners[SPARE_WMI] = legal_name
    xml, vin = xml.replace(f">{vin}<".encode(), f">{changed}<".encode()), changed
    vins_seen.add(vin)
    return Case(
        name=path.stem, xml=xml, code=sample_entity_code(legal_name), vin=vin, legal_name=legal_name,
        signatory={"sub": f"signer-{path.stem.lower()}", "name": text(root, authority + "i:SignerName"),
                   "position": text(root, authority + "i:SignerPosition"),
                   "location": text(root, authority + "i:SignatureLocation")},
    )


def entity_body(case, cases):
    """The legal entity of `case`, with the WMIs and signatories of every sample sealed for it."""
    group = [c for c in cases if c.code == case.code]
    role = "eu_representative" if any(b"<EURepresentativeName>" in c.xml for c in group) else "manufacturer"
    return {"legal_name": case.legal_name, "role": role,
            "address": {"line1": "SAMPLE STREET 1", "place": "BRUSSELS", "country": "BELGIUM"},
            "wmis": sorted({c.vin[:3] for c in group}), "signatories": [c.signatory for c in group]}


def provision_seal(keys_dir, code, organisation, key_pem):
    if FileKeyProvider(keys_dir).has(code):
        return
    key = serialization.load_pem_private_key(key_pem, password=None)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, code),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} eCoC seal"[:64])])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    write_seal(keys_dir, code, key_pem, cert.public_bytes(serialization.Encoding.PEM))


def attempt(case, what, response, ok=(200, 201, 202)):
    case.trail.append(f"{what}: {response.status_code}")
    if response.status_code not in ok:
        case.problem = f"{what} answered {response.status_code}: {response.text[:800]}"
    return case.problem is None


@pytest.fixture(scope="module")
def sealed_samples(stack, wait):
    if len(SAMPLES) != 9:
        pytest.fail(f"expected the nine official samples in {SCHEMA.parent / 'samples'}, found {len(SAMPLES)}")
    paths = stack.client("anyone", []).get("/openapi.json")["paths"]
    missing = [r for r in ROUTES if r not in paths]
    if missing:
        pytest.skip(f"route(s) not implemented yet: {', '.join(missing)}")
    seen, wmi_owners = set(), {}
    cases = [case_for(p, seen, wmi_owners) for p in SAMPLES]
    viewer = stack.client("vic", ["viewer"], [c.code for c in cases])

    key_pem = rsa.generate_private_key(public_exponent=65537, key_size=3072).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    for case in {c.code: c for c in cases}.values():
        provision_seal(stack.keys_dir, case.code, case.legal_name, key_pem)

    def imported(case):  # in a thread of its own: clients of its own (a requests.Session is not thread-safe)
        admin = stack.client("ada", ["admin"])
        manager = stack.client("alice", ["approvals_manager"], [case.code])
        steward = stack.client("dana", ["data_steward"], [case.code])
        put = admin.request("PUT", f"/v1/entities/{case.code}", json=entity_body(case, cases), expect=None)
        if not attempt(case, "PUT entity", put):
            return
        case.seal_pem = put.json()["seal_certificate"]
        # as they are: the L-category samples have no DateManufactureVehicle (item 0.11 is not in their CoC) nor
        # IntendedCountryRegistration, and nothing is given in their place
        for route, client in zip(ROUTES, (manager, steward)):
            response = client.request("POST", route, params={"entity": case.code}, data=case.xml, headers=XML,
                                      expect=None)
            if not attempt(case, f"POST {route}", response):
                return
            case.answers[route] = response.json()

    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        list(pool.map(imported, cases))

    def judged():
        states = {c.vin: viewer.get(f"/v1/vehicles/{c.vin}") for c in cases if not c.problem}
        return states if all(v["status"] != "draft" for v in states.values()) else None

    states = wait(judged, 30, interval=0.3, what="validation of the samples") if any(
        not c.problem for c in cases) else {}
    for case in cases:
        if case.vin in states and states[case.vin]["status"] != "valid":
            case.problem = f"validation: {states[case.vin]['status']}: {states[case.vin].get('findings')}"

    def released(case):  # request, four-eyes review, signature; returns the release id
        steward = stack.client("dana", ["data_steward"], [case.code])
        reviewer = stack.client("rita", ["reviewer"], [case.code])
        signer = stack.client(case.signatory["sub"], ["signer"], [case.code])
        response = steward.request("POST", "/v1/releases", json={"vins": [case.vin], "note": case.name}, expect=None)
        if not attempt(case, "POST /v1/releases", response):
            return None
        release_id = response.json()["id"]
        if attempt(case, "approve", reviewer.request("POST", f"/v1/releases/{release_id}/approve", expect=None)) \
                and attempt(case, "sign", signer.request("POST", f"/v1/releases/{release_id}/sign", expect=None)):
            return release_id
        return None

    live = [c for c in cases if not c.problem]
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        releases = {c.vin: rid for c, rid in zip(live, pool.map(released, live)) if rid}

    def finished():
        states = {vin: viewer.get(f"/v1/releases/{rid}") for vin, rid in releases.items()}
        return states if all(s["status"] not in ("approved", "signing") for s in states.values()) else None

    final = wait(finished, 60, interval=0.5, what="the samples to be sealed") if releases else {}
    for case in cases:
        if case.vin in final and final[case.vin]["status"] != "released":
            case.problem = f"signing: {final[case.vin]}"
        elif case.vin in final:
            case.document = viewer.request("GET", f"/v1/vehicles/{case.vin}/certificate").content
    return {c.name: c for c in cases}


def canonical_coc(document, signature_date=None):
    """The CocDataGroup, canonical: the children of every group (an xs:all: any order, each at most once) in
    name order, table rows in their order, exclusive C14N; SignatureDate replaced when given."""
    root = etree.fromstring(document, etree.XMLParser(remove_blank_text=True, resolve_entities=False))
    coc = root.find("i:CocDataGroup", NS)
    if signature_date is not None:
        coc.find("i:SigningAuthorityTable/i:SigningAuthorityGroup/i:SignatureDate", NS).text = signature_date
    for element in list(coc.iter(etree.Element)):
        if len(element) and not element.tag.endswith("Table"):
            element[:] = sorted(element, key=lambda child: child.tag)
    return etree.tostring(coc, method="c14n", exclusive=True)


@pytest.fixture(scope="module")
def official_schema():
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@pytest.mark.parametrize("name", [p.stem for p in SAMPLES])
def test_sample_reads_back_through_both_ivi_routes_unchanged(name, sealed_samples, stack):
    case = sealed_samples[name]
    assert case.problem is None, f"{name} stopped at {case.problem} (steps: {case.trail})"
    message = read_ivi(case.xml, load_schema(SCHEMA))
    header, coc = message["header"], message["coc"]
    type_level, vehicle_level = split_levels(coc)
    registered, created = (case.answers[route] for route in ROUTES)
    assert ApprovalFromIvi().validate(registered) == {} and VehicleFromIvi().validate(created) == {}  # the contract
    viewer = stack.client("vic", ["viewer"], [case.code])

    # type level: an approval version that reads back as the sample's type-level part
    approval = viewer.get(f"/v1/approvals/{registered['id']}")
    [version] = [v for v in approval["versions"]
                 if (v["type"], v["variant"], v["version"]) == (coc["Type"], coc["Variant"], coc["Version"])]
    assert version["type_level_coc"] == type_level

    # vehicle level: the record, from the message as it is (the L-category samples have no DateManufactureVehicle
    # nor IntendedCountryRegistration, which IVI 2.0 allows: the record has none either)
    assert created["outcome"] == "accepted"
    vehicle = viewer.get(f"/v1/vehicles/{case.vin}")
    assert (vehicle["vin"], vehicle["entity"], vehicle["approval_number"], vehicle["type"], vehicle["variant"],
            vehicle["version"]) == (coc["VehicleIdentificationNumber"], case.code, coc["TypeApprovalNumber"],
                                    coc["Type"], coc["Variant"], coc["Version"])
    assert vehicle["production_date"] == coc.get("DateManufactureVehicle")
    assert vehicle["intended_country"] == header.get("IntendedCountryRegistration")
    assert vehicle["coc"] == {k: v for k, v in vehicle_level.items()
                              if k not in ("VehicleIdentificationNumber", "DateManufactureVehicle")}

    # both parts composed again are the sample's CoC data
    assert compose_coc(version["type_level_coc"], vehicle) == coc


@pytest.mark.parametrize("name", [p.stem for p in SAMPLES])
def test_sample_round_trips_sealed(name, sealed_samples, official_schema, stack, tmp_path):
    case = sealed_samples[name]
    assert case.problem is None, f"{name} stopped at {case.problem} (steps: {case.trail})"
    document = case.document
    signed = etree.fromstring(document)
    signature_date = text(signed, "i:CocDataGroup/i:SigningAuthorityTable/i:SigningAuthorityGroup/i:SignatureDate")
    assert canonical_coc(document) == canonical_coc(case.xml, signature_date=signature_date)

    assert official_schema.validate(signed), official_schema.error_log
    verdict = stack.client("vic", ["viewer"], [case.code]).request(
        "POST", "/v1/certificates/verify", data=document, headers=XML).json()
    assert verdict["valid"] is True, verdict
    assert (verdict["vin"], verdict["version_number"], verdict["signer"]["organisation"]) == (
        case.vin, 1, case.legal_name)
    assert verdict["reference_id"] == text(signed, "i:Header/i:IviReferenceId")
    sample = etree.fromstring(case.xml)
    assert text(signed, "i:Header/i:IviVersionNumber") == "1"
    assert text(signed, "i:Header/i:DesignatedTypeApprovalCountry") == text(
        sample, "i:Header/i:DesignatedTypeApprovalCountry")
    assert text(signed, "i:Header/i:IntendedCountryRegistration") == text(
        sample, "i:Header/i:IntendedCountryRegistration")  # none where the sample has none

    (tmp_path / "seal.pem").write_text(case.seal_pem)
    (tmp_path / f"{name}.xml").write_bytes(document)
    checked = xmlsec1_verify(tmp_path / f"{name}.xml", tmp_path / "seal.pem")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("name", [p.stem for p in SAMPLES])
def test_sample_paper_coc_matches_its_sealed_ecoc(name, sealed_samples, stack, tmp_path):
    """The paper CoC of each sealed sample, as a viewer downloads it: every value of the sealed eCoC printed, the
    reference id, version number and SHA-256 on it and in its QR code, the sealed bytes attached, PDF/A-3b,
    fonts embedded. Its pages are kept as PNG under out/paper/ for a person to look at."""
    missing = missing_tools()
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: `make system-deps` installs poppler-utils and zbar-tools")
    case = sealed_samples[name]
    assert case.problem is None, f"{name} stopped at {case.problem} (steps: {case.trail})"
    response = stack.client("vic", ["viewer"], [case.code]).request("GET", f"/v1/vehicles/{case.vin}/certificate.pdf")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Certificate-Sha256"] == hashlib.sha256(case.document).hexdigest()
    problems, _ = check_paper(response.content, case.document, tmp_path, f"sealed-{name}")
    assert problems == []
