"""Parity: does the legacy system's eCoC say what ecoc's composition says? A field-by-field comparison.

Both sides are IVI-shaped `coc` objects (`common.ivi.reader`, `common.composition`). They are compared in a
canonical form, walking the official schema:
- children of a group (an `xs:all` group: any order in the XML) are compared by element name;
- a table is a multiset of rows: rows equal in canonical form pair off whatever their order, and the remaining
  rows are paired in document order and compared field by field (a row only one side has is reported whole);
- numbers are compared as decimals ("44.00" = 44 = 44.0), dates as their YYYY-MM-DD day (a time zone suffix
  is dropped), texts exactly.

Excluded from the comparison, and listed in every report as `EXCLUDED`: the message header (IviReferenceId,
version number and date, the countries of the envelope: bookkeeping of the message, not CoC content), the
`ds:Signature`, and `SigningAuthorityTable` (who signed and on which day: the issuer's act, which ecoc adds only
when it seals).

A difference is `{"path", "legacy", "ecoc", "mandatory"}`: the JSON path with row indexes of the legacy document
(`AxleTable[1].TyreAxleTable[0].TyreSize`), both values as the documents state them (None where one side has no
such element) and whether the field is mandatory (`common.ivi.MANDATORY_PATHS`), which the cut-over gate needs.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from common.canonical import content_sha256
from common.ivi import MANDATORY_PATHS

EXCLUDED = {
    "Header": "message bookkeeping (IviReferenceId, IviVersionNumber, IviVersionDateTime, envelope countries)",
    "Signature": "the seal itself (ds:Signature)",
    "SigningAuthorityTable": "who signed and on which day: added by the issuer when sealing",
}
_EXCLUDED_COC = frozenset({"SigningAuthorityTable"})
_INDEX = re.compile(r"\[\d+\]")
_MANDATORY = frozenset(MANDATORY_PATHS)


def is_mandatory(path):
    """Whether a JSON path (with row indexes) is a mandatory field, or holds one (a whole row or group)."""
    form = _schema_form(path)
    return form in _MANDATORY or any(m.startswith(form + ".") for m in _MANDATORY)


def _schema_form(path):
    """`ManufacturerTable[0].ManufacturerName` -> `ManufacturerTable.ManufacturerGroup.ManufacturerName`."""
    out = []
    for part in path.split("."):
        name = _INDEX.sub("", part)
        out.append(name)
        if part != name and name.endswith("Table"):
            out.append(name[:-5] + "Group")
    return ".".join(out)


def compare(schema, legacy, ecoc):
    """The differences between two `coc` objects (see the module docstring); [] when they agree."""
    diffs = []
    _group(schema.coc, {k: v for k, v in legacy.items() if k not in _EXCLUDED_COC},
           {k: v for k, v in ecoc.items() if k not in _EXCLUDED_COC}, "", diffs)
    for d in diffs:
        d["mandatory"] = is_mandatory(d["path"])
    return diffs


def _group(definition, a, b, prefix, diffs):
    for name in sorted(set(a) | set(b)):
        if a.get(name) == b.get(name):  # equal as JSON is equal in canonical form: most of a document
            continue
        path = prefix + name
        sub = definition.child(name) if definition is not None else None
        _value(sub, a.get(name), b.get(name), path, diffs)


def _value(definition, a, b, path, diffs):
    if a is None or b is None:
        if a is not None or b is not None:
            diffs.append({"path": path, "legacy": a, "ecoc": b})
        return
    kind = definition.kind if definition is not None else None
    if kind == "group" and isinstance(a, dict) and isinstance(b, dict):
        _group(definition, a, b, path + ".", diffs)
    elif kind == "table" and isinstance(a, list) and isinstance(b, list):
        _table(definition.row, a, b, path, diffs)
    elif canonical(definition, a) != canonical(definition, b):
        diffs.append({"path": path, "legacy": a, "ecoc": b})


def _table(row, a, b, path, diffs):
    keys_b = [content_sha256(canonical(row, r)) for r in b]
    unmatched_b = list(range(len(b)))
    unmatched_a = []
    for i, r in enumerate(a):
        key = content_sha256(canonical(row, r))
        j = next((j for j in unmatched_b if keys_b[j] == key), None)
        if j is None:
            unmatched_a.append(i)
        else:
            unmatched_b.remove(j)
    for i, j in zip(unmatched_a, unmatched_b):
        _group(row, a[i], b[j], f"{path}[{i}].", diffs)
    for i in unmatched_a[len(unmatched_b):]:
        diffs.append({"path": f"{path}[{i}]", "legacy": a[i], "ecoc": None})
    for j in unmatched_b[len(unmatched_a):]:  # a row only ecoc has: named by its index in ecoc's table
        diffs.append({"path": f"{path}[{j}]", "legacy": None, "ecoc": b[j]})


def canonical(definition, value):
    """A JSON value in canonical form: decimals as normalised strings, dates as the day, tables sorted."""
    kind = definition.kind if definition is not None else None
    if isinstance(value, dict):
        return {k: canonical(definition.child(k) if definition is not None else None, v)
                for k, v in value.items()}
    if isinstance(value, list):
        row = definition.row if kind == "table" else None
        return sorted((canonical(row, v) for v in value), key=content_sha256)
    simple = definition.simple if definition is not None else None
    if simple is not None and (simple.is_integer or simple.is_decimal) or isinstance(value, (int, float)):
        try:
            number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        except InvalidOperation:
            return value
        return "n:" + (format(number.normalize(), "f") if number else "0")
    if simple is not None and simple.base == "date" and isinstance(value, str):
        return value[:10]
    return value


def digest(coc):
    """The SHA-256 of a `coc` in canonical form without the excluded parts (what a parity result remembers)."""
    return content_sha256(canonical(None, {k: v for k, v in coc.items() if k not in _EXCLUDED_COC}))
