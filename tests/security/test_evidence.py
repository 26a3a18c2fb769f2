"""Issue 13, findings 6, 7 and the audit half of 10: evidence packs and audit oracles.

The audit service runs in a real nameko container on real RabbitMQ (a vhost of this module's own) and
PostgreSQL (a throwaway database per test); events are published as their producers publish them, and packs
are built and checked exactly as the gateway and `ecoc evidence verify` do.
"""
import hashlib
import io
import json
import uuid
import zipfile

import psycopg
import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy.engine import make_url

from cli.evidence import verify_evidence
from common.outbox import Outbox
from services.audit.domain.evidence import build_pack, verify_pack
from services.audit.service import AuditService
from tests.integration.conftest import (  # noqa: F401 (fixtures)
    amqp_uri, container_factory, identity_context, module_databases, publish_event, service_config, service_db,
)
from tests.support import wait_until

pytestmark = pytest.mark.integration

ENTITY, FOREIGN = "EVIDENCEA", "EVIDENCEB"
VIN, OTHER, THIRD = "EVDZZZ1JZXW000001", "EVDZZZ1JZXW000002", "EVDZZZ1JZXW000003"
WAIT = 15
DOCUMENT = '<?xml version="1.0" encoding="UTF-8"?>\n<IVI>evidence</IVI>\n'
SHA = hashlib.sha256(DOCUMENT.encode("utf-8")).hexdigest()
PACKS = {"core": "2026.11.1"}


@pytest.fixture
def db_url(service_db):
    url = service_db("audit")
    yield url
    role = f"{make_url(url).database}_writer"  # migration 0002's writer role is server-wide
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def audit(container_factory, service_config, db_url, tmp_path):
    service_cls = type("AuditUnderTest", (AuditService,), {"name": f"audit_sec_{uuid.uuid4().hex[:8]}"})
    container = container_factory(service_cls, service_config("audit", db_url, KEYS_DIR=str(tmp_path / "keys")))
    container.start()
    return container


@pytest.fixture
def record(audit, publish_event, db_url):
    """`record(source, event_type, data, subjects, entity=ENTITY, actor=...)`: publish as the producer does and
    wait until the audit log holds the entry."""
    libpq = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)

    def recorded(event_id):
        with psycopg.connect(libpq) as conn:
            return conn.execute("SELECT seq FROM audit_entries WHERE event_id = %s", (event_id,)).fetchone()

    def send(source, event_type, data, subjects, entity=ENTITY, actor="dana"):
        envelope = Outbox(source, None).envelope(event_type, data, subject=subjects[0], subjects=subjects,
                                                 entity=entity, actor=actor, roles=["data_steward"])
        publish_event(envelope)
        wait_until(lambda: recorded(envelope["event_id"]), WAIT, what=f"{event_type} to be recorded")
        return envelope

    return send


def rpc(container, method, *args, entities=("*",), **kwargs):
    with entrypoint_hook(container, method, context_data=identity_context("audrey", ["auditor"], entities)) as call:
        return call(*args, **kwargs)


def files_of(pack):
    archive = zipfile.ZipFile(io.BytesIO(pack))
    return {name: archive.read(name) for name in archive.namelist()}


def zipped(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(entry, algorithm):
    """The chain digest of an entry as the pack carries it, worked out from algorithm.json alone (a forger's
    view): format 2 up its Merkle path, format 1 from its content fields."""
    if "item" not in entry:
        return hashlib.sha256(canonical({n: entry[n] for n in algorithm["content_fields"]})).hexdigest()
    node = hashlib.sha256(canonical(entry["item"])).hexdigest()
    for step in entry["path"]:
        pair = (step["left"], node) if "left" in step else (node, step["right"])
        node = hashlib.sha256(b"\x01" + bytes.fromhex(pair[0]) + bytes.fromhex(pair[1])).hexdigest()
    header = {n: entry[n] for n in algorithm["format_2"]["entry_fields"]}
    header.update(format=2, shared_digest=hashlib.sha256(canonical(entry["shared"])).hexdigest(), items_root=node)
    return hashlib.sha256(canonical(header)).hexdigest()


def withdrawn_vehicle(record):
    """VIN imported (revision 1, with OTHER), released with certificate REF-1, then withdrawn (revision 2)."""
    record("vehicles", "vehicle_changed", {"vehicles": [{"vin": VIN, "revision": 1}, {"vin": OTHER, "revision": 1}]},
           [VIN, OTHER])
    record("validation", "validation_completed", {"results": [
        {"vin": VIN, "revision": 1, "status": "valid", "findings": []}]}, [VIN])
    record("vehicles", "vehicle_status_changed", {"vehicles": [{"vin": VIN, "status": "valid"}]}, [VIN])
    record("signing", "certificate_signed", {"release_id": "R1", "certificates": [
        {"vin": VIN, "reference_id": "REF-1", "version_number": 1, "sha256": SHA}]}, [VIN])
    record("vehicles", "vehicle_status_changed", {"vehicles": [{"vin": VIN, "status": "released"}]}, [VIN])
    record("vehicles", "vehicle_changed", {"vehicles": [{"vin": OTHER, "revision": 2}]}, [OTHER])
    record("vehicles", "vehicle_withdrawn", {"vin": VIN, "revision": 2, "reason": "recalled", "certificate": None},
           [VIN], actor="sam")
    record("vehicles", "vehicle_status_changed", {"vehicles": [{"vin": VIN, "status": "withdrawn"}]}, [VIN])
    record("signing", "certificate_withdrawn", {"vin": VIN, "reference_id": "REF-1", "version_number": 1,
                                                "reason": "recalled"}, [VIN])


def pack_of(audit_answer, status="withdrawn", revision=2):
    certificates = [{"summary": {"vin": VIN, "reference_id": "REF-1", "version_number": 1, "status": status,
                                 "sha256": SHA}, "document": DOCUMENT}]
    revisions = [{"revision": n, "actor": actor, "reason": reason, "at": "2026-03-01T08:00:00+00:00", "diff": []}
                 for n, actor, reason in ((1, "dana", "import"), (2, "sam", "recalled"))[:revision]]
    reports = [{"vin": VIN, "revision": 1, "status": "valid", "findings": [], "rule_pack": PACKS}]
    vehicle = {"vin": VIN, "revision": revision, "status": status if status == "withdrawn" else "released"}
    return build_pack(VIN, vehicle, revisions, reports, certificates, audit_answer)


def test_finding_06_doctored_evidence_pack_does_not_verify(audit, record, tmp_path):
    withdrawn_vehicle(record)
    pack = pack_of(rpc(audit, "evidence", VIN))
    files = files_of(pack)
    algorithm = json.loads(files["audit/algorithm.json"])["chain"]
    entries, proof = json.loads(files["audit/entries.json"]), json.loads(files["audit/proof.json"])

    # the forger: the withdrawal entries become someone else's (seq, digest) links, the files say "current"
    withdrawal = [e for e in entries if e["seq"] >= min(e["seq"] for e in entries
                                                        if e["event_type"] == "vehicle_withdrawn")]
    run = proof["segments"][-1]
    run["links"] = sorted(run["links"] + [{"seq": e["seq"], "digest": digest_of(e, algorithm)}
                                          for e in withdrawal], key=lambda link: link["seq"])
    doctored = files_of(pack_of(rpc(audit, "evidence", VIN), status="current", revision=1))
    doctored.update((name, data) for name, data in files.items() if name.startswith("audit/"))
    doctored["audit/entries.json"] = json.dumps([e for e in entries if e not in withdrawal]).encode()
    doctored["audit/proof.json"] = json.dumps(proof).encode()
    manifest = json.loads(doctored["manifest.json"])
    manifest["files"] = {n: hashlib.sha256(d).hexdigest() for n, d in doctored.items() if n != "manifest.json"}
    doctored["manifest.json"] = json.dumps(manifest).encode()
    path = tmp_path / "doctored.zip"
    path.write_bytes(zipped(doctored))

    result = verify_pack(path.read_bytes())
    assert not result["ok"] and result["proves"] == []
    failed = [c for c in result["checks"] if not c["ok"]]
    assert failed[0]["check"] == "the pack carries every entry of the index, and no other"
    assert str(withdrawal[0]["seq"]) in failed[0]["detail"]
    printed = io.StringIO()
    assert verify_evidence(str(path), out=printed) == 1
    assert "the first thing that does not match: the pack carries every entry of the index" in printed.getvalue()

    # a faithful pack of the same vehicle holds up, and says the certificate is withdrawn
    faithful = verify_pack(pack)
    assert faithful["ok"], [c for c in faithful["checks"] if not c["ok"]]
    assert [c for c in faithful["checks"] if c["check"] == "certificate version 1"][0]["detail"].startswith(
        f"sha256 {SHA}, withdrawn")
    # and each file alone changed back (manifest fixed), or a report removed, fails on that file
    for name, change in (("certificates/versions.json", lambda v: [dict(v[0], status="current")]),
                         ("vehicle/record.json", lambda r: dict(r, status="released")),
                         ("vehicle/revisions.json", lambda r: r[:1]),
                         ("validation/reports.json", lambda r: [])):
        edited = files_of(pack)
        edited[name] = json.dumps(change(json.loads(edited[name]))).encode()
        manifest = json.loads(edited["manifest.json"])
        manifest["files"][name] = hashlib.sha256(edited[name]).hexdigest()
        edited["manifest.json"] = json.dumps(manifest).encode()
        assert not verify_pack(zipped(edited))["ok"], name


def test_finding_07_evidence_pack_carries_only_its_vins_data(audit, record):
    batch = [{"vin": v, "revision": 1, "coc": {"Secret": f"data-of-{v}"}} for v in (VIN, OTHER, THIRD)]
    record("vehicles", "vehicle_changed", {"vehicles": batch}, [VIN, OTHER, THIRD])
    record("validation", "validation_completed", {"results": [
        {"vin": v, "revision": 1, "status": "valid", "findings": []} for v in (THIRD, VIN, OTHER)]},
        [THIRD, VIN, OTHER])
    record("vehicles", "release_requested", {"release_id": "R7", "vins": [OTHER, VIN, THIRD], "note": "batch"},
           ["R7", OTHER, VIN, THIRD])
    record("signing", "certificate_signed", {"release_id": "R7", "certificates": [
        {"vin": v, "reference_id": f"REF-{v}", "version_number": 1, "sha256": SHA if v == VIN else f"sha-of-{v}"}
        for v in (OTHER, THIRD, VIN)]}, [OTHER, THIRD, VIN])

    answer = rpc(audit, "evidence", VIN)
    pack = build_pack(VIN, {"vin": VIN, "revision": 1, "status": "draft", "coc": {"Secret": f"data-of-{VIN}"}},
                      [{"revision": 1, "actor": "dana", "reason": "import", "at": "2026-03-01", "diff": []}],
                      [{"vin": VIN, "revision": 1, "status": "valid", "findings": [], "rule_pack": PACKS}],
                      [{"summary": {"vin": VIN, "reference_id": f"REF-{VIN}", "version_number": 1,
                                    "status": "current", "sha256": SHA}, "document": DOCUMENT}], answer)
    content = b"".join(files_of(pack).values())
    for other in (OTHER, THIRD):
        assert other.encode() not in content, f"{other} is in {VIN}'s pack"
        assert f"data-of-{other}".encode() not in content and f"sha-of-{other}".encode() not in content
    assert f"data-of-{VIN}".encode() in content

    result = verify_pack(pack)
    assert result["ok"], [c for c in result["checks"] if not c["ok"]]
    assert len(json.loads(files_of(pack)["audit/entries.json"])) == 4  # each batch entry proves VIN's part


def test_finding_10_audit_queries_page_after_scoping(audit, record):
    for i in range(3):
        record("vehicles", "vehicle_changed", {"vehicles": [{"vin": THIRD, "revision": i}]}, [THIRD],
               entity=FOREIGN, actor="eve")
    record("validation", "validation_completed", {"results": [  # a batch spanning entities has none
        {"vin": THIRD, "revision": 1, "status": "valid", "findings": []}]}, [THIRD], entity=None)
    record("vehicles", "vehicle_changed", {"vehicles": [{"vin": VIN, "revision": 1}]}, [VIN])
    record("vehicles", "vehicle_changed", {"vehicles": [{"vin": VIN, "revision": 2}]}, [VIN])
    mine = (ENTITY,)

    nothing = {"entries": [], "next_cursor": None}
    assert rpc(audit, "query", actor="eve", limit=1, entities=mine) == nothing
    assert rpc(audit, "query", actor="eve", limit=1, entities=mine) == rpc(
        audit, "query", actor="nobody", limit=1, entities=mine)
    assert rpc(audit, "query", THIRD, limit=1, entities=mine) == nothing
    assert rpc(audit, "query", event_type="validation_completed", entities=mine) == nothing
    pages, cursor = [], None
    while True:  # pages hold only the caller's entries and a cursor never points past them into others'
        page = rpc(audit, "query", event_type="vehicle_changed", limit=1, cursor=cursor, entities=mine)
        pages.append([(e["entity"], e["subject"]) for e in page["entries"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [[(ENTITY, VIN)], [(ENTITY, VIN)]]

    foreign, missing = rpc(audit, "evidence", THIRD, entities=mine), rpc(audit, "evidence", "NOBODY", entities=mine)
    assert (foreign["entries"], foreign["proof"], foreign["index"]["seqs"]) == ([], missing["proof"], [])
    assert len(rpc(audit, "query", actor="eve", entities=("*",))["entries"]) == 3  # a global auditor sees them
