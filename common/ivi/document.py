"""Checks an IVI-shaped JSON `coc` object against the official schema: the one place that judges one.

    check_coc(schema, coc, *, level=None) -> [DocumentIssue(path, message), ...]   ([] = fine)

What is checked, element by element, against the schema tree of `common.ivi.schema`:
- every key is an element the schema knows at that place;
- a group is an object, a table a list of row objects (at most the row's maxOccurs, and never more
  than MAX_ROWS), a leaf a value of its type: text for string types, an int for integer types, a
  number (int, float or a decimal string such as "44.00", see `values`) for decimal types, "YYYY-MM-DD"
  for dates; booleans and nulls are never values;
- the type's facets: enumerations (codes), patterns, lengths, totalDigits / fractionDigits, ranges
  (which also rules out negative DecimalXY values);
- nothing is empty: "", [], {} and null are refused (IVI says: omit the element instead);
- `level`: None accepts any path; "type" refuses the vehicle-level paths of
  `catalogue.VEHICLE_LEVEL_PATHS` (an approval's data); "vehicle" accepts only those (a vehicle
  record's data) plus the whole of a table that holds one, since a table is replaced wholesale when
  the levels are merged.

What is not checked: that mandatory elements are present (documents are partial until the levels are
merged; `catalogue.missing_mandatory` and the XSD judge the composed certificate) and rules between
fields (the validation service's rule packs).

Paths are the JSON form with row indexes, e.g. `AxleTable[1].TyreAxleTable[0].RimSize`. The schema is
compiled once into plain-Python checkers (`document_checker(schema)`, cached), so checking a typical
vehicle-level document takes some tens of microseconds.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import functools
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .catalogue import VEHICLE_LEVEL_PATHS
from .schema import GROUP, LEAF, TABLE, ElementDef, IviSchema, SimpleType

LEVELS = (None, "type", "vehicle")
MAX_ROWS = 999  # the largest row numbers of the schema (TyreNumber, ...) are Integer3

_INDEX = re.compile(r"\[\d+\]")
_DECIMAL_LEXICAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_BUILTIN_RANGES = {
    "byte": (-(2**7), 2**7 - 1), "short": (-(2**15), 2**15 - 1), "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1), "unsignedByte": (0, 2**8 - 1), "unsignedShort": (0, 2**16 - 1),
    "unsignedInt": (0, 2**32 - 1), "unsignedLong": (0, 2**64 - 1), "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None), "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1),
}
_SHOWN_CODES = 20


@dataclass(frozen=True)
class DocumentIssue:
    path: str  # e.g. "AxleTable[1].TyreAxleTable[0].RimSize" ("" for the document itself)
    message: str


def check_coc(schema: IviSchema, coc, *, level: str | None = None) -> list[DocumentIssue]:
    """Every problem of an IVI-shaped `coc` object (see the module docstring); [] when there is none."""
    return document_checker(schema).check(coc, level=level)


def check_value(schema: IviSchema, path: str, value) -> str | None:
    """The problem of `value` as the leaf at `path` (schema or JSON form), or None. KeyError for an
    unknown path, TypeError when the path is not a leaf."""
    return document_checker(schema).check_value(path, value)


def as_field_errors(issues, prefix: str = "coc") -> list[dict]:
    """DocumentIssues as the problem+json `errors` members: `{"field": "coc.MassGroup.ActualMass", ...}`."""
    return [{"field": f"{prefix}.{i.path}" if i.path else prefix, "message": i.message} for i in issues]


@functools.lru_cache(maxsize=8)
def document_checker(schema: IviSchema) -> "DocumentChecker":
    """The compiled checker of a schema (one per schema object)."""
    return DocumentChecker(schema)


class DocumentChecker:
    """The schema compiled into one plain-Python checker per element; `check(coc, level)` walks a document.

    `vehicle_paths` (schema paths) say what is vehicle-level; `max_rows` caps every table."""

    def __init__(self, schema: IviSchema, vehicle_paths=VEHICLE_LEVEL_PATHS, max_rows: int = MAX_ROWS):
        self.schema = schema
        self.max_rows = max_rows
        self._vehicle_paths = tuple(vehicle_paths)
        self._leaf_checks: dict[str, object] = {}
        self.root = self._compile(schema.coc)

    def check(self, coc, level: str | None = None) -> list[DocumentIssue]:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
        issues: list[DocumentIssue] = []
        if type(coc) is not dict:
            issues.append(DocumentIssue("", f"the CoC data must be an object of IVI elements, got {_kind(coc)}"))
        else:
            _check_group(self.root, coc, "", level, issues)
        return issues

    def check_value(self, path: str, value) -> str | None:
        node = self.node(path)
        if node.kind != LEAF:
            raise TypeError(f"{path} is a {node.kind}, not a value")
        return node.check(value)

    def node(self, path: str) -> "_Node":
        """The compiled element at a path below CocDataGroup, schema form (`AxleTable.AxleGroup.AxleNumber`)
        or JSON form (`AxleTable[0].AxleNumber`); KeyError when there is none."""
        node = self.root
        for step in [s for s in _INDEX.sub("", path).split(".") if s]:
            if node.kind == TABLE:
                node = node.row
                if step == node.name:
                    continue
            child = node.children.get(step)
            if child is None:
                raise KeyError(f"{path}: no element {step!r} in {node.name}")
            node = child
        return node

    # -- compiling the schema tree ------------------------------------------------------------------

    def _compile(self, definition: ElementDef) -> "_Node":
        path = definition.path
        vehicle = any(path == p or path.startswith(p + ".") for p in self._vehicle_paths) if path else False
        holds = bool(path) and any(p.startswith(path + ".") for p in self._vehicle_paths)
        if not path:  # the CocDataGroup itself
            holds = True
        node = _Node(definition.name, definition.kind, vehicle, holds)
        if definition.kind == LEAF:
            node.simple = definition.simple
            node.check = self._leaf_check(definition.simple)
        elif definition.kind == GROUP:
            node.children = {c.name: self._compile(c) for c in definition.children}
            node.names = tuple(node.children)
        else:
            row = definition.row
            node.row = self._compile(row)
            node.max_rows = min(row.max_occurs or self.max_rows, self.max_rows)
        return node

    def _leaf_check(self, simple: SimpleType):
        key = repr(simple)
        if key not in self._leaf_checks:
            self._leaf_checks[key] = _leaf_checker(simple)
        return self._leaf_checks[key]


class _Node:
    """A compiled element: `check(value)` for a leaf (None or the problem), `children` of a group, `row` of
    a table; `vehicle` when it is vehicle-level data, `holds_vehicle` when vehicle-level data lies below it."""

    __slots__ = ("name", "kind", "vehicle", "holds_vehicle", "children", "names", "row", "max_rows", "check",
                 "simple")

    def __init__(self, name, kind, vehicle, holds_vehicle):
        self.name, self.kind, self.vehicle, self.holds_vehicle = name, kind, vehicle, holds_vehicle
        self.children, self.names, self.row, self.max_rows, self.check, self.simple = {}, (), None, 0, None, None


# -- the walk -----------------------------------------------------------------------------------------

def _check_group(node: _Node, data: dict, prefix: str, level, issues: list) -> None:
    children = node.children
    for key, value in data.items():
        child = children.get(key)
        if child is None:
            issues.append(DocumentIssue(prefix + str(key), _unknown(key, node)))
            continue
        child_level = level
        if level is not None:
            refusal = _level_refusal(child, level)
            if refusal:
                issues.append(DocumentIssue(prefix + key, refusal))
                continue
            if level == "vehicle" and (child.vehicle or child.kind == TABLE):
                child_level = None  # vehicle data itself, or a table the vehicle replaces wholesale
        kind = child.kind
        if value is None:
            issues.append(DocumentIssue(prefix + key, _NULL))
        elif kind == LEAF:
            problem = child.check(value)
            if problem is not None:
                issues.append(DocumentIssue(prefix + key, problem))
        elif kind == GROUP:
            if type(value) is not dict:
                issues.append(DocumentIssue(prefix + key, f"{key} must be an object of its elements, got {_kind(value)}"))
            elif not value:
                issues.append(DocumentIssue(prefix + key, _EMPTY))
            else:
                _check_group(child, value, prefix + key + ".", child_level, issues)
        else:
            _check_table(child, value, prefix + key, child_level, issues)


def _check_table(node: _Node, rows, path: str, level, issues: list) -> None:
    row = node.row
    if type(rows) is not list:
        issues.append(DocumentIssue(path, f"{node.name} must be a list of {row.name} objects, got {_kind(rows)}"))
        return
    if not rows:
        issues.append(DocumentIssue(path, _EMPTY))
        return
    if len(rows) > node.max_rows:
        issues.append(DocumentIssue(path, f"{node.name} has {len(rows)} rows; at most {node.max_rows} are allowed"))
        return
    for index, data in enumerate(rows):
        here = f"{path}[{index}]"
        if type(data) is not dict:
            issues.append(DocumentIssue(here, f"a row of {node.name} must be a {row.name} object, got {_kind(data)}"))
        elif not data:
            issues.append(DocumentIssue(here, _EMPTY))
        else:
            _check_group(row, data, here + ".", level, issues)


def _level_refusal(node: _Node, level: str) -> str | None:
    if level == "type" and node.vehicle:
        return (f"{node.name} is vehicle-level data: it belongs to each vehicle's record, "
                "not to the type approval")
    if level == "vehicle" and not node.vehicle and not node.holds_vehicle:
        return (f"{node.name} is type-level data: it comes from the type approval, "
                "not from the vehicle's record")
    return None


_EMPTY = "is empty: omit the element instead of sending it empty"
_NULL = "is null: omit the element instead of sending null"


def _unknown(key, node: _Node) -> str:
    where = node.name
    if not isinstance(key, str):
        return f"{key!r} is not an element name"
    close = difflib.get_close_matches(key, node.names, n=1, cutoff=0.8)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unknown element {key!r} in {where}{hint}"


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"text ({_shorten(value)!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- leaf checkers: one closure per simple type, returning None or the problem ----------------------

def _leaf_checker(simple: SimpleType):
    if simple.is_integer:
        return _integer_checker(simple)
    if simple.is_decimal:
        return _decimal_checker(simple)
    if simple.base == "date":
        return _pattern_checker(simple, _DATE, "a date YYYY-MM-DD", _valid_date)
    if simple.base == "dateTime":
        return _pattern_checker(simple, _DATETIME, "a date and time YYYY-MM-DDThh:mm:ss", None)
    return _text_checker(simple)


def _text_checker(simple: SimpleType):
    name = simple.name
    codes = frozenset(simple.enumeration)
    listed = ", ".join(simple.enumeration[:_SHOWN_CODES]) + (
        f", … ({len(simple.enumeration)} codes)" if len(simple.enumeration) > _SHOWN_CODES else "")
    patterns = [re.compile(p) for p in simple.patterns]
    low = max(simple.min_length or 1, simple.length or 0)  # empty is never a value in IVI
    high = simple.length or simple.max_length

    def check(value):
        if type(value) is not str:
            return f"expected text ({name}), got {_kind(value)}"
        n = len(value)
        if n == 0:
            return _EMPTY
        if codes:
            return None if value in codes else f"{_shorten(value)!r} is not a code of {name}; allowed: {listed}"
        if value.isspace():
            return "is blank: omit the element instead of sending only spaces"
        if high is not None and n > high:
            return f"is {n} characters long; {name} allows at most {high}"
        if n < low:
            return f"is {n} characters long; {name} needs {'exactly' if simple.length else 'at least'} {low}"
        for pattern in patterns:
            if not pattern.fullmatch(value):
                return f"{_shorten(value)!r} does not match the pattern {pattern.pattern} of {name}"
        return None

    return check


def _integer_checker(simple: SimpleType):
    name = simple.name
    low, high = _BUILTIN_RANGES.get(simple.base, (None, None))
    if simple.min_value is not None:
        low = int(math.ceil(simple.min_value))
    if simple.max_value is not None:
        high = int(math.floor(simple.max_value))
    if simple.total_digits is not None:
        bound = 10**simple.total_digits - 1
        high = bound if high is None else min(high, bound)
        low = -bound if low is None else max(low, -bound)
    span = _span(low, high)

    def check(value):
        if type(value) is not int:
            if type(value) is float and math.isfinite(value) and value.is_integer():
                return f"expected a whole number ({name}), got {value!r}: write it without a fraction"
            return f"expected a whole number ({name}), got {_kind(value)}"
        if (low is not None and value < low) or (high is not None and value > high):
            return f"{value} is out of range: {name} allows {span}"
        return None

    return check


def _decimal_checker(simple: SimpleType):
    name = simple.name
    low, high = simple.min_value, simple.max_value
    low_f = float(low) if low is not None else -math.inf
    high_f = float(high) if high is not None else math.inf
    total, fraction = simple.total_digits, simple.fraction_digits
    int_bound = 10**total if total is not None else None
    span = _span(low, high) + (f" with at most {fraction} decimals" if fraction is not None else "")
    out_of_range = f"{{}} is out of range: {name} allows {span}"

    def judge(number: Decimal, shown):
        if (low is not None and number < low) or (high is not None and number > high):
            return out_of_range.format(shown)
        sign, digits, exponent = number.normalize().as_tuple() if number else (0, (0,), 0)
        places = -exponent if exponent < 0 else 0
        if fraction is not None and places > fraction:
            return f"{shown} has {places} decimals; {name} allows {fraction}"
        width = max(len(digits) + (exponent if exponent > 0 else 0), places)
        if total is not None and width > total:
            return f"{shown} has {width} digits; {name} allows {total} in total"
        return None

    def check(value):
        kind = type(value)
        if kind is int:
            if low_f <= value <= high_f and (int_bound is None or -int_bound < value < int_bound):
                return None
            return judge(Decimal(value), value)
        if kind is float:
            if not math.isfinite(value):
                return f"{value!r} is not a finite number"
            if not low_f <= value <= high_f:
                return out_of_range.format(repr(value))
            text = repr(value)
            if "e" in text or "E" in text:
                return judge(Decimal(text), text)
            whole, _, part = text.partition(".")
            part = part.rstrip("0")
            if fraction is not None and len(part) > fraction:
                return f"{text} has {len(part)} decimals; {name} allows {fraction}"
            if total is not None and len(whole.lstrip("-").lstrip("0")) + len(part) > total:
                return judge(Decimal(text), text)
            return None
        if kind is str:
            lexical = value.strip()
            if not lexical:
                return _EMPTY
            if not _DECIMAL_LEXICAL.fullmatch(lexical):
                return f"expected a number ({name}), got {_kind(value)}"
            try:
                return judge(Decimal(lexical), repr(value))
            except InvalidOperation:  # pragma: no cover - the lexical pattern admits only decimals
                return f"expected a number ({name}), got {_kind(value)}"
        return f"expected a number ({name}), got {_kind(value)}"

    return check


def _pattern_checker(simple: SimpleType, lexical: re.Pattern, what: str, extra):
    name = simple.name

    def check(value):
        if type(value) is not str:
            return f"expected {what} as text ({name}), got {_kind(value)}"
        if not value:
            return _EMPTY
        match = lexical.fullmatch(value)
        if match is None or (extra is not None and not extra(match)):
            return f"{_shorten(value)!r} is not {what}"
        return None

    return check


def _valid_date(match) -> bool:
    try:
        _dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


def _span(low, high) -> str:
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"{low} or more"
    if high is not None:
        return f"{high} or less"
    return "any value"


__all__ = ["DocumentIssue", "DocumentChecker", "MAX_ROWS", "as_field_errors", "check_coc", "check_value",
           "document_checker"]
