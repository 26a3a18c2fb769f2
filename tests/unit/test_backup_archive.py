"""The backup manifest's checksums and the write-once archive: what verify accepts, and that tampering with a
file or a digest makes it fail, naming the file."""
import json
import os
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cli import archive_store, backup_manifest, key_refs
from cli.main import main
from services.audit.domain import checkpoints

DOCUMENT = '<?xml version="1.0" encoding="UTF-8"?>\n<IVI>Prüfung ✓</IVI>\n'.encode("utf-8")
AT = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


# -- backup manifest --------------------------------------------------------------------------------

@pytest.fixture
def backup_dir(tmp_path):
    directory = tmp_path / "b"
    directory.mkdir()
    entries = []
    for name, data in (("signing", b"dump of signing"), ("audit", b"dump of audit")):
        (directory / f"{name}.dump").write_bytes(data)
        entries.append(dict(backup_manifest.file_entry(directory / f"{name}.dump"), process=name,
                            database=f"ecoc_{name}", alembic_head="0001"))
    backup_manifest.write(directory, {"format": backup_manifest.FORMAT, "databases": entries, "prefix": "ecoc",
                                      "created_at": "2026-12-03T10:00:00+00:00"})
    return directory


def test_backup_manifest_matches_its_dumps(backup_dir, capsys):
    assert backup_manifest.problems(backup_dir, backup_manifest.read(backup_dir)) == []
    assert main(["backup", "verify", str(backup_dir)]) == 0
    assert "2 dumps match" in capsys.readouterr().out


def test_backup_verify_names_a_tampered_dump(backup_dir, capsys):
    (backup_dir / "audit.dump").write_bytes(b"dump of audiT")  # same size, other bytes
    assert backup_manifest.problems(backup_dir, backup_manifest.read(backup_dir)) == [
        "audit.dump: SHA-256 does not match the manifest"]
    assert main(["backup", "verify", str(backup_dir)]) == 1
    assert "FAIL  audit.dump" in capsys.readouterr().out


def test_backup_verify_names_a_tampered_digest_a_missing_and_an_extra_file(backup_dir):
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    manifest["databases"][0]["sha256"] = "0" * 64
    (backup_dir / "manifest.json").write_text(json.dumps(manifest))
    (backup_dir / "audit.dump").unlink()
    (backup_dir / "stray.dump").write_bytes(b"x")
    assert backup_manifest.problems(backup_dir, backup_manifest.read(backup_dir)) == [
        "signing.dump: SHA-256 does not match the manifest", "audit.dump: missing", "stray.dump: not in the manifest"]


def test_backup_verify_refuses_what_is_no_manifest(tmp_path, capsys):
    assert main(["backup", "verify", str(tmp_path)]) == 1
    assert "not a readable backup manifest" in capsys.readouterr().err


# -- write-once archive -----------------------------------------------------------------------------

def record(reference_id="8c4f1b0e-0000-4000-8000-000000000001", document=DOCUMENT):
    return {"reference_id": reference_id, "vin": "WVWZZZ1JZXW000001", "version_number": 1, "entity": "ACME",
            "sha256": archive_store.sha256(document), "signed_at": AT.isoformat()}


def export(root, key, document=DOCUMENT, seq=7):
    """What `ecoc archive export` writes, without the databases: a certificate, its record, a checkpoint, the key."""
    pem = checkpoints.public_pem(key)
    files = {}
    items = [(archive_store.key_path(checkpoints.key_id(pem)), pem.encode("ascii"))]
    rec = record(document=document)
    items += [(archive_store.certificate_path(rec) + ".xml", document),
              (archive_store.certificate_path(rec) + ".json", archive_store.as_json(rec))]
    cp = dict(checkpoints.as_dict(checkpoints.seal(key, seq, "ab" * 32, AT)), id=seq)
    items.append((archive_store.checkpoint_path(cp), archive_store.as_json(cp)))
    outcomes = []
    for relative, data in items:
        outcomes.append(archive_store.put(root, relative, data))
        files[relative] = archive_store.sha256(data)
    archive_store.write_manifest(root, files, AT.isoformat(), None)
    return outcomes


@pytest.fixture
def archive(tmp_path):
    key = Ed25519PrivateKey.generate()
    export(tmp_path / "a", key)
    return tmp_path / "a", key


CERT = "certificates/ACME/WVWZZZ1JZXW000001/1-8c4f1b0e-0000-4000-8000-000000000001"


def test_archive_verifies_offline(archive, capsys):
    root, _ = archive
    result = archive_store.verify(root)
    assert result["problems"] == [] and result["certificates"] == 1 and result["checkpoints"] == 1
    assert (root / f"{CERT}.xml").read_bytes() == DOCUMENT
    assert not os.access(root / f"{CERT}.xml", os.W_OK) or os.geteuid() == 0
    assert main(["archive", "verify", str(root)]) == 0


def test_archive_export_again_only_adds(archive):
    root, key = archive
    assert export(root, key) == ["same"] * 4  # identical files are skipped
    export(root, key, seq=8)  # a new checkpoint is added beside the old one
    assert len(list((root / "manifests").iterdir())) == 3
    result = archive_store.verify(root)
    assert result["problems"] == [] and result["checkpoints"] == 2


def test_archive_never_overwrites_a_different_file(archive):
    root, key = archive
    with pytest.raises(archive_store.ArchiveConflict, match=f"{CERT}.xml exists with other content"):
        export(root, key, document=DOCUMENT.replace(b"IVI", b"IVX"))
    assert (root / f"{CERT}.xml").read_bytes() == DOCUMENT


def _tamper(path, data):
    os.chmod(path, 0o644)
    path.write_bytes(data)


def test_archive_verify_names_a_tampered_certificate(archive, capsys):
    root, _ = archive
    _tamper(root / f"{CERT}.xml", DOCUMENT.replace(b"IVI", b"IVX"))
    assert archive_store.verify(root)["problems"] == [f"{CERT}.xml: SHA-256 does not match the manifest"]
    assert main(["archive", "verify", str(root)]) == 1
    assert f"FAIL  {CERT}.xml" in capsys.readouterr().out


def test_archive_verify_names_a_certificate_whose_digest_was_changed_with_it(archive):
    root, _ = archive
    forged = DOCUMENT.replace(b"IVI", b"IVX")
    _tamper(root / f"{CERT}.xml", forged)
    manifest_path = next((root / "manifests").iterdir())
    manifest = json.loads(manifest_path.read_bytes())
    manifest["files"][f"{CERT}.xml"] = archive_store.sha256(forged)
    _tamper(manifest_path, archive_store.as_json(manifest))
    assert archive_store.verify(root)["problems"] == [
        f"{CERT}.xml: SHA-256 differs from the one its signing record holds"]


def test_archive_verify_names_a_checkpoint_not_signed_by_the_key(archive):
    root, _ = archive
    path = next((root / "audit" / "checkpoints").iterdir())
    checkpoint = json.loads(path.read_bytes())
    checkpoint["seq"] = 6  # cutting the tail back, say
    _tamper(path, archive_store.as_json(checkpoint))
    manifest_path = next((root / "manifests").iterdir())
    manifest = json.loads(manifest_path.read_bytes())
    relative = f"audit/checkpoints/{path.name}"
    manifest["files"][relative] = archive_store.sha256(path.read_bytes())
    _tamper(manifest_path, archive_store.as_json(manifest))
    assert archive_store.verify(root)["problems"] == [f"{relative}: not signed by the audit key "
                                                      f"{checkpoint['key_id']}"]


def test_archive_verify_names_added_and_removed_files(archive):
    root, _ = archive
    (root / "certificates" / "ACME" / "extra.xml").write_bytes(b"<x/>")
    os.chmod(root / f"{CERT}.json", 0o644)
    (root / f"{CERT}.json").unlink()
    problems = archive_store.verify(root)["problems"]
    assert "certificates/ACME/extra.xml: in no manifest" in problems
    assert f"{CERT}.json: listed in a manifest but missing" in problems
    assert f"{CERT}.xml: no verified signing record beside it ({CERT}.json)" in problems


def test_archive_verify_of_no_archive_fails(tmp_path):
    assert archive_store.verify(tmp_path)["problems"] == [f"{tmp_path}: no manifests/*.json: not an ecoc archive"]


def test_archive_since_must_be_iso(capsys):
    assert main(["archive", "export", "/nonexistent", "--since", "yesterday"]) == 2
    assert "--since" in capsys.readouterr().err


# -- key references ---------------------------------------------------------------------------------

def test_key_references_name_keys_without_their_secrets_and_find_a_changed_seal(tmp_path):
    from common.config import Settings
    from services.signing.domain.keys import FileKeyProvider, generate_self_signed, write_seal

    keys = tmp_path / "keys"
    write_seal(keys, "ACME", *generate_self_signed("ACME", "ACME CARS NV"))
    audit_key = checkpoints.load_or_create_key(keys, local_mode=True)
    s = Settings(keys_dir=str(keys), audit_keys_dir=str(keys))
    refs = key_refs.references(s, key_refs.audit_public_key(s))
    assert refs["seals"] == [{"entity": "ACME", "files": ["ACME.cert.pem", "ACME.key.pem"],
                              "certificate_sha256": FileKeyProvider(keys).get("ACME").fingerprint_sha256}]
    assert refs["audit"]["key_id"] == checkpoints.key_id(checkpoints.public_pem(audit_key))
    assert "PRIVATE KEY" not in json.dumps(refs)
    assert key_refs.problems(refs, s) == []
    write_seal(keys, "ACME", *generate_self_signed("ACME", "ACME CARS NV"), overwrite=True)
    (problem,) = key_refs.problems(refs, s)
    assert problem.startswith("seal of ACME: certificate sha256 ")


def test_database_passwords_stay_out_of_records_and_command_lines():
    from cli import pg_tools

    url = "postgresql+psycopg://ecoc:s3cret@db.example:5433/ecoc_audit"
    assert pg_tools.public_url(url) == "postgresql+psycopg://ecoc@db.example:5433/ecoc_audit"
    args, env = pg_tools._connection(url)
    assert args == ["--dbname", "ecoc_audit", "--host", "db.example", "--port", "5433", "--username", "ecoc"]
    assert env["PGPASSWORD"] == "s3cret"
