"""The parity report of one scope, and the cut-over gate it decides.

`parity_report(scope, rows, settings_of_gate, now)` takes the parity results of the vehicles in the scope (each
`{vin, match, differences, computed_at, findings}`) and gives: volume and parity rate over the window, the fields
that differ ranked by how many vehicles they differ in (paths without row indexes, with examples naming the exact
path and both values), the legacy findings (ecoc's rules on the legacy documents: defects the old system let
through), what the comparison leaves out, and the gate:

- parity at or above `threshold` percent,
- over at least `min_volume` vehicles compared within the last `window_days` days,
- no mismatch in a mandatory field that is not explained (`scope["explanations"]`).

`digest` is the SHA-256 of the report's canonical JSON without `generated_at` and `digest`: the cut-over decision
records it in the audit, so the report a decision was taken on can be shown to be the one recomputed later.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

from common.canonical import content_sha256

from .parity import EXCLUDED

EXAMPLES = 3
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class Gate:
    threshold: float  # percent
    min_volume: int
    window_days: int


def field_of(path):
    """A difference's path without row indexes: what the ranking counts (`AxleTable.TyreAxleTable.TyreSize`)."""
    return _INDEX.sub("", path)


def parity_report(scope, rows, gate: Gate, now):
    since = now - timedelta(days=gate.window_days)
    recent = [r for r in rows if r["computed_at"] >= since]
    matched = sum(1 for r in recent if r["match"])
    volume = len(recent)
    rate = round(100.0 * matched / volume, 3) if volume else None
    explanations = scope.get("explanations") or {}
    fields = {}
    for row in sorted(recent, key=lambda r: r["vin"]):
        for diff in row["differences"]:
            name = field_of(diff["path"])
            entry = fields.setdefault(name, {"field": name, "vehicles": set(), "mandatory": False, "examples": []})
            entry["vehicles"].add(row["vin"])
            entry["mandatory"] = entry["mandatory"] or bool(diff.get("mandatory"))
            if len(entry["examples"]) < EXAMPLES:
                entry["examples"].append({"vin": row["vin"], "path": diff["path"], "legacy": diff["legacy"],
                                          "ecoc": diff["ecoc"]})
    ranked = sorted(({**f, "vehicles": len(f["vehicles"]), "explained": explanations.get(f["field"])}
                     for f in fields.values()), key=lambda f: (-f["vehicles"], f["field"]))
    findings = {}
    for row in sorted(recent, key=lambda r: r["vin"]):
        for finding in row.get("findings") or ():
            key = (finding["rule"], finding["severity"])
            entry = findings.setdefault(key, {"rule": finding["rule"], "severity": finding["severity"],
                                              "message": finding.get("message"), "vehicles": 0, "examples": []})
            entry["vehicles"] += 1
            if len(entry["examples"]) < EXAMPLES:
                entry["examples"].append(row["vin"])
    sealed = [r for r in recent if r.get("shadow_seal")]
    failed = [{"vin": r["vin"], "problem": r["shadow_seal"]["problem"]} for r in sealed if not r["shadow_seal"]["ok"]]
    unexplained = [f["field"] for f in ranked if f["mandatory"] and not f["explained"]]
    reasons = []
    if volume < gate.min_volume:
        reasons.append(f"{volume} vehicles compared in the last {gate.window_days} days; at least "
                       f"{gate.min_volume} are needed")
    if rate is None or rate < gate.threshold:
        reasons.append(f"parity {'n/a' if rate is None else f'{rate:g} %'} is below {gate.threshold:g} %")
    if unexplained:
        reasons.append("unexplained mismatches in mandatory fields: " + ", ".join(unexplained))
    report = {
        "scope_id": scope["id"], "entity": scope["entity"], "name": scope["name"], "mode": scope["mode"],
        "window_days": gate.window_days, "volume": volume, "matched": matched, "parity_rate": rate,
        "volume_7_days": sum(1 for r in rows if r["computed_at"] >= now - timedelta(days=7)),
        "volume_30_days": sum(1 for r in rows if r["computed_at"] >= now - timedelta(days=30)),
        "differing_fields": ranked,
        "legacy_findings": sorted(findings.values(), key=lambda f: (-f["vehicles"], f["rule"])),
        "excluded": [{"field": k, "why": v} for k, v in EXCLUDED.items()],
        # shadow mode: vehicles ecoc sealed with its test seal (nothing handed out), and where that failed
        "test_sealed": {"sealed": len(sealed) - len(failed), "failed": len(failed), "examples": failed[:EXAMPLES]},
        "gate": {"threshold": gate.threshold, "min_volume": gate.min_volume, "window_days": gate.window_days,
                 "holds": not reasons, "reasons": reasons},
    }
    report["digest"] = content_sha256(report)
    report["generated_at"] = now.isoformat()
    return report


CSV_COLUMNS = ("vin", "match", "path", "mandatory", "legacy", "ecoc", "computed_at")


def csv_rows(rows):
    """One CSV row per difference (one per matching vehicle), for the export of a scope's parity."""
    for row in sorted(rows, key=lambda r: r["vin"]):
        when = row["computed_at"].isoformat()
        if row["match"] or not row["differences"]:
            yield {"vin": row["vin"], "match": "yes", "path": "", "mandatory": "", "legacy": "", "ecoc": "",
                   "computed_at": when}
        for diff in row["differences"]:
            yield {"vin": row["vin"], "match": "no", "path": diff["path"], "mandatory": "yes" if diff.get("mandatory")
                   else "no", "legacy": _cell(diff["legacy"]), "ecoc": _cell(diff["ecoc"]), "computed_at": when}


def _cell(value):
    """A value as CSV text; one a spreadsheet would take for a formula is prefixed with an apostrophe."""
    if value is None:
        return ""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
