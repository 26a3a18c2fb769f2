"""A Python client generated from the served `/openapi.json` (openapi-python-client, into a temporary
directory during the run) drives the whole release sequence over HTTP: entity, type approval, import,
validation, release request, four-eyes review, signing, the signed certificate and its versions. Bodies are
built and answers read through the generated models, so a shape the contract gets wrong fails here."""
import hashlib
import importlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests

from cli import demo_data
from gateway.auth import issue_token

pytestmark = pytest.mark.e2e

PACKAGE = "ecoc_generated_client"
SEED = 7303
COUNT = 3
APPROVAL_NUMBER = "e6*2018/858*07303*00"  # an approval of the demo entity that only this test registers
NO_POST_HOOKS = "post_hooks: []\n"  # the generator's default runs ruff over the code; the client works without


def _generate(document, root):
    spec, config = root / "openapi.json", root / "config.yaml"
    spec.write_text(json.dumps(document))
    config.write_text(NO_POST_HOOKS)
    generator = Path(sys.executable).with_name("openapi-python-client")
    done = subprocess.run([str(generator), "generate", "--path", str(spec), "--output-path", str(root / PACKAGE),
                           "--meta", "none", "--config", str(config)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def generated(stack, tmp_path_factory):
    """The generated package, imported; the generator's warnings are kept for the test to look at."""
    root = tmp_path_factory.mktemp("generated-client")
    document = requests.get(stack.url("/openapi.json"), timeout=30).json()
    warnings = _generate(document, root)
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module(PACKAGE)
        yield package, warnings
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name):
    return importlib.import_module(f"{PACKAGE}.{name}")


def _client(stack, sub, roles, entities=(demo_data.ENTITY,)):
    token = issue_token(stack.settings, sub, list(roles), list(entities))
    return _module("client").AuthenticatedClient(base_url=stack.base_url, token=token, timeout=60.0)


def _ok(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.content[:2000])
    return response.parsed


def test_every_json_operation_has_a_generated_method(generated):
    _, warnings = generated
    api = Path(sys.modules[PACKAGE].__file__).parent / "api"
    methods = {p.stem for p in api.rglob("*.py") if p.stem != "__init__"}
    assert {"list_vehicles", "get_vehicle", "import_vehicles", "request_release", "approve_release",
            "sign_release", "get_release", "put_entity", "register_approval", "list_certificate_versions"} <= methods
    # only routes whose bodies are not JSON (IVI XML, or a zip of legacy eCoCs) can be left out by the generator
    skipped = [line for line in warnings.splitlines() if "will not be generated" in line]
    for line in skipped:
        assert any(route in line for route in ("from-ivi", "/v1/certificates/verify", "POST /v1/rollout/legacy ")), \
            line


def test_the_release_sequence_through_the_generated_client(stack, generated, wait):
    models = _module("models")
    admin = _client(stack, "ada", ["admin"], ["*"])
    manager = _client(stack, "alice", ["approvals_manager"])
    steward = _client(stack, "dana", ["data_steward"])
    reviewer = _client(stack, "rita", ["reviewer"])
    signer = _client(stack, demo_data.SIGNATORY["sub"], ["signer"])
    viewer = _client(stack, "vic", ["viewer"])

    # the entity and its approval: bodies built as models, from the demo's JSON (typed CoC data included)
    from ecoc_generated_client.api.entities import put_entity
    entity = _ok(put_entity.sync_detailed(demo_data.ENTITY, client=admin,
                                          body=models.EntityBody.from_dict(demo_data.entity())), 200)
    assert isinstance(entity, models.EntityOut) and entity.legal_name == demo_data.LEGAL_NAME
    assert entity.signatories[0].sub == demo_data.SIGNATORY["sub"]
    approval_json = dict(demo_data.approval(), number=APPROVAL_NUMBER)
    body = models.ApprovalIn.from_dict(approval_json)
    assert isinstance(body.coc, models.CocData)
    assert body.to_dict() == approval_json  # the typed models keep the CoC data exactly
    from ecoc_generated_client.api.approvals import get_approval, register_approval
    registered = register_approval.sync_detailed(client=manager, body=body)
    approval = _ok(registered, 201)
    assert registered.headers["Location"] == f"/v1/approvals/{approval.id}"
    found = _ok(get_approval.sync_detailed(approval.id, client=viewer), 200)
    assert found.number == APPROVAL_NUMBER and found.versions
    assert isinstance(found.versions[0].coc, models.CocData)

    # import, then wait until validation has judged every vehicle
    rows = [dict(row, approval_number=APPROVAL_NUMBER) for row in demo_data.vehicles(COUNT, seed=SEED)]
    vins = [row["vin"] for row in rows]
    from ecoc_generated_client.api.vehicles import get_vehicle, import_vehicles, list_vehicles
    outcome = _ok(import_vehicles.sync_detailed(client=steward, body=models.ImportIn.from_dict({"vehicles": rows})),
                  200)
    assert outcome.accepted == COUNT and outcome.rejected == []

    def all_valid():
        states = {vin: _ok(get_vehicle.sync_detailed(vin, client=viewer), 200).status for vin in vins}
        assert "blocked" not in states.values(), states
        return all(state == "valid" for state in states.values())

    wait(all_valid, 60, what="the imported vehicles to become valid")
    page = _ok(list_vehicles.sync_detailed(client=viewer, status=models.ListVehiclesStatus.VALID, limit=1000), 200)
    assert set(vins) <= {item.vin for item in page.items}

    # request, four-eyes review, signing
    from ecoc_generated_client.api.releases import approve_release, get_release, request_release, sign_release
    requested = request_release.sync_detailed(client=steward, body=models.ReleaseIn(vins=vins, note="generated"))
    release = _ok(requested, 201)
    assert release.status == "in_review" and release.rejected == []
    assert requested.headers["Location"] == f"/v1/releases/{release.id}"
    refused = approve_release.sync_detailed(release.id, client=_client(stack, "dana", ["reviewer"]))
    assert refused.status_code == 403 and isinstance(refused.parsed, models.Problem)
    approved = _ok(approve_release.sync_detailed(release.id, client=reviewer), 200)
    assert approved.status == "approved"
    signing = sign_release.sync_detailed(release.id, client=signer)
    _ok(signing, 202)
    assert signing.headers["Location"] == f"/v1/releases/{release.id}"
    assert int(signing.headers["Retry-After"]) > 0

    def released():
        current = _ok(get_release.sync_detailed(release.id, client=viewer), 200)
        assert current.status not in ("completed_with_failures", "rejected"), current.to_dict()
        return current if current.status == "released" else None

    done = wait(released, 300, what="the release to be signed")
    assert {item.vin for item in done.vehicles} == set(vins)
    assert all(item.state == "released" and item.reference_id for item in done.vehicles)

    # the signed certificate (XML, read raw) and its versions (typed)
    from ecoc_generated_client.api.certificates import get_current_certificate, list_certificate_versions
    document = get_current_certificate.sync_detailed(vins[0], client=viewer)
    assert document.status_code == 200 and document.content.startswith(b"<?xml")
    versions = _ok(list_certificate_versions.sync_detailed(vins[0], client=viewer), 200)
    [version] = versions.items
    assert version.version_number == 1 and version.status == "current"
    assert document.headers["X-Ivi-Reference-Id"] == version.reference_id

    # the whole release as one zip: every certificate byte-exact, and a manifest that accounts for each vehicle
    from ecoc_generated_client.api.releases import get_release_certificates
    archive = get_release_certificates.sync_detailed(release.id, client=viewer)
    assert archive.status_code == 200 and archive.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as unpacked:
        manifest = json.loads(unpacked.read("manifest.json"))
        assert manifest["release_id"] == release.id and manifest["certificates"] == COUNT
        for entry in manifest["vehicles"]:
            certificate = entry["certificate"]
            assert hashlib.sha256(unpacked.read(certificate["file"])).hexdigest() == certificate["sha256"]
        first = next(e for e in manifest["vehicles"] if e["vin"] == vins[0])
        assert unpacked.read(first["certificate"]["file"]) == document.content
