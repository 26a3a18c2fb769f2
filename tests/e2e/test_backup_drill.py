"""The backup drill against the running stack: a small release is sealed, `ecoc backup` dumps every database,
`ecoc restore` brings them back under a new prefix, the restored audit chain verifies against its last signed
checkpoint, every certificate is byte-identical in both signing databases, the audit writer role of the restored
database may insert but not rewrite; and `ecoc archive export` keeps the sealed certificates and checkpoints
in a write-once directory that verifies offline."""
import contextlib
import io

import psycopg
import pytest

from cli import archive_store, backup_manifest
from cli.archive import export
from cli.main import main as ecoc
from cli.pg_tools import libpq_url
from cli.restore import verify_audit
from services.audit.dependencies import writer_url
from services.audit.domain import checkpoints
from tests.support import ReleaseRun, drop_stack_databases, query, throwaway_prefix

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sealed_release(stack, nordwind, wait):
    """Three vehicles released, their certificate_signed events in the audit chain, and the head sealed by a
    checkpoint (an evidence request seals it at once)."""
    run = ReleaseRun(stack, 3, seed=1414).prepare()
    run.sign()
    run.wait_released(timeout=120)
    audit = stack.database_url("audit")
    last = wait(lambda: query(audit, "SELECT max(seq) AS seq, count(*) AS n FROM audit_entries "
                                     "WHERE event_type = 'certificate_signed' AND subjects && CAST(:vins AS text[])",
                              vins=run.vins)[0]["seq"], 60, what="the certificate_signed events in the audit chain")
    run.auditor.request("GET", f"/v1/vehicles/{run.vins[-1]}/evidence")
    wait(lambda: (query(audit, "SELECT max(seq) AS seq FROM audit_checkpoints")[0]["seq"] or 0) >= last, 30,
         what="a checkpoint sealing the release's audit entries")
    return run, last


@pytest.fixture(scope="module")
def stack_environment(stack):
    """The stack's settings as the `ecoc` command reads them (for this module's commands only)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ECOC_DATABASE_URL", stack.settings.database_server)
        mp.setenv("ECOC_DB_PREFIX", stack.prefix)
        mp.setenv("ECOC_KEYS_DIR", str(stack.keys_dir))
        mp.setenv("ECOC_AUDIT_KEYS_DIR", stack.settings.audit_keys_dir)
        yield


@pytest.fixture(scope="module")
def restored(stack, sealed_release, stack_environment, tmp_path_factory):
    """`ecoc backup DIR` of the running stack, then `ecoc restore DIR --prefix NEW --check-keys`: (directory,
    manifest, new prefix, what the restore printed); the restored databases are dropped afterwards."""
    directory = tmp_path_factory.mktemp("drill") / "backup"
    assert ecoc(["backup", str(directory)]) == 0
    prefix = throwaway_prefix()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            status = ecoc(["restore", str(directory), "--prefix", prefix, "--check-keys"])
        assert status == 0, out.getvalue()
        yield directory, backup_manifest.read(directory), prefix, out.getvalue()
    finally:
        drop_stack_databases(prefix)


def restored_url(stack, prefix, process):
    return f"{stack.settings.database_server.rstrip('/')}/{prefix}_{process}"


def test_backup_manifest_records_dumps_and_key_references_without_secrets(stack, restored):
    directory, manifest, _, _ = restored
    assert [db["process"] for db in manifest["databases"]] == [
        "approvals", "vehicles", "validation", "signing", "audit", "webhooks", "rollout", "delivery", "gateway"]
    assert all(db["alembic_head"] for db in manifest["databases"])
    assert backup_manifest.problems(directory, manifest) == []
    assert ecoc(["backup", "verify", str(directory)]) == 0
    public = checkpoints.public_pem(checkpoints.load_or_create_key(stack.keys_dir, local_mode=False))
    assert manifest["keys"]["audit"] == {"file": checkpoints.KEY_FILE, "public_key_pem": public,
                                         "key_id": checkpoints.key_id(public)}
    assert "NORDWIND" in {seal["entity"] for seal in manifest["keys"]["seals"]}
    text = (directory / "manifest.json").read_text()
    assert "PRIVATE KEY" not in text and stack.settings.jwt_secret not in text


def test_restore_verifies_the_audit_chain_against_the_last_checkpoint(stack, sealed_release, restored):
    _, last_signed = sealed_release
    _, manifest, prefix, printed = restored
    assert "audit chain: " in printed and "entries valid; the last checkpoint" in printed, printed
    assert "each matching its recorded SHA-256" in printed, printed
    audit = verify_audit(restored_url(stack, prefix, "audit"), manifest["keys"]["audit"]["public_key_pem"])
    assert audit["valid"], audit
    assert audit["checkpoint"]["seq"] >= last_signed
    assert audit["last_seq"] >= audit["checkpoint"]["seq"]


def test_restored_certificates_are_byte_identical(stack, sealed_release, restored):
    run, _ = sealed_release
    statement = "SELECT reference_id, vin, version_number, sha256, document FROM certificates ORDER BY reference_id"
    restored_rows = query(restored_url(stack, restored[2], "signing"), statement)
    original_rows = {r["reference_id"]: r for r in query(stack.database_url("signing"), statement)}
    assert {r["vin"] for r in restored_rows} >= set(run.vins)
    for row in restored_rows:  # the stack may have sealed more since the backup, never anything else
        assert bytes(row["document"]) == bytes(original_rows[row["reference_id"]]["document"]), row["vin"]


def test_restored_audit_writer_may_insert_but_not_rewrite(stack, restored):
    url = writer_url(restored_url(stack, restored[2], "audit"))
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM audit_entries").fetchone()[0] > 0
        assert conn.execute("SELECT has_table_privilege(current_user, 'audit_entries', 'INSERT')").fetchone()[0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE audit_entries SET actor = actor WHERE seq = 1")


def test_restore_replaces_existing_databases_only_when_asked_and_refuses_a_tampered_backup(restored, capsys):
    directory, _, prefix, _ = restored
    assert ecoc(["restore", str(directory), "--prefix", prefix]) == 1
    assert f"{prefix}_approvals" in capsys.readouterr().err
    assert ecoc(["restore", str(directory), "--prefix", prefix, "--replace"]) == 0
    assert "entries valid; the last checkpoint" in capsys.readouterr().out
    dump = directory / "audit.dump"
    data = bytearray(dump.read_bytes())
    data[-1] ^= 1
    dump.write_bytes(bytes(data))
    assert ecoc(["restore", str(directory), "--prefix", throwaway_prefix()]) == 1
    assert "audit.dump: SHA-256 does not match the manifest" in capsys.readouterr().err


def test_archive_export_is_write_once_and_verifies_offline(stack, sealed_release, stack_environment, tmp_path):
    run, _ = sealed_release
    assert ecoc(["archive", "export", str(tmp_path)]) == 0
    again = export(tmp_path, stack.settings)  # what the first export wrote is found identical, never rewritten
    assert again["certificates"] >= 3 and again["checkpoints"] >= 1
    assert again["same"] >= 2 * len(run.vins) + 2
    for vin in run.vins:
        assert list((tmp_path / "certificates" / "NORDWIND" / vin).glob("1-*.xml")), vin
    result = archive_store.verify(tmp_path)
    assert result["problems"] == [] and result["certificates"] >= 3
    assert ecoc(["archive", "verify", str(tmp_path)]) == 0
