"""Identifiers: the VIN (ISO 3779) and its manufacturer code."""
import re

from ..engine import Rule
from ..findings import ERROR, WARNING, Problem
from ..wording import listing

_VIN_SHAPE = re.compile(r"[A-Z0-9]{17}")
_TRANSLITERATION = {**{str(d): d for d in range(10)},
                    **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))),
                    "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
NORTH_AMERICA = "12345"  # first character of WMIs assigned in the USA, Canada and Mexico


def vin_shape(ctx):
    vin = ctx.vehicle.get("vin")
    text = vin if isinstance(vin, str) else ""
    if _VIN_SHAPE.fullmatch(text):
        return
    if not text:
        detail = "it is empty"
    elif len(text) != 17:
        detail = f"it has {len(text)} characters"
    else:
        bad = sorted({c for c in text if not ("A" <= c <= "Z" or "0" <= c <= "9")})
        detail = "it contains " + ", ".join(repr(c) for c in bad)
    yield Problem("17 characters A-Z / 0-9", text, detail=detail)


def vin_letters(ctx):
    vin = ctx.vehicle.get("vin")
    if not isinstance(vin, str):
        return
    bad = sorted({c for c in vin.upper() if c in "IOQ"})
    if bad:
        positions = ", ".join(str(i + 1) for i, c in enumerate(vin.upper()) if c in "IOQ")
        yield Problem("no I, O or Q", vin, letters=", ".join(bad), positions=positions)


def check_digit(vin):
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin, _WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def north_american_check_digit(ctx):
    vin = ctx.vin
    if vin[:1] not in NORTH_AMERICA:
        return
    expected = check_digit(vin)
    if vin[8] != expected:
        yield Problem(f"check digit {expected} at position 9", f"{vin[8]} at position 9", wmi=vin[:3])


def wmi_registered(ctx):
    if ctx.wmis is None or not ctx.wmis:
        return  # VIN-005 says the WMIs are unknown
    if ctx.coc is not None and ctx.current_stage > 1:
        return  # the VIN was assigned by the first-stage manufacturer
    wmi = ctx.vin[:3]
    if wmi not in ctx.wmis:
        yield Problem(f"a WMI of the entity: {listing(sorted(ctx.wmis))}", wmi, entity=ctx.vehicle.get("entity"),
                      registered=listing(sorted(ctx.wmis)))


def wmis_known(ctx):
    if ctx.wmis:
        return
    entity = ctx.vehicle.get("entity")
    why = "is not a registered legal entity" if ctx.wmis is None else "has no WMI registered"
    yield Problem("the entity's registered WMIs", "none", entity=entity or "(none)", why=why)


RULES = [
    Rule("VIN-001", ERROR, "VehicleIdentificationNumber",
         "The VIN (0.10) is 17 characters of A-Z and 0-9.", vin_shape,
         message="The VIN must be exactly 17 characters, capital letters A-Z and digits 0-9 only; {detail}."),
    Rule("VIN-002", ERROR, "VehicleIdentificationNumber",
         "The VIN contains none of the letters I, O and Q (ISO 3779).", vin_letters,
         message="The VIN contains the letter(s) {letters} (position {positions}); I, O and Q are never used in a "
                 "VIN because they are confused with 1 and 0. Check the VIN for a mistyped digit."),
    Rule("VIN-003", WARNING, "VehicleIdentificationNumber",
         "For a North-American WMI (first character 1-5) position 9 is the check digit (weights 8,7,6,5,4,3,2,10,0,"
         "9,8,7,6,5,4,3,2; sum mod 11, 10 = X). A warning only: EU law does not require it and EU VINs are never "
         "judged on it.", north_american_check_digit, requires=("VIN-001", "VIN-002"),
         message="The VIN has a North-American WMI ({wmi}), where position 9 is a check digit: expected {expected}, "
                 "found {found}. EU registration does not need it; check the VIN against the vehicle's plate."),
    Rule("VIN-004", ERROR, "VehicleIdentificationNumber",
         "The WMI (VIN positions 1-3) is registered to the vehicle's legal entity. Not judged for stage 2 and later "
         "of a multi-stage vehicle: its VIN comes from the first-stage manufacturer.", wmi_registered,
         requires=("VIN-001",),
         message="The VIN's manufacturer code (WMI) {found} is not registered to legal entity {entity}, whose "
                 "WMIs are {registered}. Check the VIN, or register the WMI with the entity."),
    Rule("VIN-005", WARNING, "VehicleIdentificationNumber",
         "The vehicle's legal entity has registered WMIs, so VIN-004 can check the VIN's manufacturer code.",
         wmis_known,
         message="The legal entity {entity} {why}, so the VIN's manufacturer code (WMI) could not be checked. "
                 "Register the entity's WMIs."),
]
