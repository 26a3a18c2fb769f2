"""The evidence pack of a vehicle: a zip a third party can check offline (plain Python).

Layout (`manifest.json` lists every other file with its sha256):

    certificates/<VIN>-v<N>.xml   every certificate version, the exact bytes that were sealed
    certificates/versions.json    their summaries (IviReferenceId, version, status, sha256, ...)
    vehicle/record.json           the vehicle as it stands
    vehicle/revisions.json        every data revision: who, when, why, diff
    validation/reports.json       every validation report: revision judged, rule-pack versions, findings
    audit/entries.json            the audit entries naming the VIN (format 1: content and payload; format 2:
                                  the shared payload and the VIN's own item with its Merkle path), prev_hash, hash
    audit/proof.json              {segments: [{prev_hash, links, checkpoint}]}: the VIN's entries in runs, each
                                  with the (seq, digest) of every other entry from its first entry up to the first
                                  checkpoint sealing it, so each run re-hashes to a signed head (format 1 of the
                                  pack: one run, {prev_hash, links}, ending at audit/checkpoint.json)
    audit/checkpoint.json         the chain head sealed with the audit key when the pack was made
    audit/index.json              the seqs of all the VIN's entries up to that head, signed with the audit key
    audit/audit-key.pem           the audit public key (compare its key id with the operator's)
    audit/algorithm.json          how digests, hashes and the seal are computed
"""
import hashlib
import io
import json
import zipfile
from datetime import datetime

from services.audit.domain import chain, checkpoints, items
from services.audit.domain.trail import RECORD_FIELDS, Trail, names

FORMAT = "ecoc-evidence/2"
FORMATS = ("ecoc-evidence/1", FORMAT)  # packs of format 1 carry their proof as one run


def pack_entry(entry, subject):
    """An audit entry as the pack of `subject` carries it, with timestamps in their canonical form (so the
    digest recomputed from the JSON is the stored one): format 1 with its content fields and whole payload;
    format 2 with the shared payload and only the subject's item (and the path proving it)."""
    if entry.get("format") == items.FORMAT:
        fields = dict({name: entry[name] for name in items.ENTRY_FIELDS}, format=items.FORMAT,
                      **items.proof_of(entry, subject))
    else:
        fields = dict(chain.content_of(entry), payload=entry["payload"])
    fields.update(seq=entry["seq"], prev_hash=entry["prev_hash"], hash=entry["hash"])
    return {k: chain.canonical_time(v) if isinstance(v, datetime) else v for k, v in fields.items()}


def _json(value, indent=2):
    """A file of the pack. `indent=None` for the proof, which holds thousands of (seq, digest) links: Python encodes
    indented JSON in Python, unindented in C (a proof of 10,000 links: about a third of the time)."""
    separators = (",", ": ") if indent else (",", ":")
    return (json.dumps(value, indent=indent, separators=separators, sort_keys=True, ensure_ascii=False,
                       default=str) + "\n").encode("utf-8")


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
    files["audit/proof.json"] = _json(audit["proof"], indent=None)
    files["audit/checkpoint.json"] = _json(audit["checkpoint"])
    files["audit/index.json"] = _json(audit["index"])
    files["audit/audit-key.pem"] = audit["public_key"].encode("ascii")
    files["audit/algorithm.json"] = _json({"chain": audit["algorithm"], "checkpoint": audit["checkpoint_algorithm"],
                                           "index": audit["index_algorithm"]})
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
    check("format", manifest.get("format") in FORMATS, str(manifest.get("format")))
    stored = set(pack.namelist()) - {"manifest.json"}
    listed = manifest.get("files", {})
    check("every file is listed in the manifest", stored == set(listed),
          ", ".join(sorted(stored ^ set(listed))) or f"{len(stored)} files")
    changed = [n for n in sorted(stored & set(listed)) if hashlib.sha256(pack.read(n)).hexdigest() != listed[n]]
    check("every file matches its sha256 in the manifest", not changed, ", ".join(changed))
    if not check.ok:
        return _report(check, vin, [])
    proves = []
    try:
        _verify_contents(check, pack, stored, vin, trusted_key_pem, proves)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:  # a file missing or misshapen
        check("the pack holds every file of an evidence pack, each in its shape", False,
              f"{type(exc).__name__}: {exc}")
    return _report(check, vin, proves)


def _verify_contents(check, pack, stored, vin, trusted_key_pem, proves):
    def load(name):
        return json.loads(pack.read(name))

    entries, proof, sealed = load("audit/entries.json"), load("audit/proof.json"), load("audit/checkpoint.json")
    pack_key = pack.read("audit/audit-key.pem").decode("ascii")
    key = trusted_key_pem or pack_key
    check("audit key", trusted_key_pem is None or checkpoints.key_id(pack_key) == checkpoints.key_id(key),
          f"key id {checkpoints.key_id(key)}" + ("" if trusted_key_pem else " (the pack's own key: compare it "
                                                 "with the operator's published audit key)"))
    if not entries:
        check("audit entries", False, f"the pack holds no audit entry for {vin}")
        return
    check("every audit entry names the VIN", all(names(e, vin) for e in entries))
    if not check("checkpoint seal", sealed is not None and checkpoints.signature_valid(key, sealed),
                 f"entry {sealed['seq']} sealed at {sealed['at']}" if sealed else "no checkpoint"):
        return
    index = load("audit/index.json")
    if not check("the index of the VIN's entries is sealed with the audit key at that head",
                 index is not None and index["subject"] == vin and index["seq"] == sealed["seq"]
                 and index["head_hash"] == sealed["head_hash"] and checkpoints.index_valid(key, index),
                 f"{len(index['seqs'])} entries up to entry {index['seq']}" if index else "no index"):
        return
    carried = sorted(e["seq"] for e in entries)
    hidden = sorted(set(index["seqs"]) - set(carried))
    check("the pack carries every entry of the index, and no other", carried == sorted(index["seqs"]),
          f"entries {', '.join(map(str, hidden))} of the VIN are missing or passed off as links" if hidden
          else f"entries {', '.join(map(str, carried))}")
    _check_segments(check, key, entries, _segments_of(proof, sealed), sealed)
    if not check.ok:
        return
    proves.append(f"the {len(entries)} audit entries of {vin} are all its entries in the audit chain as it stood "
                  f"when the audit key sealed entry {sealed['seq']} at {sealed['at']}: none was changed, removed, "
                  f"hidden or reordered since")

    trail = Trail(vin, entries)
    _check_certificates(check, pack, stored, vin, trail, load("certificates/versions.json"), proves)
    _check_reports(check, trail, load("validation/reports.json"), proves)
    _check_vehicle(check, trail, load("vehicle/revisions.json"), load("vehicle/record.json"), proves)


def _segments_of(proof, sealed):
    """The proof's runs; a pack of format 1 carries one run, ending at the pack's checkpoint."""
    if "segments" in proof:
        return proof["segments"]
    return [{"prev_hash": proof["prev_hash"], "links": proof["links"], "checkpoint": sealed}]


def _check_segments(check, key, entries, segments, sealed):
    """Each run of the VIN's entries, with the links between them, re-hashes to the head of a checkpoint signed
    with the audit key; the runs cover every entry once, in order, the last one ending at the pack's head."""
    remaining = sorted(entries, key=lambda e: e["seq"])
    rehashed, reached, spans = True, True, []
    ends = [s["checkpoint"]["seq"] for s in segments]
    if not check("each run of entries ends at a checkpoint sealed with the audit key, the last at the pack's head",
                 segments and ends == sorted(set(ends)) and segments[-1]["checkpoint"] == sealed
                 and all(checkpoints.signature_valid(key, s["checkpoint"]) for s in segments),
                 f"{len(segments)} run(s), sealed at entries {', '.join(map(str, ends))}"):
        return
    for segment in segments:
        ends_at = segment["checkpoint"]
        run = [e for e in remaining if e["seq"] <= ends_at["seq"]]
        remaining = remaining[len(run):]
        links = sorted(run + segment["links"], key=lambda item: item["seq"])
        if not run or not links:
            reached = False
            continue
        end, _, problem = chain.verify_span(segment["prev_hash"], links)
        rehashed = rehashed and problem is None
        reached = reached and problem is None and links[0] is run[0] and links[-1]["seq"] == ends_at["seq"] \
            and end == ends_at["head_hash"]
        spans.append(f"entry {links[0]['seq']} to {links[-1]['seq']} ({len(links)} links)")
    check("audit entries re-hash to their recorded hashes", rehashed, f"{len(entries)} entries")
    check("the chain through them reaches the sealed head", reached and not remaining,
          "; ".join(spans) + (f"; entries {', '.join(str(e['seq']) for e in remaining)} after the head"
                              if remaining else ""))


def _check_certificates(check, pack, stored, vin, trail, versions, proves):
    for summary in versions:
        name = f"certificates/{vin}-v{summary['version_number']}.xml"
        digest = hashlib.sha256(pack.read(name)).hexdigest() if name in stored else None
        recorded = trail.certificates.get(summary.get("reference_id"), {})
        stated = {"version_number": summary["version_number"], "sha256": digest, "status": summary.get("status")}
        differs = [f"{k} {stated[k]} (audit: {recorded.get(k)})" for k in stated if stated[k] != recorded.get(k)]
        check(f"certificate version {summary['version_number']}", digest == summary["sha256"] and not differs,
              f"sha256 {digest}, {summary.get('status')}: " + (
                  f"as recorded by audit entry {recorded['seq']}" if not differs and digest == summary["sha256"]
                  else "NOT as recorded: " + ", ".join(differs or ["the file is not the summary's sha256"])))
    missing = sorted(set(trail.certificates) - {s.get("reference_id") for s in versions}, key=str)
    check("every certificate the audit trail records is in the pack", not missing,
          ", ".join(f"{ref} (audit entry {trail.certificates[ref].get('seq')})" for ref in missing)
          or f"{len(trail.certificates)} certificate(s)")
    if versions and check.ok:
        proves.append(f"the {len(versions)} certificate file(s) are byte for byte the documents whose sha256 "
                      f"the signing service recorded when it sealed them, with the status the audit trail gives them")


def _check_reports(check, trail, reports, proves):
    for report in reports:
        key = (report["revision"], report["status"])
        check(f"validation report of revision {report['revision']} ({report['status']}, "
              f"rule packs {', '.join(f'{k} {v}' for k, v in sorted(report['rule_pack'].items()))})",
              key in trail.judged, f"audit entry {trail.judged[key]}" if key in trail.judged
              else "no validation_completed entry")
    missing = sorted(set(trail.judged) - {(r["revision"], r["status"]) for r in reports}, key=str)
    check("every validation outcome the audit trail announces has its report in the pack", not missing,
          ", ".join(f"revision {n} {status} (audit entry {trail.judged[(n, status)]})" for n, status in missing)
          or f"{len(trail.judged)} outcome(s)")
    if reports and check.ok:
        proves.append("each validation report (revision, outcome, rule-pack versions) matches what the "
                      "validation service announced in the audit trail")


def _check_vehicle(check, trail, revisions, record, proves):
    for revision in revisions:
        number = revision["revision"]
        check(f"data revision {number} by {revision.get('actor')}", number in trail.revisions,
              f"audit entry {trail.revisions[number]}" if number in trail.revisions
              else "no vehicle_changed or vehicle_withdrawn entry")
    missing = sorted(set(trail.revisions) - {r["revision"] for r in revisions}, key=str)
    check("every data revision the audit trail announces is in the pack", not missing,
          ", ".join(f"revision {n} (audit entry {trail.revisions[n]})" for n in missing)
          or f"{len(trail.revisions)} revision(s)")
    _check_record(check, trail, record)
    if revisions and check.ok:
        proves.append("each data revision was announced by the vehicles service in the audit trail, and the "
                      "vehicle record is the one it announced last, with the last status it announced")


def _check_record(check, trail, record):
    status, status_seq = trail.status or ("draft", None)
    latest = max(trail.revisions, default=None, key=lambda n: (n is not None, n))
    announced, announced_seq = trail.record or ({}, None)
    differs = [f"{name} {record.get(name)!r} (audit: {announced[name]!r})" for name in RECORD_FIELDS
               if name in announced and record.get(name) != announced[name]]
    if record.get("status") != status:
        differs.append(f"status {record.get('status')} (audit entry {status_seq}: {status})")
    if record.get("revision") != latest:
        differs.append(f"revision {record.get('revision')} (audit: {latest})")
    if trail.record is None:
        differs.append("no vehicle_changed entry announces the record")
    check(f"vehicle record (revision {record.get('revision')}, {record.get('status')})", not differs,
          "; ".join(differs) or f"as announced by audit entry {announced_seq}")


def _report(check, vin, proves):
    return {"ok": check.ok, "vin": vin,
            "checks": [{"check": what, "ok": ok, "detail": detail} for what, ok, detail in check.results],
            "proves": proves if check.ok else []}
