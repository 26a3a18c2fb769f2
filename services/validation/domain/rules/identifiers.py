"""Identifiers: the VIN and the type-approval number."""
import re

from common.approval_number import parse_approval_number

from ..engine import Rule
from ..findings import ERROR, Problem

_VIN_SHAPE = re.compile(r"[A-Z0-9]{17}")


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
    yield Problem(
        f"The VIN must be exactly 17 characters, capital letters A-Z and digits 0-9 only; {detail}.",
        expected="17 characters A-Z / 0-9", found=text,
    )


def vin_letters(ctx):
    vin = ctx.vehicle.get("vin")
    if not isinstance(vin, str):
        return
    bad = sorted({c for c in vin.upper() if c in "IOQ"})
    if bad:
        positions = ", ".join(str(i + 1) for i, c in enumerate(vin.upper()) if c in "IOQ")
        yield Problem(
            f"The VIN contains the letter(s) {', '.join(bad)} (position {positions}); I, O and Q are never "
            "used in a VIN because they are confused with 1 and 0. Check the VIN for a mistyped digit.",
            expected="no I, O or Q", found=vin,
        )


def approval_number_format(ctx):
    number = ctx.vehicle.get("approval_number")
    try:
        parse_approval_number(number)
    except ValueError as exc:
        yield Problem(
            f"The type-approval number is not valid: {exc}.",
            expected="e<MS>*<act>*<sequence of 4-5 digits>*<2-digit extension>, e.g. e6*2018/858*00264*01",
            found=number if isinstance(number, str) else "",
        )


RULES = [
    Rule("VIN-001", ERROR, "VehicleIdentificationNumber",
         "The VIN is 17 characters of A-Z and 0-9.", vin_shape),
    Rule("VIN-002", ERROR, "VehicleIdentificationNumber",
         "The VIN contains none of the letters I, O and Q (ISO 3779).", vin_letters),
    Rule("APR-001", ERROR, "TypeApprovalNumber",
         "The type-approval number has the whole-vehicle form e<MS>*<act>*<sequence>*<extension> "
         "(Annex IV of Regulation (EU) 2020/683) with an IVI 2.0 Member State code.", approval_number_format),
]
