"""Regional rules, driven by the intended country of registration (Vienna codes)."""
from ..applicability import Applicability
from ..engine import Rule
from ..findings import ERROR, WARNING, Problem
from ..wording import listing
from .approval import RESOLVED

EU_EEA_CH = ("A", "B", "BG", "CY", "CZ", "D", "DK", "E", "EST", "F", "FIN", "GR", "H", "HR", "I", "IRL", "L", "LT",
             "LV", "M", "NL", "P", "PL", "RO", "S", "SK", "SLO", "IS", "FL", "N", "CH")
LEFT_HAND_TRAFFIC = ("IRL", "M", "CY", "UK", "GBM", "GBJ", "GBG", "GBA")  # traffic drives on the left
METRIC = ("M", "B")  # km/h (or both scales) on the speedometer, km on the odometer


def traffic_side(ctx):
    side = ctx.coc.get("RightLeftHandTraffic")
    if not side or not ctx.country:
        return
    left = ctx.country in LEFT_HAND_TRAFFIC
    wanted = ("LEFT", "BOTH") if left else ("RIGHT", "BOTH")
    if side not in wanted:
        yield Problem(" or ".join(wanted), side, country=ctx.country, side=side,
                      traffic="left-hand" if left else "right-hand")


def metric_instruments(ctx):
    for field, what in (("MetricImperialSpeedometer", "speedometer"), ("MetricImperialOdometer", "odometer")):
        value = ctx.coc.get(field)
        if value and value not in METRIC:
            yield Problem("M (metric) or B (both)", value, path=field, field=field, what=what, country=ctx.country)


def country_in_eu(ctx):
    if ctx.country and ctx.country not in EU_EEA_CH:
        yield Problem("an EU or EEA Member State or Switzerland", ctx.country, country=ctx.country)


def country_given(ctx):
    if not ctx.country:
        yield Problem("the intended country of registration", "none")


RULES = [
    Rule("REG-001", ERROR, "RightLeftHandTraffic",
         f"A vehicle for a left-hand-traffic country ({listing(LEFT_HAND_TRAFFIC)}) is built for LEFT or BOTH; for "
         "any other country for RIGHT or BOTH.", traffic_side, requires=RESOLVED,
         message="The vehicle is intended for {country}, a country with {traffic} traffic, but is built for {side} "
                 "traffic (expected {expected})."),
    Rule("REG-002", ERROR, "MetricImperialSpeedometer",
         "A vehicle for an EU/EEA country or Switzerland shows km/h and km (speedometer and odometer M or B, not "
         "imperial only).", metric_instruments, requires=RESOLVED, applies=Applicability(countries=EU_EEA_CH),
         message="The {what} is imperial only ({found}), but the vehicle is intended for {country}, where it must "
                 "show metric units (M or B)."),
    Rule("REG-003", WARNING, "Header.IntendedCountryRegistration",
         "The intended country of registration is an EU/EEA Member State or Switzerland, where the eCoC is exchanged "
         "(EUCARIS).", country_in_eu,
         message="The intended country {country} is outside the EU/EEA and Switzerland, where eCoCs are exchanged; "
                 "check the country code (Vienna codes: D Germany, NL Netherlands, B Belgium, …)."),
    Rule("REG-004", WARNING, "Header.IntendedCountryRegistration",
         "An intended country of registration is given, so the regional rules can run (it is optional in IVI 2.0; "
         "the L-category specimens have none and get this warning).", country_given,
         message="No intended country of registration is given, so regional rules (traffic side, units) were not "
                 "checked."),
]
