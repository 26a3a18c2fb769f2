"""Evidence packs: built from a real chain and checkpoint, checked offline, and what tampering does."""
import hashlib
import io
import json
import uuid
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from cli.evidence import verify_evidence
from services.audit.domain import chain, checkpoints
from services.audit.domain.entries import content_from_envelope
from services.audit.domain.evidence import build_pack, pack_entry, verify_pack

VIN, OTHER = "WVWZZZ1JZXW000001", "WVWZZZ1JZXW000002"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
DOCUMENT = '<?xml version="1.0" encoding="UTF-8"?>\n<IVI>Prüfung ✓</IVI>\n'
SHA = hashlib.sha256(DOCUMENT.encode("utf-8")).hexdigest()
PACKS = {"core": "2026.11.1", "M1": "2026.11.1"}


def event(n, event_type, vin, data):
    return {"event_id": str(uuid.UUID(int=n)), "event_type": event_type, "source": "test",
            "occurred_at": (T0 + timedelta(seconds=n)).isoformat(), "actor": "steward", "roles": ["data_steward"],
            "entity": "ACME", "subject": vin, "subjects": [vin], "data": data, "trace": {}}


def stored_chain():
    events = [
        event(1, "vehicle_changed", VIN, {"vehicles": [{"vin": VIN, "revision": 1}]}),
        event(2, "vehicle_changed", OTHER, {"vehicles": [{"vin": OTHER, "revision": 1, "secret": "x"}]}),
        event(3, "validation_completed", VIN, {"results": [{"vin": VIN, "revision": 1, "status": "valid",
                                                            "findings": []}]}),
        event(4, "certificate_signed", VIN, {"release_id": "R1", "certificates": [
            {"vin": VIN, "reference_id": "REF", "version_number": 1, "sha256": SHA}]}),
        event(5, "vehicle_changed", OTHER, {"vehicles": [{"vin": OTHER, "revision": 2}]}),
    ]
    entries, prev = [], chain.GENESIS
    for seq, envelope in enumerate(events, start=1):
        entry = dict(chain.link(prev, content_from_envelope(envelope, T0 + timedelta(minutes=seq))), seq=seq)
        entries.append(entry)
        prev = entry["hash"]
    return entries


def audit_part(entries, key):
    """What the audit service's `evidence` RPC answers for VIN."""
    sealed = checkpoints.as_dict(checkpoints.seal(key, entries[-1]["seq"], entries[-1]["hash"], T0))
    mine = [e for e in entries if VIN in e["subjects"]]
    first = mine[0]["seq"]
    return {
        "generated_at": "2026-03-01T09:00:00.000000+00:00", "algorithm": chain.ALGORITHM,
        "checkpoint_algorithm": checkpoints.ALGORITHM, "index_algorithm": checkpoints.INDEX_ALGORITHM,
        "public_key": checkpoints.public_pem(key), "checkpoint": sealed,
        "index": checkpoints.seal_index(key, VIN, [e["seq"] for e in mine], sealed),
        "entries": [pack_entry(e, VIN) for e in mine],
        "proof": {"segments": [{
            "prev_hash": mine[0]["prev_hash"], "checkpoint": sealed,
            "links": [{"seq": e["seq"], "digest": chain.entry_digest(e)}
                      for e in entries if e["seq"] >= first and VIN not in e["subjects"]]}]},
    }


@pytest.fixture
def key(tmp_path):
    return checkpoints.load_or_create_key(tmp_path, local_mode=True)


def pack_of(audit, documents=(DOCUMENT,)):
    certificates = [{"summary": {"vin": VIN, "reference_id": "REF", "version_number": i, "status": "current",
                                 "sha256": hashlib.sha256(d.encode()).hexdigest()},
                     "document": d} for i, d in enumerate(documents, start=1)]
    reports = [{"vin": VIN, "revision": 1, "status": "valid", "findings": [], "rule_pack": PACKS}]
    revisions = [{"revision": 1, "actor": "steward", "reason": "import", "at": T0.isoformat(), "diff": {}}]
    return build_pack(VIN, {"vin": VIN, "revision": 1, "status": "draft"}, revisions, reports, certificates, audit)


def rewrite(pack, name, change, fix_manifest=True):
    """A copy of the pack with file `name` changed (and the manifest updated to match, as a forger would)."""
    src = zipfile.ZipFile(io.BytesIO(pack))
    files = {n: src.read(n) for n in src.namelist()}
    files[name] = change(files[name])
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        manifest["files"][name] = hashlib.sha256(files[name]).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for n, data in files.items():
            dst.writestr(n, data)
    return out.getvalue()


def failed(result):
    return [c["check"] for c in result["checks"] if not c["ok"]]


def test_a_faithful_pack_verifies_and_says_what_it_proves(key):
    pack = pack_of(audit_part(stored_chain(), key))
    result = verify_pack(pack, checkpoints.public_pem(key))
    assert result["ok"], result
    assert result["vin"] == VIN and len(result["proves"]) == 4
    assert "sealed entry 5" in result["proves"][0]
    names = zipfile.ZipFile(io.BytesIO(pack)).namelist()
    assert f"certificates/{VIN}-v1.xml" in names
    assert zipfile.ZipFile(io.BytesIO(pack)).read(f"certificates/{VIN}-v1.xml") == DOCUMENT.encode("utf-8")
    assert b"secret" not in b"".join(zipfile.ZipFile(io.BytesIO(pack)).read(n) for n in names)  # no other VIN's data


def test_changed_file_without_fixing_the_manifest_fails(key):
    pack = rewrite(pack_of(audit_part(stored_chain(), key)), f"certificates/{VIN}-v1.xml",
                   lambda b: b.replace(b"IVI", b"IVX"), fix_manifest=False)
    assert failed(verify_pack(pack)) == ["every file matches its sha256 in the manifest"]


def test_changed_certificate_is_not_the_one_recorded_in_the_audit(key):
    pack = rewrite(pack_of(audit_part(stored_chain(), key)), f"certificates/{VIN}-v1.xml",
                   lambda b: b.replace(b"IVI", b"IVX"))
    assert failed(verify_pack(pack)) == ["certificate version 1"]


def test_edited_audit_entry_breaks_the_proof(key):
    def edit(raw):
        entries = json.loads(raw)
        entries[0]["actor"] = "someone-else"
        return json.dumps(entries).encode()

    result = verify_pack(rewrite(pack_of(audit_part(stored_chain(), key)), "audit/entries.json", edit))
    assert "audit entries re-hash to their recorded hashes" in failed(result) and result["proves"] == []


def test_dropped_audit_entry_does_not_reach_the_sealed_head(key):
    def drop(raw):
        return json.dumps(json.loads(raw)[:-1]).encode()  # hide the certificate_signed entry

    result = verify_pack(rewrite(pack_of(audit_part(stored_chain(), key)), "audit/entries.json", drop))
    assert failed(result) == ["the pack carries every entry of the index, and no other",
                              "the chain through them reaches the sealed head"]


def test_pack_sealed_by_another_key_fails_against_the_pinned_key(key, tmp_path):
    other = checkpoints.load_or_create_key(tmp_path / "other", local_mode=True)
    pack = pack_of(audit_part(stored_chain(), other))
    assert verify_pack(pack)["ok"]  # consistent with its own key...
    assert "audit key" in failed(verify_pack(pack, checkpoints.public_pem(key)))  # ...but not the operator's


def test_report_not_announced_in_the_audit_fails(key):
    def edit(raw):
        reports = json.loads(raw)
        reports[0]["status"] = "blocked"
        return json.dumps(reports).encode()

    result = verify_pack(rewrite(pack_of(audit_part(stored_chain(), key)), "validation/reports.json", edit))
    assert failed(result) == ["validation report of revision 1 (blocked, rule packs M1 2026.11.1, core 2026.11.1)",
                              "every validation outcome the audit trail announces has its report in the pack"]


def test_cli_prints_the_checks_and_exit_status(key, tmp_path, capsys):
    path = tmp_path / "pack.zip"
    path.write_bytes(pack_of(audit_part(stored_chain(), key)))
    (tmp_path / "audit.pem").write_text(checkpoints.public_pem(key))
    assert verify_evidence(str(path), str(tmp_path / "audit.pem")) == 0
    out = capsys.readouterr().out
    assert "It proves:" in out and "FAIL" not in out
    path.write_bytes(b"not a zip")
    assert verify_evidence(str(path)) == 1
    assert "FAIL" in capsys.readouterr().out
    assert verify_evidence(str(tmp_path / "missing.zip")) == 2


def split_at(audit, entries, key, at):
    """The proof in two runs: the VIN's entries up to the checkpoint at entry `at`, then the rest up to the head
    (as the audit service makes it when a periodic checkpoint lies between them)."""
    middle = checkpoints.as_dict(checkpoints.seal(key, at, entries[at - 1]["hash"], T0))
    mine = [e for e in entries if VIN in e["subjects"]]

    def run(first, last, checkpoint):
        return {"prev_hash": entries[first - 1]["prev_hash"], "checkpoint": checkpoint,
                "links": [{"seq": e["seq"], "digest": chain.entry_digest(e)} for e in entries
                          if first <= e["seq"] <= last and VIN not in e["subjects"]]}

    later = min(e["seq"] for e in mine if e["seq"] > at)
    return dict(audit, proof={"segments": [run(mine[0]["seq"], at, middle),
                                           run(later, entries[-1]["seq"], audit["checkpoint"])]})


def test_a_proof_in_runs_ending_at_earlier_checkpoints_verifies(key):
    entries = stored_chain()
    pack = pack_of(split_at(audit_part(entries, key), entries, key, at=2))
    result = verify_pack(pack, checkpoints.public_pem(key))
    assert result["ok"], [c for c in result["checks"] if not c["ok"]]
    runs = [c["detail"] for c in result["checks"] if c["check"] == "the chain through them reaches the sealed head"]
    assert runs == ["entry 1 to 2 (2 links); entry 3 to 5 (3 links)"]


def test_a_run_ending_at_a_checkpoint_of_another_key_fails(key, tmp_path):
    entries = stored_chain()
    other = checkpoints.load_or_create_key(tmp_path / "other", local_mode=True)
    audit = split_at(audit_part(entries, key), entries, other, at=2)
    result = verify_pack(pack_of(audit), checkpoints.public_pem(key))
    assert failed(result) == ["each run of entries ends at a checkpoint sealed with the audit key, the last at "
                              "the pack's head"]


def test_a_run_that_does_not_reach_its_checkpoint_fails(key):
    entries = stored_chain()
    audit = split_at(audit_part(entries, key), entries, key, at=2)
    audit["proof"]["segments"][0]["links"] = []  # entry 2 (someone else's) left out: the run stops short
    assert failed(verify_pack(pack_of(audit), checkpoints.public_pem(key))) == [
        "the chain through them reaches the sealed head"]


def test_a_pack_of_the_first_format_still_verifies(key):
    """Packs are kept for ten years: one made before the proof came in runs ({prev_hash, links} to the pack's
    checkpoint) verifies as it did."""
    audit = audit_part(stored_chain(), key)
    (run,) = audit["proof"]["segments"]
    audit["proof"] = {"prev_hash": run["prev_hash"], "links": run["links"]}
    src = zipfile.ZipFile(io.BytesIO(pack_of(audit)))
    files = {n: src.read(n) for n in src.namelist()}
    manifest = json.loads(files["manifest.json"])
    manifest["format"] = "ecoc-evidence/1"
    files["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for n, data in files.items():
            dst.writestr(n, data)
    assert verify_pack(out.getvalue(), checkpoints.public_pem(key))["ok"]
