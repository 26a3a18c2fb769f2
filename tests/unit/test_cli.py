"""The `ecoc` command's local tools, run as a user would run them, and the issuance they rely on."""
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from cli import demo_data
from common.config import Settings
from common.ivi.schema import load_schema
from common.ivi.xsd import SchemaValidator, schema_available
from services.signing.domain.issuance import issue_batch
from services.signing.domain.keys import FileKeyProvider
from services.signing.domain.seal import Sealer

REPO = Path(__file__).resolve().parents[2]
SCHEMA = Settings().schema_path
needs_schema = pytest.mark.skipif(not schema_available(SCHEMA), reason="official IVI schema not at hand")


def ecoc(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env=env)


def test_token_carries_the_claims_the_gateway_checks():
    result = ecoc("token", "--sub", "alice", "--roles", "data_steward,reviewer", "--entities", "ACME")
    assert result.returncode == 0, result.stderr
    s = Settings()
    claims = jwt.decode(result.stdout.strip(), s.jwt_secret, algorithms=["HS256"], audience=s.jwt_audience,
                        issuer=s.jwt_issuer)
    assert claims["sub"] == "alice"
    assert claims["roles"] == ["data_steward", "reviewer"]
    assert claims["entities"] == ["ACME"]
    assert claims["exp"] > claims["iat"]


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keys")
    result = ecoc("keys", "generate", "--entity", demo_data.ENTITY, "--organisation", demo_data.LEGAL_NAME,
                  "--keys-dir", str(directory))
    assert result.returncode == 0, result.stderr
    return directory


def test_keys_generate_writes_an_rsa3072_seal_and_refuses_to_overwrite(keys_dir):
    seal = FileKeyProvider(keys_dir).get(demo_data.ENTITY)
    assert seal.private_key.key_size == 3072
    assert demo_data.LEGAL_NAME in seal.certificate.subject.rfc4514_string()
    assert oct((keys_dir / f"{demo_data.ENTITY}.key.pem").stat().st_mode & 0o777) == "0o600"
    again = ecoc("keys", "generate", "--entity", demo_data.ENTITY, "--keys-dir", str(keys_dir))
    assert again.returncode == 1 and "exists" in again.stderr


@pytest.fixture(scope="module")
def sealed_batch(keys_dir):
    schema, validator = load_schema(SCHEMA), SchemaValidator(SCHEMA)
    sealer = Sealer(FileKeyProvider(keys_dir).get(demo_data.ENTITY))
    vehicles = [dict(v, revision=1) for v in demo_data.vehicles(3, seed=7)]
    resolved = [demo_data.resolution(v) for v in vehicles]
    return issue_batch(schema, validator, sealer, vehicles, resolved, demo_data.SIGNATORY,
                       {v["vin"]: 1 for v in vehicles})


@needs_schema
def test_issue_batch_seals_one_schema_valid_certificate_per_vehicle(sealed_batch):
    assert not sealed_batch.failed
    assert len(sealed_batch.issued) == 3
    first = sealed_batch.issued[0]
    assert first.version_number == 1 and first.approval_number == demo_data.APPROVAL_NUMBER
    text = first.document.decode()
    assert f"<VehicleIdentificationNumber>{first.vin}</VehicleIdentificationNumber>" in text
    assert "<DesignatedTypeApprovalCountry>e6</DesignatedTypeApprovalCountry>" in text
    assert f"<SignerName>{demo_data.SIGNATORY['name']}</SignerName>" in text
    assert SchemaValidator(SCHEMA).validate_signed(first.document) == []
    assert len({i.reference_id for i in sealed_batch.issued}) == 3


@needs_schema
def test_issue_batch_refuses_a_seal_of_another_organisation(keys_dir):
    vehicle = dict(demo_data.vehicles(1, seed=8)[0], revision=1)
    resolution = demo_data.resolution(vehicle)
    resolution["coc"]["ManufacturerTable"][0]["ManufacturerName"] = "SOMEONE ELSE AG"
    sealer = Sealer(FileKeyProvider(keys_dir).get(demo_data.ENTITY))
    result = issue_batch(load_schema(SCHEMA), SchemaValidator(SCHEMA), sealer, [vehicle], [resolution],
                         demo_data.SIGNATORY, {vehicle["vin"]: 1})
    assert not result.issued
    assert "SOMEONE ELSE AG" in result.failed[0].reason


@needs_schema
def test_ecoc_verify_accepts_the_sealed_file_and_rejects_a_tampered_one(sealed_batch, keys_dir, tmp_path):
    document = sealed_batch.issued[0].document
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(document)
    bad.write_bytes(document.replace(b"<Colour>", b"<Colour>9", 1) if b"<Colour>" in document
                    else document.replace(b"NORDWIND AERO", b"NORDWIND AER0"))
    cert = keys_dir / f"{demo_data.ENTITY}.cert.pem"
    ok = ecoc("verify", str(good), "--cert", str(cert))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "VALID" in ok.stdout and sealed_batch.issued[0].vin in ok.stdout
    tampered = ecoc("verify", str(bad), "--cert", str(cert))
    assert tampered.returncode == 1
    assert "INVALID" in tampered.stdout


def test_migrate_keeps_trying_while_the_database_cannot_be_reached():
    from dataclasses import replace

    from cli.stack import migrate_when_reachable
    from common.config import settings

    unreachable = replace(settings(), database_server="postgresql+psycopg://postgres@127.0.0.1:1")
    now, said = [0.0], []

    def sleep(seconds):  # the test's own clock: attempts are counted, not timed
        now[0] += seconds

    with pytest.raises(Exception, match="Connection refused"):
        migrate_when_reachable(unreachable, said.append, wait=2.0, pause=0.5, clock=lambda: now[0], sleep=sleep)
    assert len([line for line in said if "not reachable yet" in line]) == 4, said  # at 0, 0.5, 1 and 1.5 s


def test_a_stack_stops_each_process_before_the_services_it_calls():
    """Every process once in `STOP_ORDER`, and a caller of a service over RPC (ServiceRpc in its code) in an earlier
    wave than that service: otherwise its worker waiting for an answer would wait out the RPC timeout."""
    import re

    from cli.stack import STOP_ORDER
    from common.config import PROCESSES

    root = Path(__file__).resolve().parents[2]
    wave = {name: n for n, names in enumerate(STOP_ORDER) for name in names}
    assert sorted(wave) == sorted(PROCESSES) and sum(map(len, STOP_ORDER)) == len(PROCESSES)
    calls = set()
    for name in PROCESSES:
        code = root / "gateway" if name == "gateway" else root / "services" / name
        for path in code.rglob("*.py"):
            calls |= {(name, callee) for callee in re.findall(r'ServiceRpc\("(\w+)"', path.read_text())}
    assert ("webhooks", "audit") in calls and ("gateway", "vehicles") in calls  # the scan finds them
    assert [(caller, callee) for caller, callee in calls if wave[caller] >= wave[callee]] == []
