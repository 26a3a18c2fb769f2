"""The rule engine, the catalogue, and the nine official specimens judged by every rule pack.

Each specimen is an accepted eCoC, so the catalogue must find no error in any of them: read with the IVI
reader, split into type level and vehicle level, judged as a vehicle of an approval in force (production
date: DateManufactureVehicle, or the signature date where the dataset has none; intended country: the
header's). The warnings they get are listed here on purpose, with the reason.
"""
import copy
from pathlib import Path

import pytest

from common.composition import compose_coc
from common.ivi.catalogue import missing_mandatory
from services.validation.domain.applicability import Applicability
from services.validation.domain.batch import entity_codes, judge, judge_batch, resolution_plan
from services.validation.domain.context import VehicleContext
from services.validation.domain.data import compose, schema_path, values_at
from services.validation.domain.document import case_from_document
from services.validation.domain.engine import Rule, RulePack, check_order, run_rules
from services.validation.domain.findings import ERROR, WARNING, Problem
from services.validation.domain.pack import PACKS, catalogue, pack_versions

IVI_DIR = Path(__file__).resolve().parents[3] / "shared" / "ivi"
XSD = IVI_DIR / "IVI2.0.xsd"
SAMPLES = sorted((IVI_DIR / "samples").glob("*.xml"))

pytestmark = pytest.mark.skipif(
    not (XSD.is_file() and len(SAMPLES) == 9),
    reason=f"the official IVI 2.0 schema and the nine samples are not at {IVI_DIR}",
)

# what each specimen is warned about, and why (none of it blocks)
SPECIMEN_WARNINGS = {
    # produced before IVI 2.0 could be sent (1 Sep 2025): the specimens carry 2023-2025 dates
    **{p.name: {"IVI-002"} for p in SAMPLES},
    # the L datasets have no intended country in their header
    "L1e.xml": {"IVI-002", "REG-004"},
    "L5e.xml": {"IVI-002", "REG-004"},
    # wheelbase 2,690 mm beside an axle-1 spacing of 2,640 mm
    "M1-05-Rav4Hybrid.xml": {"IVI-002", "CON-004"},
}


@pytest.fixture(scope="module")
def checker():
    from services.validation.domain.draft import DraftChecker

    return DraftChecker.from_path(XSD)


@pytest.fixture(scope="module")
def documents(checker):
    from common.ivi.reader import read_ivi

    return {p.name: read_ivi(p.read_bytes(), checker.schema) for p in SAMPLES}


def lexus(documents):
    return case_from_document(copy.deepcopy(documents["M1-01-LexusRZ450e.xml"]))


# -- the nine official specimens ------------------------------------------------------------------------

@pytest.mark.parametrize("name", [p.name for p in SAMPLES])
def test_every_official_specimen_passes_the_catalogue(documents, checker, name):
    vehicle, resolution, wmis, header = case_from_document(documents[name])
    report = judge(vehicle, resolution, checker, wmis=wmis, header=header)
    errors = [f for f in report["findings"] if f["severity"] == ERROR]
    assert errors == [], errors
    assert report["status"] == "valid"
    assert {f["rule"] for f in report["findings"]} == SPECIMEN_WARNINGS[name], report["findings"]


def test_specimens_judged_in_one_batch_agree_with_one_by_one(documents, checker):
    cases = [case_from_document(documents[p.name]) for p in SAMPLES]
    batch = judge_batch([c[0] for c in cases], [c[1] for c in cases], checker,
                        wmis_by_entity={"SPECIMEN": sorted({w for c in cases for w in c[2]})})
    one_by_one = [judge(v, r, checker, wmis=sorted({w for c in cases for w in c[2]})) for v, r, _, _ in cases]
    assert batch == one_by_one


@pytest.mark.parametrize("name", [p.name for p in SAMPLES])
def test_the_rules_see_the_certificate_signing_would_build(documents, name):
    vehicle, resolution, _, _ = case_from_document(documents[name])
    ctx = VehicleContext(vehicle, resolution)
    assert ctx.coc == compose_coc(resolution["coc"], vehicle)
    expected_missing = [p for p in missing_mandatory(ctx.coc) if not p.startswith("SigningAuthorityTable")]
    assert ctx.missing_mandatory == expected_missing == []


def test_a_later_stage_is_composed_as_signing_composes_it(documents):
    vehicle, resolution, _, _ = lexus(documents)
    resolution["coc"]["StageOfCompletion"] = "V"
    base = copy.deepcopy(documents["N2-01-ProaceMaxEV.xml"]["coc"])
    base.update(VehicleIdentificationNumber=vehicle["vin"], StageOfCompletion="I")
    vehicle["previous_stages"] = [{"stage": 1, "approval_number": base["TypeApprovalNumber"], "type": base["Type"],
                                   "variant": base["Variant"], "version": base["Version"], "coc": base}]
    ctx = VehicleContext(vehicle, resolution)
    assert ctx.coc == compose_coc(resolution["coc"], vehicle)
    assert [s for s, _ in ctx.manufacturer_stages] == [1, 2] and ctx.current_stage == 2
    assert ctx.coc["ManufacturerTable"][1]["PreviousStageTypeApprovalNumber"] == base["TypeApprovalNumber"]


def test_missing_mandatory_agrees_with_the_catalogue(documents):
    vehicle, resolution, _, _ = lexus(documents)
    del resolution["coc"]["MakeTable"]
    resolution["coc"]["ManufacturerTable"][0].pop("ManufacturerName")
    vehicle["coc"].pop("SigningAuthorityTable")
    ctx = VehicleContext(vehicle, resolution)
    assert ctx.missing_mandatory == [p for p in missing_mandatory(ctx.coc) if not p.startswith("SigningAuthority")]
    assert ctx.missing_mandatory == ["MakeTable.MakeGroup.Make", "ManufacturerTable.ManufacturerGroup.ManufacturerName"]


def test_composing_shares_the_approval_data_and_never_changes_it(documents):
    vehicle, resolution, _, _ = lexus(documents)
    before = copy.deepcopy(resolution["coc"])
    coc = compose(resolution["coc"], vehicle)
    assert coc["MassGroup"]["ActualMass"] == 2184 and "ActualMass" not in resolution["coc"]["MassGroup"]
    assert coc["DimensionGroup"] is resolution["coc"]["DimensionGroup"]  # untouched groups are shared
    assert resolution["coc"] == before


# -- the schema check of a batch --------------------------------------------------------------------------

def _demo_batch(count):
    from cli import demo_data

    vehicles = [dict(v, revision=1) for v in demo_data.vehicles(count, seed=11)]
    plan = resolution_plan(vehicles)
    resolved = [demo_data.resolution(dict(i, vin="X")) for i in plan.items]
    return vehicles, plan.per_vehicle(resolved)


def test_a_batch_runs_the_schema_once_per_shape_and_finds_what_each_vehicle_has(checker):
    vehicles, resolutions = _demo_batch(40)
    vehicles[7]["coc"]["MassGroup"]["ActualMass"] = 1_234_567  # Integer6: seven digits are too many
    vehicles[9]["coc"]["ColourTable"] = [{"Colour": "11"}]  # not a colour code
    vehicles[12]["intended_country"] = "XX"  # not a Vienna code
    session = checker.session()
    found = {}
    for vehicle, resolution in zip(vehicles, resolutions):
        report = judge(vehicle, resolution, session, wmis=["NWA"])
        found[vehicle["vin"]] = [(f["rule"], f["path"]) for f in report["findings"] if f["rule"] == "XSD-001"]
    assert found[vehicles[7]["vin"]] == [("XSD-001", "MassGroup.ActualMass")]
    assert found[vehicles[9]["vin"]] == [("XSD-001", "ColourTable[0].Colour")]
    assert found[vehicles[12]["vin"]] == [("XSD-001", "Header.IntendedCountryRegistration")]
    assert sum(1 for v in found.values() if v) == 3
    # one schema run per (approval revision and version, shape): the production days differ but give the same
    # approval data; plus one run for each vehicle whose values Python cannot prove valid
    assert len({v["production_date"] for v in vehicles}) > 1
    assert session.schema_runs == 1 + 3
    assert session.proven == 40 - session.schema_runs
    one_by_one = [judge(v, r, checker, wmis=["NWA"]) for v, r in zip(vehicles, resolutions)]
    assert [r["findings"] for r in one_by_one] == [
        judge(v, r, checker.session(), wmis=["NWA"])["findings"] for v, r in zip(vehicles, resolutions)]


def test_a_vehicle_removing_an_approved_value_is_not_taken_for_the_same_shape(checker):
    vehicles, resolutions = _demo_batch(2)
    resolutions[1] = resolutions[0]
    vehicles[1]["production_date"] = vehicles[0]["production_date"]
    vehicles[1]["coc"]["MassGroup"]["MassInRunningOrder"] = None  # removes the approved (ranged) value
    session = checker.session()
    judge(vehicles[0], resolutions[0], session, wmis=["NWA"])
    report = judge(vehicles[1], resolutions[1], session, wmis=["NWA"])
    assert session.schema_runs == 2
    assert ("RNG-001", "MassGroup.MassInRunningOrder") in [(f["rule"], f["path"]) for f in report["findings"]]


# -- the engine ---------------------------------------------------------------------------------------------

def test_status_is_blocked_by_errors_only(documents, checker):
    vehicle, resolution, wmis, header = lexus(documents)
    vehicle["production_date"] = "2026-08-03"
    vehicle["coc"]["SigningAuthorityTable"][0]["SignatureDate"] = "2026-08-04"
    assert judge(vehicle, resolution, checker, wmis=wmis, header=header)["status"] == "valid"
    vehicle["vin"] = "JTJM1COMPTEST0001"
    assert judge(vehicle, resolution, checker, wmis=wmis, header=header)["status"] == "blocked"


def test_a_report_records_what_judged_what(documents, checker):
    vehicle, resolution, wmis, header = lexus(documents)
    resolution["revision"] = 4
    report = judge(vehicle, resolution, checker, wmis=wmis, header=header)
    assert report["rule_pack"] == pack_versions() == {p.name: p.version for p in PACKS}
    assert set(report["rule_pack"]) == {"core", "family-mn", "family-o", "family-l", "region-eu"}
    assert (report["revision"], report["approval_revision"], report["approval_number"]) == (1, 4, NUMBER_LEXUS)


NUMBER_LEXUS = "e6*2018/858*00264*01"


def test_a_new_rule_is_one_function_and_one_registration(documents):
    vehicle, resolution, wmis, _ = lexus(documents)

    def colour_given(ctx):
        if not ctx.coc.get("ColourTable"):
            yield Problem("a colour", "none", where="ColourTable")

    extra = RulePack("extra", "1", (
        Rule("COL-001", WARNING, "ColourTable", "A colour is given.", colour_given, requires=("APR-002",),
             message="{where}: no colour (expected {expected})."),))
    vehicle["coc"].pop("ColourTable")
    found = [f for f in run_rules(VehicleContext(vehicle, resolution, None, wmis), check_order(PACKS + (extra,)))
             if f.rule == "COL-001"]
    assert [(f.rule, f.severity, f.message) for f in found] == [
        ("COL-001", WARNING, "ColourTable: no colour (expected a colour).")]


def test_a_rule_only_runs_where_it_applies(documents):
    vehicle, resolution, wmis, _ = lexus(documents)
    seen = []
    pack = RulePack("scoped", "1", (
        Rule("ONE-001", WARNING, "x", "N only.", lambda ctx: seen.append("N") or (),
             applies=Applicability(categories=("N",))),
        Rule("ONE-002", WARNING, "x", "M1 in NL, produced 2024.", lambda ctx: seen.append("M1") or (),
             requires=("APR-002",), applies=Applicability(categories=("M1",), countries=("NL",),
                                                          produced_from=_day("2024-01-01"),
                                                          produced_until=_day("2024-12-31"))),
        Rule("ONE-003", WARNING, "x", "Stage V only.", lambda ctx: seen.append("V") or (),
             applies=Applicability(stages=("V",))),
    ))
    run_rules(VehicleContext(vehicle, resolution, None, wmis), check_order(PACKS[:1] + (pack,)))
    assert seen == ["M1"]
    vehicle["production_date"] = "2025-01-02"
    seen.clear()
    run_rules(VehicleContext(vehicle, resolution, None, wmis), check_order(PACKS[:1] + (pack,)))
    assert seen == []


def _day(text):
    import datetime as dt

    return dt.date.fromisoformat(text)


def test_a_failing_rule_blocks_instead_of_passing(documents):
    vehicle, resolution, _, _ = lexus(documents)

    def broken(ctx):
        raise KeyError("boom")

    pack = RulePack("broken", "1", (Rule("BRK-001", WARNING, "Type", "Broken.", broken),))
    [finding] = run_rules(VehicleContext(vehicle, resolution), [pack])
    assert (finding.rule, finding.severity) == ("BRK-001", ERROR)
    assert "could not be evaluated" in finding.message


def test_the_order_of_the_packs_is_checked():
    rule = Rule("A-001", ERROR, "Type", "A.", lambda ctx: (), requires=("B-001",))
    with pytest.raises(ValueError, match="must come before"):
        check_order((RulePack("bad", "1", (rule,)),))
    with pytest.raises(ValueError, match="more than one pack"):
        check_order((RulePack("a", "1", (Rule("B-001", ERROR, "x", "B.", lambda ctx: ()),)),
                     RulePack("b", "1", (Rule("B-001", ERROR, "x", "B.", lambda ctx: ()),))))
    with pytest.raises(ValueError, match="severity"):
        Rule("C-001", "fatal", "x", "C.", lambda ctx: ())


def test_a_message_template_names_a_missing_fact_instead_of_failing():
    rule = Rule("T-001", ERROR, "x", "T.", lambda ctx: (), message="{what} is {found} (expected {expected}).")
    finding = rule.finding(Problem("a", "b"))
    assert finding.message == "? is b (expected a)."


# -- the catalogue --------------------------------------------------------------------------------------

def test_the_catalogue_lists_at_least_forty_rules_each_fully_described():
    entries = catalogue()
    ids = [e["id"] for e in entries]
    assert len(ids) >= 40 and len(ids) == len(set(ids))
    assert ids[:2] == ["VIN-001", "VIN-002"]
    for entry in entries:
        assert entry["severity"] in (ERROR, WARNING)
        assert entry["description"] and entry["path"] and entry["message"]
        assert entry["version"] == pack_versions()[entry["pack"]]
        assert set(entry["applicability"]) == {"categories", "stages", "intended_countries", "produced_from",
                                               "produced_until"}


def test_the_catalogue_filters_by_pack_and_by_category():
    l_rules = {e["id"] for e in catalogue(category="L1e-B")}
    m1_rules = {e["id"] for e in catalogue(category="M1")}
    assert "CAT-003" in l_rules and "CAT-003" not in m1_rules
    assert "PWR-001" in m1_rules and "PWR-001" not in l_rules
    assert "TOW-007" in m1_rules and "TOW-007" not in {e["id"] for e in catalogue(category="N2")}
    assert {"VIN-001", "XSD-001"} <= l_rules & m1_rules
    assert {e["pack"] for e in catalogue(pack="region-eu")} == {"region-eu"}
    [rule] = [e for e in catalogue(pack="family-mn") if e["id"] == "PWR-006"]
    assert rule["applicability"]["categories"] == ["M1", "N1"]
    [rule] = [e for e in catalogue(pack="family-mn") if e["id"] == "PWR-001"]
    assert rule["applicability"]["categories"] == ["M", "N"]


def test_the_applicability_of_a_rule_is_narrowed_by_its_pack():
    outer = Applicability(categories=("M", "N"))
    assert Applicability().within(outer).categories == ("M", "N")
    assert Applicability(categories=("M1", "O")).within(outer).categories == ("M1",)
    assert Applicability(categories=("M1",)).covers_category("M1G")
    assert Applicability(categories=("L1e-A",)).covers_category("L1e")


# -- the batch plan ----------------------------------------------------------------------------------------

def test_the_plan_asks_once_per_distinct_reference(documents):
    vehicle = lexus(documents)[0]
    other = dict(vehicle, vin="JTJM1C0MPTEST0002")
    late = dict(vehicle, vin="JTJM1C0MPTEST0003", production_date="2024-05-01")
    plan = resolution_plan([vehicle, other, late])
    assert len(plan.items) == 2
    assert plan.per_vehicle(["r1", "r2"]) == ["r1", "r1", "r2"]
    with pytest.raises(ValueError):
        plan.per_vehicle(["r1"])


def test_an_incomplete_reference_is_judged_without_asking_approvals(documents, checker):
    vehicle = lexus(documents)[0]
    vehicle["production_date"] = "08.04.2024"
    plan = resolution_plan([vehicle])
    assert plan.items == []
    [resolution] = plan.per_vehicle([])
    report = judge(vehicle, resolution, checker, wmis=["JTJ"])
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [("APR-002", "TypeApprovalNumber")]
    assert "08.04.2024" in report["findings"][0]["message"]


def test_entities_are_asked_once_per_batch():
    assert entity_codes([{"entity": "B"}, {"entity": "A"}, {"entity": "B"}, {"entity": None}, {}]) == ["A", "B"]


def test_paths_read_tables_in_both_forms(documents):
    coc = documents["N2-01-ProaceMaxEV.xml"]["coc"]
    assert schema_path("AxleTable[1].TechnicallyPermissibleMassAxle") == \
        "AxleTable.AxleGroup.TechnicallyPermissibleMassAxle"
    assert [w for w, _ in values_at(coc, "AxleTable.TechnicallyPermissibleMassAxle")] == [
        "AxleTable[0].TechnicallyPermissibleMassAxle", "AxleTable[1].TechnicallyPermissibleMassAxle"]
    assert [v for _, v in values_at(coc, "AxleTable.AxleGroup.TechnicallyPermissibleMassAxle")] == [2100, 2400]
