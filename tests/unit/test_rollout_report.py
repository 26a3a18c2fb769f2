"""A scope's parity report and its cut-over gate (`services.rollout.domain.report`)."""
from datetime import datetime, timedelta, timezone

from services.rollout.domain.report import Gate, csv_rows, parity_report

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
SCOPE = {"id": "s1", "entity": "ACME", "name": "plant", "mode": "shadow", "explanations": {}}
GATE = Gate(threshold=99.5, min_volume=3, window_days=30)


def row(vin, *diffs, days=1, findings=()):
    return {"vin": vin, "match": not diffs, "differences": list(diffs), "findings": list(findings),
            "computed_at": NOW - timedelta(days=days)}


def diff(path, legacy="a", ecoc="b", mandatory=False):
    return {"path": path, "legacy": legacy, "ecoc": ecoc, "mandatory": mandatory}


def test_the_gate_holds_at_full_parity_over_the_minimum_volume():
    report = parity_report(SCOPE, [row("V1"), row("V2"), row("V3"), row("V0", days=40)], GATE, NOW)
    assert (report["volume"], report["matched"], report["parity_rate"]) == (3, 3, 100.0)
    assert report["gate"]["holds"] and report["volume_30_days"] == 3 and report["volume_7_days"] == 3


def test_the_gate_names_every_reason_it_does_not_hold():
    rows = [row("V1"), row("V2", diff("TypeApprovalNumber", mandatory=True))]
    reasons = parity_report(SCOPE, rows, GATE, NOW)["gate"]["reasons"]
    assert reasons == ["2 vehicles compared in the last 30 days; at least 3 are needed",
                       "parity 50 % is below 99.5 %",
                       "unexplained mismatches in mandatory fields: TypeApprovalNumber"]


def test_an_explained_mandatory_mismatch_passes_and_fields_are_ranked_with_examples():
    rows = [row("V1", diff("AxleTable[0].TyreSize"), diff("Variant", mandatory=True)),
            row("V2", diff("AxleTable[1].TyreSize")), row("V3")]
    scope = dict(SCOPE, explanations={"Variant": {"reason": "the old system upper-cases"}})
    report = parity_report(scope, rows, Gate(50, 3, 30), NOW)
    assert [(f["field"], f["vehicles"]) for f in report["differing_fields"]] == [("AxleTable.TyreSize", 2),
                                                                                ("Variant", 1)]
    assert report["differing_fields"][0]["examples"][1] == {"vin": "V2", "path": "AxleTable[1].TyreSize",
                                                            "legacy": "a", "ecoc": "b"}
    assert report["gate"]["holds"] is False  # 33 % < 50 %, but not for the explained mandatory field
    assert all("mandatory" not in r for r in report["gate"]["reasons"])


def test_the_digest_is_of_the_content_not_of_the_moment():
    rows = [row("V1", findings=[{"rule": "R1", "severity": "error", "message": "m"}])]
    first = parity_report(SCOPE, rows, GATE, NOW)
    assert first["legacy_findings"] == [{"rule": "R1", "severity": "error", "message": "m", "vehicles": 1,
                                         "examples": ["V1"]}]
    later = parity_report(SCOPE, rows, GATE, NOW + timedelta(seconds=5))
    assert first["digest"] == later["digest"] and first["generated_at"] != later["generated_at"]


def test_csv_rows_defuse_formulas():
    [out] = list(csv_rows([row("V1", diff("Remark", legacy="=HYPERLINK(1)", ecoc=None))]))
    assert (out["legacy"], out["ecoc"], out["match"]) == ("'=HYPERLINK(1)", "", "no")
