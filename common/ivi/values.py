"""Leaf values: XML text <-> JSON value, per the leaf's simple type.

Numeric representation (the decision every module relies on):

* Leaves whose type restricts an XSD integer (`Integer2`..`Integer6`, `LoadCapacityIndex`, ...) are
  JSON ints.
* Leaves whose type restricts `xs:decimal` (`Decimal52`, `RoadLoadCoefficient`, `RimOffSet`, ...)
  keep their lexical form exactly:
    - no fraction part ("175")                          -> int 175, written back "175";
    - Python's shortest float repr equals the text ("73.0", "0.67") -> float, written back by repr;
    - anything else, i.e. trailing zeros ("44.00", "0.74600") or an unusual spelling (".5", "+1")
      -> the text itself as a str, written back verbatim.
  So every sample leaf round-trips byte for byte; consumers that compute use `to_decimal(value)`.
* Everything else (codes, texts, dates, Y/N indicators) is a str, kept exactly as in the XML.

Writing accepts int, float, `decimal.Decimal` or a numeric string for numbers (bool is refused),
never uses exponent notation, and refuses a value needing more fraction digits than the type's
`fractionDigits` (float noise such as 0.30000000000000004 is rounded to 15 significant digits first).
`datetime.date` / `datetime.datetime` are accepted for `xs:date` / `xs:dateTime` leaves.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal, InvalidOperation

from .schema import SimpleType

_INT_LEXICAL = re.compile(r"[+-]?\d+")
_DECIMAL_LEXICAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_CANONICAL_INT = re.compile(r"-?(0|[1-9]\d*)")


class LeafValueError(ValueError):
    """A leaf value does not fit its type (the caller adds the path)."""


def parse_leaf(text: str | None, simple: SimpleType):
    """The JSON value of a leaf's XML text."""
    text = text or ""
    if simple.is_integer:
        lexical = text.strip()
        if not _INT_LEXICAL.fullmatch(lexical):
            raise LeafValueError(f"{text!r} is not an integer ({simple.name})")
        return int(lexical)
    if simple.is_decimal:
        lexical = text.strip()
        if not _DECIMAL_LEXICAL.fullmatch(lexical):
            raise LeafValueError(f"{text!r} is not a decimal number ({simple.name})")
        if _CANONICAL_INT.fullmatch(lexical):
            return int(lexical)
        if "." in lexical:
            number = float(lexical)
            if repr(number) == lexical:
                return number
        return lexical
    return text


def format_leaf(value, simple: SimpleType) -> str | None:
    """The XML text of a leaf value, or None when the value is empty and the element is omitted."""
    if value is None:
        return None
    if simple.is_numeric:
        return _format_number(value, simple)
    if isinstance(value, str):
        return value or None
    if simple.base == "dateTime" and isinstance(value, _dt.datetime):
        return value.isoformat()
    if simple.base == "date" and isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value.isoformat()
    raise LeafValueError(f"expected a string for {simple.name}, got {type(value).__name__} {value!r}")


def to_decimal(value) -> Decimal | None:
    """A numeric leaf value (int, float or lexical str) as a Decimal; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise LeafValueError(f"{value!r} is not a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise LeafValueError(f"{value!r} is not a number") from None


def _format_number(value, simple: SimpleType) -> str | None:
    if isinstance(value, bool):
        raise LeafValueError(f"expected a number for {simple.name}, got a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        lexical = value.strip()
        if not lexical:
            return None
        pattern = _INT_LEXICAL if simple.is_integer else _DECIMAL_LEXICAL
        if not pattern.fullmatch(lexical):
            raise LeafValueError(f"{value!r} is not a valid {'integer' if simple.is_integer else 'decimal'}")
        if simple.is_decimal:
            _check_fraction(Decimal(lexical), simple)
        return lexical
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LeafValueError(f"{value!r} is not a finite number")
        if simple.is_integer:
            if not value.is_integer():
                raise LeafValueError(f"{value!r} is not an integer ({simple.name})")
            return str(int(value))
        text = repr(value)
        if "e" not in text and "E" not in text and _fraction_digits(Decimal(text)) <= _allowed(simple):
            return text
        number = Decimal(format(value, ".15g"))
        _check_fraction(number, simple)
        return _plain(number)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise LeafValueError(f"{value!r} is not a finite number")
        if simple.is_integer:
            if value != value.to_integral_value():
                raise LeafValueError(f"{value} is not an integer ({simple.name})")
            return str(int(value))
        _check_fraction(value, simple)
        if _fraction_digits(value) > _allowed(simple):  # only trailing zeros are in excess
            value = value.normalize()
        return _plain(value)
    raise LeafValueError(f"expected a number for {simple.name}, got {type(value).__name__} {value!r}")


def _allowed(simple: SimpleType) -> int:
    return simple.fraction_digits if simple.fraction_digits is not None else 10**6


def _fraction_digits(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _check_fraction(number: Decimal, simple: SimpleType) -> None:
    significant = _fraction_digits(number.normalize()) if number else 0
    if significant > _allowed(simple):
        raise LeafValueError(
            f"{_plain(number)} has {significant} fraction digits; {simple.name} allows {simple.fraction_digits}"
        )


def _plain(number: Decimal) -> str:
    """Plain notation, never an exponent: Decimal('1E+2') -> '100', Decimal('1E-5') -> '0.00001'."""
    return format(number, "f")
