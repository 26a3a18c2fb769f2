"""The category's CoC dataset: no fields from another category's dataset, the indicators and groups it needs.

EReg guidelines 1.4 and 1.13 and the ICM: fields outside the category's CoC dataset are rejected (no
Colour for M2), and an indicator relevant for the category is always present with Y or N. The tables
below hold what the EReg documents say explicitly or what the category's regulation makes certain; each
was run against the nine official specimens. They are a floor, not the full EReg messagebook.
"""
from ..data import present, rows, values_at
from ..engine import Rule
from ..findings import ERROR, WARNING, Problem
from .approval import RESOLVED

AGRICULTURAL = (
    "ThreePointLiftingMechanism", "TrackTrainGroup", "BallastSetTable", "DriverSeatTypeCategoryTable",
    "RollOverProtectiveStructureTable", "PowerTakeOffTable", "TrackSetTable",
    "MassGroup.ThreePointLiftingMechanismMaximumTowableMass", "MassGroup.BallastMassTotal",
    "GeneralConstructionGroup.NumberOfSetsBallastMasses",
)
L_ONLY = ("LocationStatutoryPlate23Wheel", "LocationVin23Wheel", "MaximumAssistanceFactor", "MaximumAssistanceSpeed")
ECO_INNOVATION = ("EcoInnovationsFittedIndicator", "EcoInnovationsTable", "WltpTotalCo2EmissionSavedDueEcoInnovation")
POWERTRAIN = ("EnergyConvertorTable", "PureElectricVehicleIndicator", "ClassHybridVehicle", "ExhaustEmissionLevel",
              "ExhaustEmissionLatestRegulationNumber", "ConsolidatedMaximum30MinutesPower",
              "ConsolidatedMaximumNetPowerElectric", "GearGroup")
_SOURCE = "EnergyConvertorTable.EnergySourceTable."
WLTP = ("WltpEmissionTestParametersGroup", _SOURCE + "TestWltpType1Group", _SOURCE + "TestWltpCo2Group",
        _SOURCE + "TestWltpFuelConsumptionGroup", _SOURCE + "TestWltpElectricRangeGroup",
        _SOURCE + "TestWltpEnergyConsumptionGroup", _SOURCE + "TestRdeGroup")

# (category prefixes, fields, why they do not belong there)
NOT_IN_DATASET = (
    (("M", "N", "O", "L"), AGRICULTURAL, "it belongs to agricultural and forestry vehicles (Regulation (EU) 167/2013)"),
    (("M", "N", "O"), L_ONLY, "it belongs to the L-category dataset (Regulation (EU) 168/2013)"),
    (("L",), ("LocationMarkingsTable",),
     "item 0.6 as a table is for 2018/858 and 167/2013 vehicles; L vehicles use LocationStatutoryPlate23Wheel and "
     "LocationVin23Wheel (EReg setup manual)"),
    (("M2", "M3"), ("ColourTable",), "the colour is not part of the bus and coach CoC (EReg guidelines 1.4 and ICM: "
                                     "no Colour for M2)"),
    (("M1", "N1", "L"), ("VectoGroup",), "VECTO data belongs to heavy-duty vehicles and trailers"),
    (("M2", "M3", "N2", "N3", "O", "L"), ECO_INNOVATION,
     "eco-innovations are certified for M1 and N1 only (Regulation (EU) 2019/631)"),
    (("O",), POWERTRAIN, "a trailer has no powertrain"),
    (("O", "L"), WLTP, "WLTP and RDE results belong to M and N vehicles"),
)

# (category prefixes, indicator paths that must hold Y or N)
INDICATORS = (
    (("M", "N"), ("PureElectricVehicleIndicator",)),
    (("M1", "N1"), ("EcoInnovationsFittedIndicator",)),
    (("N2", "N3"), ("TypeApprovalTransportDangerousGoodsIndicator",)),
    (("M", "N", "L"), ("AxleTable.PoweredAxleIndicator",)),
    (("N2", "N3", "L"), ("AxleTable.TwinWheelsAxleIndicator",)),
)
CYBER_INDICATORS = ((("M", "N"), ("VehicleCertified155Indicator", "VehicleCertified156Indicator")),)

MOTOR_VEHICLES = ("M", "N", "L")


def _applicable(category, prefixes):
    return category.startswith(prefixes)


def fields_in_dataset(ctx):
    coc, category = ctx.coc, ctx.category or ""
    for prefixes, fields, why in NOT_IN_DATASET:
        if not _applicable(category, prefixes):
            continue
        for field in fields:
            if "." not in field:
                if present(coc.get(field)):
                    yield Problem("no such field for this category", "present", path=field, field=field,
                                  category=category, why=why)
                continue
            for where, _ in values_at(coc, field):
                yield Problem("no such field for this category", "present", path=where, field=where,
                              category=category, why=why)
                break


def indicators_in(table):
    """A check that the indicators of `table` relevant for the vehicle's category hold Y or N."""

    def indicators_present(ctx):
        coc, category = ctx.coc, ctx.category or ""
        for prefixes, fields in table:
            if not _applicable(category, prefixes):
                continue
            for field in fields:
                group_name, _, leaf = field.partition(".")
                if not leaf:
                    if coc.get(field) not in ("Y", "N"):
                        yield Problem("Y or N", str(coc.get(field) or "missing"), path=field, field=field,
                                      category=category)
                    continue
                for i, row in enumerate(rows(coc, group_name)):
                    if row.get(leaf) not in ("Y", "N"):
                        where = f"{group_name}[{i}].{leaf}"
                        yield Problem("Y or N", str(row.get(leaf) or "missing"), path=where, field=where,
                                      category=category)

    return indicators_present


def groups_present(ctx):
    coc, category = ctx.coc, ctx.category or ""
    if not rows(coc, "AxleTable"):
        yield Problem("at least one axle", "no AxleTable", path="AxleTable", what="the axles (AxleTable)",
                      category=category)
    if not _applicable(category, MOTOR_VEHICLES):
        return
    convertors = rows(coc, "EnergyConvertorTable")
    if not convertors:
        yield Problem("at least one energy convertor", "no EnergyConvertorTable", path="EnergyConvertorTable",
                      what="the engine or motor (EnergyConvertorTable)", category=category)
    for i, convertor in enumerate(convertors):
        if not present(convertor.get("EnergyConvertorCodeMarkedOnEnergyConvertor")):
            yield Problem("the code marked on the engine or motor", "missing",
                          path=f"EnergyConvertorTable[{i}].EnergyConvertorCodeMarkedOnEnergyConvertor",
                          what=f"the code marked on energy convertor {i + 1} (for a hybrid's electric motor without "
                               "a code of its own, repeat the engine's)", category=category)
        if not any(present(s.get("EnergySource")) for s in rows(convertor, "EnergySourceTable")):
            yield Problem("at least one energy source", "none", path=f"EnergyConvertorTable[{i}].EnergySourceTable",
                          what=f"the energy source of energy convertor {i + 1}", category=category)


RULES = [
    Rule("SET-001", ERROR, "CocDataGroup",
         "Only fields of the category's CoC dataset are sent (EReg guidelines 1.4): no agricultural fields outside "
         "T/C/R/S, no L-only fields outside L, item 0.6 as a table not for L, no Colour for M2/M3 (the EReg example; "
         "N2/N3/O are not judged on colour until the messagebook is at hand), no VECTO data for M1/N1/L, "
         "eco-innovations for M1/N1 only, no powertrain for O, no WLTP/RDE for O and L.",
         fields_in_dataset, requires=RESOLVED,
         message="{field} is not part of the CoC dataset of category {category}: {why}. Remove it."),
    Rule("SET-002", ERROR, "CocDataGroup",
         "Indicators relevant for the category are present with Y or N (EReg guidelines 1.13, ICM): M and N "
         "PureElectricVehicleIndicator (the ICM's own example); M1/N1 EcoInnovationsFittedIndicator; N2/N3 "
         "TypeApprovalTransportDangerousGoodsIndicator; per axle PoweredAxleIndicator (M, N, L) and "
         "TwinWheelsAxleIndicator (N2, N3, L). The L specimens carry no PureElectricVehicleIndicator (they state "
         "ElectricVehicleConfiguration), so it is not asked of L.", indicators_in(INDICATORS), requires=RESOLVED,
         message="{field} must be stated as Y or N for category {category} (an indicator relevant for the category "
                 "is always sent, N included); found {found}."),
    Rule("SET-003", ERROR, "CocDataGroup",
         "Required groups are present: the AxleTable for every vehicle; for M, N and L an EnergyConvertorTable whose "
         "every convertor has its code marked on it and at least one energy source (EReg setup manual).",
         groups_present, requires=RESOLVED,
         message="The certificate of a category {category} vehicle must state {what}; it is missing."),
    Rule("SET-004", WARNING, "VehicleCertified155Indicator",
         "M and N vehicles state whether they are certified to UN R155 (cyber security) and UN R156 (software "
         "updates), as every M and N specimen does. A warning until the EReg messagebook confirms them for every M "
         "and N dataset.", indicators_in(CYBER_INDICATORS), requires=RESOLVED,
         message="{field} should be stated as Y or N for category {category} (every M and N specimen states it); "
                 "found {found}."),
]
