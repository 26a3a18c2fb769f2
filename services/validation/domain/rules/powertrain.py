"""Powertrain consistency: pure electric, hybrid classes, and each value under its own energy source (EReg
setup manual: PEV, NOVC-HEV, OVC-HEV chapters; change overview: PureElectricVehicleIndicator)."""
from ..applicability import Applicability
from ..context import ELECTRICITY
from ..data import group, number, present
from ..engine import Rule
from ..findings import ERROR, WARNING, Problem
from ..wording import listing, num
from .approval import RESOLVED

HYDROGEN = {"50", "55"}
COMBUSTION_POWER = ("MaximumNetPowerCombustion", "EngineSpeedMaximumNetPower", "EngineSpeedMaximumNetPowerMin",
                    "EngineSpeedMaximumNetPowerMax")
ELECTRIC_POWER = ("MaximumNetPowerElectric", "Maximum30MinutesPower", "Maximum15MinutesPower")
OVC_RANGES = ("WltpEquivalentAllElectricOffVehicleChargingRange", "WltpAllElectricOffVehicleChargingRange")


def _sources(ctx):
    return listing(sorted(ctx.source_codes))


def pure_electric_indicator(ctx):
    indicator = ctx.coc.get("PureElectricVehicleIndicator")
    codes = ctx.source_codes
    if indicator not in ("Y", "N") or not codes:
        return
    only_electric = codes == {ELECTRICITY}
    if indicator == "Y" and not only_electric:
        yield Problem("every energy source 95 (electricity)", f"energy sources {_sources(ctx)}", indicator=indicator,
                      detail="the vehicle is declared pure electric but also uses another energy source")
    elif indicator == "N" and only_electric:
        yield Problem("PureElectricVehicleIndicator Y", "N", indicator=indicator,
                      detail="every energy source is 95 (electricity), so the vehicle is pure electric")


def hybrid_class_sources(ctx):
    hybrid = ctx.coc.get("ClassHybridVehicle")
    if not present(hybrid):
        return
    codes = ctx.source_codes
    fuels = codes - {ELECTRICITY}
    if ELECTRICITY not in codes or not fuels:
        yield Problem("energy source 95 (electricity) and a fuel", f"energy sources {_sources(ctx) or 'none'}",
                      hybrid=hybrid, detail="a hybrid stores energy as electricity and as a fuel")
    elif hybrid.endswith("FCHV") and not fuels & HYDROGEN:
        yield Problem("energy source 50 (hydrogen) or 55 (H2NG) beside 95", f"energy sources {_sources(ctx)}",
                      hybrid=hybrid, detail="a fuel-cell hybrid runs on hydrogen")


def hybrid_declared(ctx):
    codes = ctx.source_codes
    if ELECTRICITY in codes and codes - {ELECTRICITY} and not present(ctx.coc.get("ClassHybridVehicle")):
        yield Problem("a hybrid class (OVC-HEV, NOVC-HEV, OVC-FCHV, NOVC-FCHV)", "none", sources=_sources(ctx))


def power_under_its_source(ctx):
    for c, s, _, source in ctx.energy_sources:
        code = str(source.get("EnergySource") or "")
        if not code:
            continue
        power = group(source, "PowerGroup")
        wrong = COMBUSTION_POWER if code == ELECTRICITY else ELECTRIC_POWER
        for field in wrong:
            if present(power.get(field)):
                where = f"EnergyConvertorTable[{c}].EnergySourceTable[{s}].PowerGroup.{field}"
                belongs = "a fuel" if code == ELECTRICITY else "energy source 95 (electricity)"
                yield Problem(f"{field} under {belongs}", f"under energy source {code}", path=where, field=field,
                              code=code, belongs=belongs)


def working_principle(ctx):
    for c, s, convertor, source in ctx.energy_sources:
        principle, code = convertor.get("WorkingPrinciple"), str(source.get("EnergySource") or "")
        if not present(principle) or not code:
            continue
        if (principle == "ELECT") != (code == ELECTRICITY):
            wanted = "ELECT" if code == ELECTRICITY else "a combustion principle (not ELECT)"
            yield Problem(wanted, principle, path=f"EnergyConvertorTable[{c}].WorkingPrinciple", convertor=c + 1,
                          principle=principle, code=code)


def ovc_range(ctx):
    if ctx.coc.get("ClassHybridVehicle") != "OVC-HEV":
        return
    for _, _, _, source in ctx.energy_sources:
        if str(source.get("EnergySource")) == ELECTRICITY:
            ranges = group(source, "TestWltpElectricRangeGroup")
            if any(present(ranges.get(f)) for f in OVC_RANGES):
                return
    yield Problem(f"{' or '.join(OVC_RANGES)} under energy source 95", "missing")


def consolidated_power(ctx):
    for consolidated_field, field in (("ConsolidatedMaximumNetPowerElectric", "MaximumNetPowerElectric"),
                                      ("ConsolidatedMaximum30MinutesPower", "Maximum30MinutesPower")):
        consolidated = number(ctx.coc.get(consolidated_field))
        if consolidated is None:
            continue
        parts = [number(group(src, "PowerGroup").get(field)) for _, _, _, src in ctx.energy_sources
                 if str(src.get("EnergySource")) == ELECTRICITY]
        parts = [p for p in parts if p is not None]
        if parts and not max(parts) <= consolidated <= sum(parts):
            yield Problem(f"{num(max(parts))} to {num(sum(parts))} kW", f"{num(consolidated)} kW",
                          path=consolidated_field, field=consolidated_field, motors=field)


RULES = [
    Rule("PWR-001", ERROR, "PureElectricVehicleIndicator",
         "PureElectricVehicleIndicator is Y exactly when every energy source is 95 (electricity) (EReg forum "
         "decision: the indicator says whether the vehicle is purely electric).", pure_electric_indicator,
         requires=RESOLVED,
         message="PureElectricVehicleIndicator {indicator} contradicts the energy sources: {detail} (expected "
                 "{expected}, found {found})."),
    Rule("PWR-002", ERROR, "ClassHybridVehicle",
         "A hybrid class needs energy source 95 plus a fuel; a fuel-cell class (OVC-FCHV, NOVC-FCHV) needs hydrogen "
         "(50 or 55) as that fuel (the Mirai specimen: 50 + 95).", hybrid_class_sources, requires=RESOLVED,
         message="Hybrid class {hybrid} does not fit the energy sources: {detail} (expected {expected}, found "
                 "{found})."),
    Rule("PWR-003", ERROR, "ClassHybridVehicle",
         "An M or N vehicle with energy source 95 and a fuel states its hybrid class (all hybrid specimens do).",
         hybrid_declared, requires=RESOLVED,
         message="The vehicle has energy sources {sources}, electricity and a fuel, so it is a hybrid: state its "
                 "class in ClassHybridVehicle (OVC-HEV, NOVC-HEV, OVC-FCHV or NOVC-FCHV)."),
    Rule("PWR-004", ERROR, "EnergyConvertorTable",
         "Power values sit under the matching energy source: combustion power only under fuels, electric power "
         "(net, 30-minute, 15-minute) only under 95 (EReg setup manual, hybrid chapters).", power_under_its_source,
         requires=RESOLVED,
         message="{field} is stated under energy source {code}; it belongs under {belongs}."),
    Rule("PWR-005", ERROR, "EnergyConvertorTable",
         "An energy convertor's working principle is ELECT exactly when its energy source is 95 (electric motors "
         "carry ELECT, engines a combustion principle); convertors without a working principle (the Mirai fuel "
         "cell, the N2 and L specimens) are not judged.", working_principle, requires=RESOLVED,
         message="Energy convertor {convertor} has working principle {principle} but energy source {code} "
                 "(expected {expected})."),
    Rule("PWR-006", ERROR, "EnergyConvertorTable",
         "An OVC-HEV (plug-in hybrid) M1/N1 states its all-electric range under energy source 95 (EReg setup "
         "manual, OVC-HEV chapter; the Prius PHEV specimen).", ovc_range, requires=RESOLVED,
         applies=Applicability(categories=("M1", "N1")),
         message="The vehicle is a plug-in hybrid (OVC-HEV), but no all-electric range is stated under energy "
                 "source 95: add {expected}."),
    Rule("PWR-007", WARNING, "ConsolidatedMaximumNetPowerElectric",
         "A consolidated (system) electric power lies between the largest and the sum of the motors' powers (UN "
         "R177; the Lexus RZ450e specimen: 150 kW for motors of 150 and 80 kW).", consolidated_power,
         requires=RESOLVED,
         message="{field} is {found}, outside what the motors' {motors} allow ({expected})."),
]
