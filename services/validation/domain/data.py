"""Reading IVI-shaped JSON for rules: tables, groups, numbers, paths; and the certificate as composed.

Rules only read. `compose` builds the certificate view without copying: dicts are merged where the
vehicle's data meets the approval's, everything else is shared with its source.
"""
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from common.composition import compose_coc

_INDEX = re.compile(r"\[\d+\]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def compose(type_level, vehicle):
    """The certificate data of a vehicle as signing composes it, as a view sharing the approval's data."""
    return compose_coc(type_level, vehicle, share=True)


def iso_date(text):
    """A `YYYY-MM-DD` text as a date; None for anything else (no other ISO spelling is an IVI date)."""
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def nested_rows(data, table, inner):
    """[(outer index, inner index, outer row, inner row)] of a table whose rows hold another table."""
    return [(i, j, outer, row) for i, outer in enumerate(rows(data, table)) for j, row in enumerate(rows(outer, inner))]


def group(data, key):
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def rows(data, key):
    value = data.get(key) if isinstance(data, dict) else None
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def number(value):
    """A numeric leaf as int, float or Decimal; None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def present(value):
    return value is not None and value != "" and value != [] and value != {}


@lru_cache(maxsize=1024)
def schema_path(path):
    """`AxleTable[1].TechnicallyPermissibleMassAxle` -> `AxleTable.AxleGroup.TechnicallyPermissibleMassAxle`."""
    steps = [s for s in _INDEX.sub("", path).split(".") if s]
    out = []
    for i, step in enumerate(steps):
        out.append(step)
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        if step.endswith("Table") and nxt is not None and nxt != row_name(step):
            out.append(row_name(step))
    return ".".join(out)


def row_name(table):
    return table[: -len("Table")] + "Group"


def values_at(data, path):
    """Every value at a schema path (`MassGroup.ActualMass`, `AxleTable.AxleGroup.AxleNumber`), with its
    JSON path (`AxleTable[1].AxleNumber`): a table yields one value per row."""
    yield from _walk(data, schema_path(path).split("."), "")


def _walk(node, steps, where):
    if not steps:
        if present(node):
            yield where, node
        return
    if isinstance(node, list):
        for i, row in enumerate(node):
            yield from _walk(row, steps[1:], f"{where}[{i}]")
        return
    if isinstance(node, dict) and steps[0] in node:
        here = f"{where}.{steps[0]}" if where else steps[0]
        yield from _walk(node[steps[0]], steps[1:], here)


def first(data, path):
    """The first value at `path`, or None."""
    for _, value in values_at(data, path):
        return value
    return None
