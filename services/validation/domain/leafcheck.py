"""Is a leaf value certainly valid for its XSD simple type? Checked in Python, conservatively.

`certainly_valid` answers True only when libxml2 would accept the value too; when it cannot be sure
(an unusual pattern, a base type it does not model, digits counted differently) it answers False and
the caller runs the real schema. A False is never reported to anyone: it only costs a schema run.
"""
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from common.ivi.values import LeafValueError, format_leaf

from .data import iso_date

_INTEGER_BOUNDS = {
    "short": (-(2 ** 15), 2 ** 15 - 1),
    "int": (-(2 ** 31), 2 ** 31 - 1),
    "long": (-(2 ** 63), 2 ** 63 - 1),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "integer": (None, None),
}
_SAFE_PATTERN = re.compile(r"[A-Za-z0-9\[\]{}()|,+*?\-]+")  # XSD regex that Python reads the same way
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def certainly_valid(value, simple):
    try:
        text = format_leaf(value, simple)
    except LeafValueError:
        return False
    if text is None:
        return False
    base = simple.base
    if base == "string":
        return _string_ok(text, simple)
    if base in _INTEGER_BOUNDS:
        return _integer_ok(text, simple, _INTEGER_BOUNDS[base])
    if base == "decimal":
        return _decimal_ok(text, simple)
    if base == "date":
        return iso_date(text) is not None and not simple.patterns and not simple.enumeration
    return False


def _string_ok(text, simple):
    if _NOT_XML_CHAR.search(text):
        return False
    n = len(text)
    if simple.length is not None and n != simple.length:
        return False
    if simple.min_length is not None and n < simple.min_length:
        return False
    if simple.max_length is not None and n > simple.max_length:
        return False
    if simple.enumeration and text not in simple.enumeration:
        return False
    for pattern in simple.patterns:
        compiled = _compiled(pattern)
        if compiled is None or not compiled.fullmatch(text):
            return False
    return True


def _integer_ok(text, simple, bounds):
    if simple.patterns or simple.enumeration or simple.total_digits is not None:
        return False
    value = int(text)
    low, high = bounds
    return _within(value, simple) and (low is None or value >= low) and (high is None or value <= high)


def _decimal_ok(text, simple):
    if simple.patterns or simple.enumeration:
        return False
    try:
        value = Decimal(text)
    except InvalidOperation:
        return False
    whole, _, fraction = text.lstrip("+-").partition(".")
    digits = len(whole.lstrip("0")) + len(fraction)  # trailing zeros counted: never more lenient than libxml2
    if simple.total_digits is not None and digits > simple.total_digits:
        return False
    if simple.fraction_digits is not None and len(fraction) > simple.fraction_digits:
        return False
    return _within(value, simple)


def _within(value, simple):
    if simple.min_inclusive is not None and value < Decimal(simple.min_inclusive):
        return False
    if simple.max_inclusive is not None and value > Decimal(simple.max_inclusive):
        return False
    return True


@lru_cache(maxsize=64)
def _compiled(pattern):
    return re.compile(pattern) if _SAFE_PATTERN.fullmatch(pattern) else None
