"""One passing and one failing test vector for every rule of the catalogue.

Each vector starts from an official specimen (read, split into type and vehicle level, judged as a vehicle
of an approval in force, dated after IVI 2.0 opened), changes one thing, and must produce exactly one
finding: the rule's own, with its severity, naming what was expected and what was found. The passing
vector is the clean specimen or a variant that sits just inside the rule. A test at the end checks that
every rule of the catalogue has its pair.
"""
import copy
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.validation.domain.batch import judge
from services.validation.domain.document import case_from_document
from services.validation.domain.pack import catalogue

IVI_DIR = Path(__file__).resolve().parents[3] / "shared" / "ivi"
XSD = IVI_DIR / "IVI2.0.xsd"

pytestmark = pytest.mark.skipif(not XSD.is_file(), reason=f"the official IVI 2.0 schema is not at {IVI_DIR}")

SPECIMENS = {"lexus": "M1-01-LexusRZ450e.xml", "chr": "M1-02-CHR.xml", "mirai": "M1-03-Mirai.xml",
             "prius": "M1-04-PriusPHEV.xml", "n2": "N2-01-ProaceMaxEV.xml", "l1e": "L1e.xml"}
PRODUCED, SIGNED = "2026-08-03", "2026-08-04"
SEVERITY = {e["id"]: e["severity"] for e in catalogue()}


@dataclass
class Case:
    vehicle: dict
    resolution: dict
    wmis: tuple | None
    header: dict | None = None
    schema: bool = True

    @property
    def type_coc(self):
        return self.resolution["coc"]

    @property
    def own(self):
        return self.vehicle["coc"]

    def levels(self, key):
        """The approval's and the vehicle's copy of a table or group (a vehicle-level table is in both)."""
        return [coc[key] for coc in (self.type_coc, self.own) if key in coc]


@pytest.fixture(scope="module")
def checker():
    from services.validation.domain.draft import DraftChecker

    return DraftChecker.from_path(XSD)


@pytest.fixture(scope="module")
def documents(checker):
    from common.ivi.reader import read_ivi

    return {key: read_ivi((IVI_DIR / "samples" / name).read_bytes(), checker.schema)
            for key, name in SPECIMENS.items()}


def make_case(documents, base):
    if base == "trailer":
        return trailer(make_case(documents, "n2"))
    vehicle, resolution, wmis, _ = case_from_document(copy.deepcopy(documents[base]))
    vehicle["production_date"] = PRODUCED
    for signer in vehicle["coc"]["SigningAuthorityTable"]:
        signer["SignatureDate"] = SIGNED
    vehicle["intended_country"] = vehicle["intended_country"] or "NL"
    return Case(vehicle, resolution, wmis)


def trailer(case):
    """The N2 specimen turned into an O3 trailer: no powertrain, no heavy-duty or WLTP data."""
    for coc in (case.type_coc, case.own):
        for key in ("EnergyConvertorTable", "PureElectricVehicleIndicator", "VectoGroup", "GearGroup",
                    "WltpEmissionTestParametersGroup", "FinalDriveVehicleTable"):
            coc.pop(key, None)
    case.type_coc["VehicleCategory"] = case.resolution["category"] = "O3"
    return case


def findings(case, checker):
    report = judge(case.vehicle, case.resolution, checker if case.schema else None, wmis=case.wmis,
                   header=case.header)
    return report["findings"]


# -- mutations, one per failing (and where needed passing) vector ----------------------------------------

def axle(case, index, **values):
    for table in case.levels("AxleTable"):
        table[index].update(values)


def convertor(case, index, **values):
    for table in case.levels("EnergyConvertorTable"):
        table[index].update(values)


def drop_in_convertor(case, index, key):
    for table in case.levels("EnergyConvertorTable"):
        table[index].pop(key, None)


def source(case, c, s):
    return [table[c]["EnergySourceTable"][s] for table in case.levels("EnergyConvertorTable")]


def construction(case, **values):
    case.type_coc["GeneralConstructionGroup"].update(values)


def stages(case, *rows, completion="V"):
    case.type_coc["StageOfCompletion"] = completion
    first = case.type_coc["ManufacturerTable"][0]
    case.type_coc["ManufacturerTable"] = [dict(first, ManufacturerStageNumber=1)] + [
        dict(first, ManufacturerStageNumber=n, **previous) for n, previous in rows]


def later_stage(vin=None):
    """The specimen as stage 2 (completed) of a base vehicle whose eCoC is handed on with the record."""

    def change(case):
        base = {"VehicleIdentificationNumber": vin or case.vehicle["vin"], "StageOfCompletion": "I",
                "ManufacturerTable": [dict(case.type_coc["ManufacturerTable"][0], ManufacturerName="BASE BUILDER")]}
        case.type_coc["StageOfCompletion"] = "V"
        case.vehicle["previous_stages"] = [dict(PREVIOUS_STAGE, coc=base)]
    return change


PREVIOUS_STAGE = {"stage": 1, "approval_number": "e6*2018/858*00100*00", "type": "BASE", "variant": "B1",
                  "version": "B1-1"}
PREVIOUS = {"PreviousStageTypeApprovalNumber": "e6*2018/858*00100*00", "PreviousStageType": "BASE",
            "PreviousStageVariant": "B1", "PreviousStageVersion": "B1-1"}
SAME_AS_NOW = {"PreviousStageTypeApprovalNumber": "e6*2018/858*00264*01", "PreviousStageType": "EBM1(M)",
               "PreviousStageVariant": "XEBM15(W)", "PreviousStageVersion": "XEBM15L-AWDLSW(1B)"}


def set_(target, **values):
    return lambda case: target(case).update(values)


def pop(target, *keys):
    return lambda case: [target(case).pop(k) for k in keys]


def mass(case):
    return case.type_coc["MassGroup"]


def own_mass(case):
    return case.own["MassGroup"]


def tow(case, index):
    return case.type_coc["TowingBrakedTypeTrailTable"][index]


def tow_row(case, index, row=0):
    return tow(case, index)["BodyworkTypeTable"][row]


def dims(case):
    return case.type_coc["DimensionGroup"]


def vin(value, wmis=None):
    def change(case):
        case.vehicle["vin"] = value
        if wmis is not None:
            case.wmis = wmis
    return change


def attr(**values):
    def change(case):
        for key, value in values.items():
            setattr(case, key, value)
    return change


def vehicle(**values):
    return lambda case: case.vehicle.update(values)


def resolved(**values):
    return lambda case: case.resolution.update(values)


def coc(**values):
    return lambda case: case.type_coc.update(values)


def own(**values):
    return lambda case: case.own.update(values)


def both(*changes):
    def change(case):
        for c in changes:
            c(case)
    return change


def signature(day):
    def change(case):
        case.own["SigningAuthorityTable"][0]["SignatureDate"] = day
    return change


def no_power_mix(case):
    for group in source(case, 0, 0):
        group["PowerGroup"]["MaximumNetPowerElectric"] = 50


def no_ovc_range(case):
    for group in source(case, 1, 0):
        group.pop("TestWltpElectricRangeGroup", None)


def hybrid_class(value):
    return coc(ClassHybridVehicle=value)


OK = None  # the passing vector is the clean base case

# rule -> (base, failing change, passing change or OK)
VECTORS = {
    "VIN-001": ("lexus", vin("JTJM1C0MPTEST001"), OK),
    "VIN-002": ("lexus", vin("JTJM1COMPTEST0001"), vin("JTJM1C0MPTEST0002")),
    "VIN-003": ("lexus", vin("1HGCM82643A004352", ("1HG",)), vin("1HGCM82633A004352", ("1HG",))),
    "VIN-004": ("lexus", attr(wmis=("WVW",)), attr(wmis=("WVW", "JTJ"))),
    "VIN-005": ("lexus", attr(wmis=None), OK),
    "APR-001": ("lexus", vehicle(approval_number="e6*2018/858*264*01"), OK),
    "APR-002": ("lexus", attr(resolution={"ok": False, "reason": "approval_withdrawn",
                                          "message": "the approval was withdrawn on 2026-07-31"}), OK),
    "APR-003": ("lexus", vehicle(approval_number="e6*2018/858*00264*02"), OK),
    "APR-004": ("lexus", vehicle(approval_number="e6*2018/858*00264*00"), OK),
    "APR-006": ("lexus", attr(header={"DesignatedTypeApprovalCountry": "e4", "IntendedCountryRegistration": "NL"}),
                attr(header={"DesignatedTypeApprovalCountry": "e6", "IntendedCountryRegistration": "NL"})),
    "APR-007": ("lexus", both(coc(TypeApprovalType="ESS"),
                              own(ProductionYearSmallSeries=2026, ProductionSequentialNumberSmallSeries=12)), OK),
    "APR-008": ("lexus", both(coc(TypeApprovalType="NSS"), own(ProductionYearSmallSeries=2026)),
                both(coc(TypeApprovalType="NSS"),
                     own(ProductionYearSmallSeries=2026, ProductionSequentialNumberSmallSeries=12))),
    "APR-009": ("lexus", coc(ProvisionalTypeApprovalIndicator="Y"),
                coc(ProvisionalTypeApprovalIndicator="Y",
                    ProvisionalApprovalTerritoryTable=[{"ProvisionalApprovalTerritoryCountry": "NL"}])),
    "LVL-001": ("lexus", own(DimensionGroup={"Length": 5000}), own(DimensionGroup={"Length": 4910})),
    "IVI-001": ("lexus", pop(lambda c: c.type_coc, "MakeTable"), OK),
    "IVI-002": ("lexus", vehicle(production_date="2024-04-08"), vehicle(production_date="2025-09-01")),
    "DAT-001": ("lexus", coc(TypeApprovalIssueDate="2026-09-01"), coc(TypeApprovalIssueDate=PRODUCED)),
    "DAT-002": ("lexus", signature("2026-08-02"), signature(PRODUCED)),
    "DAT-003": ("lexus", vehicle(production_date=None), OK),
    "RNG-001": ("lexus", resolved(ranges={"MassGroup.MassInRunningOrder": {"min": 2100, "max": 2150}}),
                resolved(ranges={"MassGroup.MassInRunningOrder": {"min": 2100, "max": 2200}})),
    "RNG-002": ("lexus", set_(dims, LengthAdjustableMin=5000, LengthAdjustableMax=4800),
                set_(dims, LengthAdjustableMin=4800, LengthAdjustableMax=5000)),
    "CON-001": ("lexus", lambda c: construction(c, NumberOfAxles=3), OK),
    "CON-002": ("lexus", lambda c: construction(c, NumberOfPoweredAxles=1), OK),
    "CON-003": ("lexus", lambda c: construction(c, NumberOfDoors=5), OK),
    "CON-004": ("lexus", set_(dims, Wheelbase=2851), OK),
    "CON-005": ("lexus", set_(dims, Width=0), OK),
    "MAS-001": ("lexus", set_(own_mass, ActualMass=2100), set_(own_mass, ActualMass=2175)),
    "MAS-002": ("lexus", set_(own_mass, ActualMass=2700), set_(own_mass, ActualMass=2640)),
    "MAS-003": ("lexus", lambda c: axle(c, 0, TechnicallyPermissibleMassAxle=1100),
                lambda c: axle(c, 0, TechnicallyPermissibleMassAxle=1170)),
    "MAS-004": ("n2", lambda c: axle(c, 0, DistributionMassRunningOrderAxle=1700), OK),
    "MAS-005": ("chr", set_(own_mass, ActualMass=1620), set_(own_mass, ActualMass=1615)),
    "SET-001": ("lexus", coc(LocationVin23Wheel="R, x1233, y0, z741"), OK),
    "SET-002": ("lexus", pop(lambda c: c.type_coc, "PureElectricVehicleIndicator"), OK),
    "SET-003": ("lexus", lambda c: drop_in_convertor(c, 1, "EnergyConvertorCodeMarkedOnEnergyConvertor"), OK),
    "SET-004": ("lexus", pop(lambda c: c.type_coc, "VehicleCertified155Indicator"), OK),
    "TOW-001": ("lexus", pop(lambda c: tow(c, 0), "BrakedTypeTrail"), OK),
    "TOW-002": ("lexus", pop(lambda c: tow_row(c, 0), "BodyworkTypeTrailer"), OK),
    "TOW-003": ("lexus", lambda c: c.type_coc["TowingBrakedTypeTrailTable"].pop(3), OK),
    "TOW-004": ("lexus", set_(lambda c: tow_row(c, 3), TechnicallyPermissibleMaximumCombinationMass=2600),
                set_(lambda c: tow_row(c, 3), TechnicallyPermissibleMaximumCombinationMass=2640)),
    "TOW-005": ("lexus", set_(lambda c: tow_row(c, 3), TechnicallyPermissibleMaximumCombinationMass=3500), OK),
    "TOW-006": ("lexus", set_(lambda c: tow(c, 2), BrakedTypeTrail="INB"), OK),
    "TOW-007": ("lexus", coc(MechanicalCouplingTable=[{"MechanicalCouplingNumber": 1}]),
                both(coc(MechanicalCouplingTable=[{"MechanicalCouplingNumber": 1}], VehicleCategory="N1"),
                     resolved(category="N1"), pop(lambda c: c.type_coc, "EcoInnovationsFittedIndicator"),
                     coc(EcoInnovationsFittedIndicator="N"))),
    "TOW-008": ("lexus", set_(lambda c: mass(c)["MaximumStaticVerticalMassCouplingPointTable"][0],
                              MechanicalCouplingNumberVerticalMass=1), OK),
    "TOW-009": ("n2", set_(lambda c: tow(c, 0), MechanicalCouplingNumberTowingMasses=2),
                both(set_(lambda c: tow(c, 0), MechanicalCouplingNumberTowingMasses=2),
                     set_(lambda c: tow(c, 1), MechanicalCouplingNumberTowingMasses=2),
                     coc(MechanicalCouplingTable=[{"MechanicalCouplingNumber": 2}]))),
    "TOW-010": ("n2", coc(MechanicalCouplingCanBeFittedTable=[{"MechanicalCouplingCanBeFittedType": "K"}]),
                coc(MechanicalCouplingCanBeFittedTable=[{"MechanicalCouplingCanBeFittedType": "K"}],
                    StageOfCompletion="I")),
    "MST-001": ("lexus", coc(StageOfCompletion="V"), OK),
    "MST-002": ("lexus", lambda c: stages(c, (3, PREVIOUS)), lambda c: stages(c, (2, PREVIOUS))),
    "MST-003": ("lexus", lambda c: stages(c, (2, {k: v for k, v in PREVIOUS.items() if k != "PreviousStageVersion"})),
                lambda c: stages(c, (2, PREVIOUS))),
    "MST-004": ("lexus", lambda c: stages(c, (2, SAME_AS_NOW)), lambda c: stages(c, (2, PREVIOUS))),
    "MST-005": ("lexus", later_stage(vin="JTJM1C0MPTEST0009"), later_stage()),
    "XSD-000": ("lexus", attr(schema=False), OK),
    "XSD-001": ("lexus", coc(Type="EBM1(M)-TOO-LONG-"), coc(Type="EBM1(M)-MAX-15C")),
    "CAT-001": ("lexus", lambda c: construction(c, NumberOfSeatingPositionsIncludingDriver=10),
                lambda c: construction(c, NumberOfSeatingPositionsIncludingDriver=9)),
    "CAT-002": ("n2", set_(mass, TechnicallyPermissibleMaximumLadenMass=3500),
                set_(mass, TechnicallyPermissibleMaximumLadenMass=3501)),
    "CAT-003": ("l1e", coc(MaximumSpeed=50), coc(MaximumSpeed=45)),
    "CAT-004": ("trailer", set_(mass, TechnicallyPermissibleMaximumLadenMass=3000), OK),
    "PWR-001": ("lexus", coc(PureElectricVehicleIndicator="N"), OK),
    "PWR-002": ("chr", hybrid_class("NOVC-FCHV"), hybrid_class("NOVC-HEV")),
    "PWR-003": ("chr", pop(lambda c: c.type_coc, "ClassHybridVehicle"), OK),
    "PWR-004": ("prius", no_power_mix, OK),
    "PWR-005": ("lexus", lambda c: convertor(c, 0, WorkingPrinciple="INTPI"), OK),
    "PWR-006": ("prius", no_ovc_range, OK),
    "PWR-007": ("lexus", coc(ConsolidatedMaximumNetPowerElectric=240), coc(ConsolidatedMaximumNetPowerElectric=230)),
    "ECO-001": ("chr", pop(lambda c: c.type_coc, "WltpTotalCo2EmissionSavedDueEcoInnovation"), OK),
    "ECO-002": ("lexus", coc(WltpTotalCo2EmissionSavedDueEcoInnovation=1.2), OK),
    "REG-001": ("lexus", vehicle(intended_country="IRL"), vehicle(intended_country="D")),
    "REG-002": ("lexus", coc(MetricImperialSpeedometer="I"), coc(MetricImperialSpeedometer="B")),
    "REG-003": ("lexus", vehicle(intended_country="USA"), vehicle(intended_country="CH")),
    "REG-004": ("l1e", vehicle(intended_country=None), OK),
}


@pytest.mark.parametrize("base", ["lexus", "chr", "mirai", "prius", "n2", "l1e", "trailer"])
def test_every_base_case_is_clean(documents, checker, base):
    assert findings(make_case(documents, base), checker) == []


@pytest.mark.parametrize("rule", sorted(VECTORS))
def test_the_failing_vector_produces_exactly_its_finding(documents, checker, rule):
    base, fail, _ = VECTORS[rule]
    case = make_case(documents, base)
    fail(case)
    found = findings(case, checker)
    assert [(f["rule"], f["severity"]) for f in found] == [(rule, SEVERITY[rule])], found
    [finding] = found
    assert finding["expected"] and finding["found"], finding
    assert finding["message"] and "?" not in finding["message"].replace("?)", ""), finding["message"]


@pytest.mark.parametrize("rule", sorted(VECTORS))
def test_the_passing_vector_produces_no_finding(documents, checker, rule):
    base, _, passing = VECTORS[rule]
    case = make_case(documents, base)
    if passing is not None:
        passing(case)
    assert findings(case, checker) == []


# further failing vectors, for rules that fail in more than one way: (rule, base, change)
MORE_FAILING = [
    ("VIN-005", "lexus", attr(wmis=())),
    ("APR-008", "lexus", own(ProductionYearSmallSeries=2026)),
    ("APR-009", "lexus", coc(ProvisionalTypeApprovalIndicator="Y",
                             ProvisionalApprovalTerritoryTable=[{"ProvisionalApprovalTerritoryCountry": "B"}])),
    ("RNG-001", "lexus", resolved(ranges={"MassGroup.MassInRunningOrderIncomplete": {"min": 1, "max": 2}})),
    ("RNG-001", "lexus", resolved(ranges={"AxleTable.AxleGroup.AxleTrack": {"min": 1600, "max": 1620}})),
    ("RNG-002", "lexus", set_(dims, LengthAdjustableMin=4800, LengthAdjustableMax=4900)),
    ("CON-001", "lexus", lambda c: axle(c, 1, AxleNumber=3)),
    ("CON-005", "lexus", set_(dims, Length=2800)),
    ("MST-001", "lexus", lambda c: stages(c, (2, PREVIOUS), completion="C")),
    ("MST-003", "lexus", set_(lambda c: c.type_coc["ManufacturerTable"][0], PreviousStageType="X")),
    ("PWR-001", "chr", coc(PureElectricVehicleIndicator="Y")),
    ("PWR-002", "lexus", hybrid_class("NOVC-HEV")),
    ("ECO-001", "chr", pop(lambda c: c.type_coc, "EcoInnovationsTable")),
    ("ECO-002", "lexus", coc(EcoInnovationsTable=[{"EcoInnovationCountry": "e6", "GeneralCodeEcoInnovation": "37"}])),
    ("REG-001", "lexus", both(coc(RightLeftHandTraffic="LEFT"), vehicle(intended_country="D"))),
    ("REG-002", "lexus", coc(MetricImperialOdometer="I")),
    ("TOW-009", "n2", both(set_(lambda c: tow(c, 0), MechanicalCouplingNumberTowingMasses=2),
                           coc(MechanicalCouplingTable=[{"MechanicalCouplingNumber": 2},
                                                        {"MechanicalCouplingNumber": 3}]))),
    ("TOW-010", "lexus", coc(MechanicalCouplingCanBeFittedTable=[{"MechanicalCouplingCanBeFittedType": "K"}],
                             StageOfCompletion="I")),
]


@pytest.mark.parametrize("rule, base, change", MORE_FAILING, ids=[f"{r}-{i}" for i, (r, *_) in enumerate(MORE_FAILING)])
def test_another_failing_vector_produces_exactly_its_finding(documents, checker, rule, base, change):
    case = make_case(documents, base)
    change(case)
    found = findings(case, checker)
    assert [f["rule"] for f in found] == [rule], found


def test_every_rule_of_the_catalogue_has_its_vectors():
    assert sorted(VECTORS) == sorted(SEVERITY)


# -- the words of a finding ---------------------------------------------------------------------------

def _failing(documents, checker, rule):
    base, fail, _ = VECTORS[rule]
    case = make_case(documents, base)
    fail(case)
    [finding] = findings(case, checker)
    return finding


def test_a_mass_finding_reads_like_the_certificate(documents, checker):
    finding = _failing(documents, checker, "MAS-001")
    assert finding["message"] == "Actual mass (13.2) 2,100 kg is below the mass in running order (13) 2,175 kg."
    assert (finding["expected"], finding["found"], finding["path"]) == (
        "at least 2,175 kg", "2,100 kg", "MassGroup.ActualMass")


def test_a_schema_finding_keeps_the_raw_message(documents, checker):
    finding = _failing(documents, checker, "XSD-001")
    assert finding["path"] == "Type"
    assert "maximum length" in finding["message"]
    assert "maxLength" in finding["found"]


def test_findings_inside_tables_name_the_row(documents, checker):
    assert _failing(documents, checker, "TOW-002")["path"] == \
        "TowingBrakedTypeTrailTable[0].BodyworkTypeTable[0].BodyworkTypeTrailer"
    assert _failing(documents, checker, "PWR-004")["path"] == \
        "EnergyConvertorTable[0].EnergySourceTable[0].PowerGroup.MaximumNetPowerElectric"
    assert _failing(documents, checker, "LVL-001")["path"] == "DimensionGroup.Length"


def test_the_approval_findings_say_why(documents, checker):
    assert "withdrawn" in _failing(documents, checker, "APR-002")["message"]
    message = _failing(documents, checker, "APR-003")["message"]
    assert "e6*2018/858*00264*02" in message and "e6*2018/858*00264*01" in message
    assert "five sections" in _failing_number(documents, checker, "e6*2018/858*00264*01*00")
    assert "UNECE" in _failing_number(documents, checker, "E4*2018/858*00264*01")
    assert "not a Member State code" in _failing_number(documents, checker, "e11*2018/858*00264*01")


def _failing_number(documents, checker, number):
    case = make_case(documents, "lexus")
    case.vehicle["approval_number"] = number
    [finding] = findings(case, checker)
    assert finding["rule"] == "APR-001"
    return finding["message"]


@pytest.mark.parametrize("number", ["e4*KS07/46*1234*00", "e2*2007/46*0685*19", "e13*168/2013*01303*00"])
def test_legacy_small_series_and_l_category_numbers_are_read(number):
    from services.validation.domain.approval_number import read_number

    assert read_number(number).member_state in ("e4", "e2", "e13")
    assert read_number("e4*KS07/46*1234*00").small_series


@pytest.mark.parametrize("base", ["l1e"])
def test_an_l_category_vehicle_without_date_nor_country_is_valid_with_a_warning(documents, checker, base):
    """As the L-category specimens are imported (IVI 2.0 leaves both out): only REG-004 says the regional rules
    could not run; DAT-003 asks the date of M, N and O vehicles only."""
    case = make_case(documents, base)
    case.vehicle.update(production_date=None, intended_country=None)
    assert [(f["rule"], f["severity"]) for f in findings(case, checker)] == [("REG-004", "warning")]
    case.resolution.update(ok=False, reason="approval_withdrawn", message="the approval was withdrawn on 2026-07-31")
    [finding] = [f for f in findings(case, checker) if f["rule"] == "APR-002"]
    assert "the vehicle has no date of manufacture" in finding["message"]


def test_the_missing_date_of_manufacture_is_named_with_the_category(documents, checker):
    message = _failing(documents, checker, "DAT-003")["message"]
    assert "category M1" in message and "production_date" in message
