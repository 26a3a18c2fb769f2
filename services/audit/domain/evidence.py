"""The evidence pack of a vehicle: a zip a third party can check offline (plain Python).

Layout (`manifest.json` lists every other file with its sha256):

    certificates/<VIN>-v<N>.xml   every certificate version, the exact bytes that were sealed
    certificates/versions.json    their summaries (IviReferenceId, version, status, sha256, ...)
    vehicle/record.json           the vehicle as it stands
    vehicle/revisions.json        every data revision: who, when, why, diff
    validation/reports.json       every validation report: revision judged, rule-pack versions, findings
    audit/entries.json            the audit entries naming the VIN (content, payload, prev_hash, hash)
    audit/proof.json              {prev_hash, links}: (seq, digest) of every other entry from the VIN's
                                  first entry up to the checkpoint, so the span can be re-hashed
    audit/checkpoint.json         the chain head sealed with the audit key
    audit/audit-key.pem           the audit public key (compare its key id with the operator's)
    audit/algorithm.json          how digests, hashes and the seal are computed
"""
import hashlib
import io
import json
import zipfile
from datetime import datetime

from services.audit.domain import chain, checkpoints

FORMAT = "ecoc-evidence/1"


def pack_entry(entry):
    """An audit entry as a pack carries it: content fields, seq, payload, prev_hash and hash, with timestamps
    in their canonical form (so the digest recomputed from the JSON is the stored one)."""
    fields = dict(chain.content_of(entry), seq=entry["seq"], payload=entry["payload"],
                  prev_hash=entry["prev_hash"], hash=entry["hash"])
    return {k: chain.canonical_time(v) if isinstance(v, datetime) else v for k, v in fields.items()}


def _json(value):
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def build_pack(vin, vehicle, revisions, reports, certificates, audit):
    """The zip (bytes). `certificates` are `{summary, document}` with the document text as sealed;
    `audit` is what the audit service's `evidence` RPC returns."""
    files = {}
    for cert in certificates:
        files[f"certificates/{vin}-v{cert['summary']['version_number']}.xml"] = cert["document"].encode("utf-8")
    files["certificates/versions.json"] = _json([c["summary"] for c in certificates])
    files["vehicle/record.json"] = _json(vehicle)
    files["vehicle/revisions.json"] = _json(revisions)
    files["validation/reports.json"] = _json(reports)
    files["audit/entries.json"] = _json(audit["entries"])
    files["audit/proof.json"] = _json(audit["proof"])
    files["audit/checkpoint.json"] = _json(audit["checkpoint"])
    files["audit/audit-key.pem"] = audit["public_key"].encode("ascii")
    files["audit/algorithm.json"] = _json({"chain": audit["algorithm"], "checkpoint": audit["checkpoint_algorithm"]})
    manifest = {"format": FORMAT, "vin": vin, "generated_at": audit["generated_at"],
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        pack.writestr("manifest.json", _json(manifest))
        for name, data in sorted(files.items()):
            pack.writestr(name, data)
    return buffer.getvalue()


class Check:
    def __init__(self):
        self.results = []  # (what, ok, detail)

    def __call__(self, what, ok, detail=""):
        self.results.append((what, bool(ok), detail))
        return ok

    @property
    def ok(self):
        return all(ok for _, ok, _ in self.results)


def verify_pack(data, trusted_key_pem=None):
    """Check a pack offline; `{ok, vin, checks: [{check, ok, detail}], proves: [...]}`.

    `trusted_key_pem`: the operator's audit public key; without it the key inside the pack is used and
    the result only shows the pack is consistent with itself and with that key."""
    check = Check()
    try:
        pack = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(pack.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        check("the file is an evidence pack", False, str(exc))
        return _report(check, None, [])
    vin = manifest.get("vin")
    check("format", manifest.get("format") == FORMAT, str(manifest.get("format")))
    names = set(pack.namelist()) - {"manifest.json"}
    listed = manifest.get("files", {})
    check("every file is listed in the manifest", names == set(listed),
          ", ".join(sorted(names ^ set(listed))) or f"{len(names)} files")
    changed = [n for n in sorted(names & set(listed)) if hashlib.sha256(pack.read(n)).hexdigest() != listed[n]]
    check("every file matches its sha256 in the manifest", not changed, ", ".join(changed))
    if not check.ok:
        return _report(check, vin, [])

    def load(name):
        return json.loads(pack.read(name))

    entries, proof, sealed = load("audit/entries.json"), load("audit/proof.json"), load("audit/checkpoint.json")
    pack_key = pack.read("audit/audit-key.pem").decode("ascii")
    key = trusted_key_pem or pack_key
    check("audit key", trusted_key_pem is None or checkpoints.key_id(pack_key) == checkpoints.key_id(key),
          f"key id {checkpoints.key_id(key)}" + ("" if trusted_key_pem else " (the pack's own key: compare it "
                                                 "with the operator's published audit key)"))
    proves = []
    if not entries:
        check("audit entries", False, f"the pack holds no audit entry for {vin}")
        return _report(check, vin, proves)
    check("every audit entry names the VIN", all(vin == e["subject"] or vin in e["subjects"] for e in entries))
    if not check("checkpoint seal", sealed is not None and checkpoints.signature_valid(key, sealed),
                 f"entry {sealed['seq']} sealed at {sealed['at']}" if sealed else "no checkpoint"):
        return _report(check, vin, proves)
    links = sorted(entries + proof["links"], key=lambda item: item["seq"])
    end, hashes, problem = chain.verify_span(proof["prev_hash"], links)
    check("audit entries re-hash to their recorded hashes", problem is None, problem or f"{len(entries)} entries")
    reaches = problem is None and links[-1]["seq"] == sealed["seq"] and end == sealed["head_hash"]
    check("the chain through them reaches the sealed head", reaches,
          f"{len(links)} links from entry {links[0]['seq']} to {links[-1]['seq']}")
    if not check.ok:
        return _report(check, vin, proves)
    proves.append(f"the {len(entries)} audit entries of {vin} are part of the audit chain as it stood when the "
                  f"audit key sealed entry {sealed['seq']} at {sealed['at']}: none was changed, removed or "
                  f"reordered since")

    signed = {}
    for e in entries:
        if e["event_type"] == "certificate_signed":
            for ref in e["payload"]["data"].get("certificates", []):
                if ref.get("vin") == vin:
                    signed[ref.get("sha256")] = e["seq"]
    versions = load("certificates/versions.json")
    for summary in versions:
        name = f"certificates/{vin}-v{summary['version_number']}.xml"
        digest = hashlib.sha256(pack.read(name)).hexdigest() if name in names else None
        check(f"certificate version {summary['version_number']}", digest == summary["sha256"] and digest in signed,
              f"sha256 {digest} " + (f"recorded by audit entry {signed[digest]}" if digest in signed
                                     else "NOT recorded by any certificate_signed entry"))
    if versions and check.ok:
        proves.append(f"the {len(versions)} certificate file(s) are byte for byte the documents whose sha256 "
                      f"the signing service recorded when it sealed them")

    judged = {}
    for e in entries:
        if e["event_type"] == "validation_completed":
            for result in e["payload"]["data"].get("results", []):
                if result.get("vin") == vin:
                    judged.setdefault((result["revision"], result["status"]), e["seq"])
    reports = load("validation/reports.json")
    for report in reports:
        key_ = (report["revision"], report["status"])
        check(f"validation report of revision {report['revision']} ({report['status']}, "
              f"rule packs {', '.join(f'{k} {v}' for k, v in sorted(report['rule_pack'].items()))})",
              key_ in judged, f"audit entry {judged[key_]}" if key_ in judged else "no validation_completed entry")
    if reports and check.ok:
        proves.append("each validation report (revision, outcome, rule-pack versions) matches what the "
                      "validation service announced in the audit trail")

    changed = {}
    for e in entries:
        if e["event_type"] == "vehicle_changed":
            for vehicle in e["payload"]["data"].get("vehicles", []):
                if vehicle.get("vin") == vin:
                    changed.setdefault(vehicle["revision"], e["seq"])
    revisions = load("vehicle/revisions.json")
    for revision in revisions:
        number = revision["revision"]
        check(f"data revision {number} by {revision.get('actor')}", number in changed,
              f"audit entry {changed[number]}" if number in changed else "no vehicle_changed entry")
    if revisions and check.ok:
        proves.append("each data revision was announced by the vehicles service in the audit trail")
    return _report(check, vin, proves)


def _report(check, vin, proves):
    return {"ok": check.ok, "vin": vin,
            "checks": [{"check": what, "ok": ok, "detail": detail} for what, ok, detail in check.results],
            "proves": proves if check.ok else []}
