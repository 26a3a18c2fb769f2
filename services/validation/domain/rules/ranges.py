"""Values against ranges: the version's approved ranges, and the certificate's own Min/Max pairs."""
from ..data import number, values_at
from ..engine import Rule
from ..findings import ERROR, Problem
from ..wording import num
from .approval import RESOLVED

_RANGE_INFIXES = ("Variable", "Adjustable")


def inside_approved_ranges(ctx):
    for path, bounds in sorted((ctx.resolution.get("ranges") or {}).items()):
        if not isinstance(bounds, dict):
            continue
        low, high = number(bounds.get("min")), number(bounds.get("max"))
        wanted = _between(low, high)
        found = list(values_at(ctx.coc, path))
        if not found:
            yield Problem(wanted, "no value", path=path, where=path,
                          detail=f"no value is stated, but the approval gives the range {wanted}: the certificate "
                                 "states the vehicle's own value")
        for where, value in found:
            value_n = number(value)
            if value_n is None or (low is not None and value_n < low) or (high is not None and value_n > high):
                yield Problem(wanted, num(value), path=where, where=where,
                              detail=f"the vehicle's value {num(value)} is outside the approved range {wanted}")


def _between(low, high):
    if low is not None and high is not None:
        return f"{num(low)} to {num(high)}"
    return f"at least {num(low)}" if low is not None else f"at most {num(high)}"


def own_min_max(ctx):
    if not _any_outside(ctx.coc):  # the common case: one pass, no paths built
        return []
    out = []
    _pairs(ctx.coc, "", out)
    return out


def _any_outside(data):
    for key, value in data.items():
        kind = type(value)
        if kind is dict:
            if _any_outside(value):
                return True
        elif kind is list:
            for row in value:
                if type(row) is dict and _any_outside(row):
                    return True
        elif key[-3:] == "Min" and _outside(data, key, value) is not None:
            return True
    return False


def _outside(data, key, value):
    """None, or (path suffix, expected, found, detail) when a Min/Max pair or its value is out of order."""
    stem = key[:-3]
    low, high = number(value), number(data.get(stem + "Max"))
    if low is None or high is None:
        return None
    if low > high:
        return (key, f"{stem}Min at most {stem}Max ({num(high)})", num(low),
                f"{stem}Min {num(low)} is above {stem}Max {num(high)}")
    base = _base_of(stem)
    fixed = number(data.get(base))
    if fixed is not None and not low <= fixed <= high:
        return (base, f"{num(low)} to {num(high)}", num(fixed),
                f"{base} {num(fixed)} lies outside its own range {stem}Min-{stem}Max")
    return None


def _pairs(data, where, out):
    for key, value in data.items():
        kind = type(value)
        if kind is dict:
            _pairs(value, f"{where}{key}.", out)
        elif kind is list:
            for i, row in enumerate(value):
                if type(row) is dict:
                    _pairs(row, f"{where}{key}[{i}].", out)
        elif key[-3:] == "Min":
            found = _outside(data, key, value)
            if found is not None:
                suffix, expected, value_found, detail = found
                out.append(Problem(expected, value_found, path=f"{where}{suffix}", detail=detail))


def _base_of(stem):
    """`MassInRunningOrderVariable` -> `MassInRunningOrder`; `AllowedActualMass` stays."""
    for infix in _RANGE_INFIXES:
        if stem.endswith(infix):
            return stem[: -len(infix)]
    return stem


RULES = [
    Rule("RNG-001", ERROR, "CocDataGroup",
         "Every value the version's approval gives as a range (e.g. mass in running order) is stated for the vehicle "
         "and lies inside that range: the eCoC carries the vehicle's value, never the range.",
         inside_approved_ranges, requires=RESOLVED,
         message="{where}: {detail}."),
    Rule("RNG-002", ERROR, "CocDataGroup",
         "Every ...Min is at most its ...Max, and a value given beside its own Variable/Adjustable Min-Max range "
         "lies inside it.", own_min_max, requires=RESOLVED,
         message="{detail}."),
]
