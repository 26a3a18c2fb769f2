"""Vehicle-level data stays vehicle-level: a vehicle record changes only what varies per VIN."""
from common.ivi.catalogue import VEHICLE_LEVEL_PATHS

from ..data import present, row_name, schema_path
from ..engine import Rule
from ..findings import ERROR, Problem
from ..wording import num
from .approval import RESOLVED

_ABSENT = object()


def free_tree(paths):
    """Schema paths as a tree of dicts; True marks a free leaf or subtree."""
    root = {}
    for path in paths:
        node, steps = root, path.split(".")
        for step in steps[:-1]:
            node = node.setdefault(step, {})
            if node is True:
                break
        else:
            node[steps[-1]] = True
    return root


VEHICLE_LEVEL = free_tree(VEHICLE_LEVEL_PATHS)


def own_data_only(ctx):
    type_level = ctx.resolution.get("coc") or {}
    ranges = ctx.resolution.get("ranges") or {}
    free = free_tree(list(VEHICLE_LEVEL_PATHS) + [schema_path(p) for p in ranges]) if ranges else VEHICLE_LEVEL
    for where, approved, found in _changes(ctx.vehicle.get("coc") or {}, type_level, "", free):
        yield Problem(_show(approved), _show(found), path=where, where=where)


def _below(free, key):
    """The free-tree node under `key` (True: all of it is free; None: nothing below is)."""
    return free.get(key) if free else None


def _rows_of(free, key):
    node = _below(free, key)
    return node.get(row_name(key)) if isinstance(node, dict) else node


def _changes(data, approved, jpath, free):
    for key, value in data.items():
        node = _below(free, key)
        if node is True:
            continue
        jp = f"{jpath}.{key}" if jpath else key
        under = approved.get(key, _ABSENT) if isinstance(approved, dict) else _ABSENT
        if isinstance(value, dict):
            yield from _changes(value, under if isinstance(under, dict) else {}, jp, node)
        elif isinstance(value, list):
            # a table comes whole from the vehicle when it holds vehicle-level values (the fitted tyre of an
            # axle): with those set aside it must be the approved table
            difference = _difference(under if isinstance(under, list) else [], value, _rows_of(free, key), jp)
            if difference is not None:
                yield difference
        elif present(value) or (under is not _ABSENT and present(under)):
            if under is _ABSENT or value != under:
                yield jp, under, value


def _difference(approved, found, free, where):
    """The first (where, approved, found) that differs once free paths and empty values are set aside."""
    if approved is found:
        return None
    if isinstance(approved, list) and isinstance(found, list):
        if len(approved) != len(found):
            approved = [r for r in approved if not _blank(r, free)]
            found = [r for r in found if not _blank(r, free)]
            if len(approved) != len(found):
                return where, f"{len(approved)} rows", f"{len(found)} rows"
        for i, (a, f) in enumerate(zip(approved, found)):
            difference = _difference(a, f, free, f"{where}[{i}]")
            if difference is not None:
                return difference
        return None
    if isinstance(approved, dict) and isinstance(found, dict):
        for key in approved.keys() | found.keys():
            node = _below(free, key)
            if node is True:
                continue
            a, f = approved.get(key, _ABSENT), found.get(key, _ABSENT)
            if a is f or a == f:
                continue
            child = _rows_of(free, key) if isinstance(a, list) or isinstance(f, list) else node
            if a is _ABSENT or f is _ABSENT:
                if _blank(f if a is _ABSENT else a, child):
                    continue
                return f"{where}.{key}", a, f
            difference = _difference(a, f, child, f"{where}.{key}")
            if difference is not None:
                return difference
        return None
    if approved == found or (_blank(approved, free) and _blank(found, free)):
        return None
    return where, approved, found


def _blank(value, free):
    """Nothing left once the free paths are set aside (an absent, empty or free-only value)."""
    if free is True or value is _ABSENT or not present(value):
        return True
    if isinstance(value, list):
        return all(_blank(r, free) for r in value)
    if isinstance(value, dict):
        for key, child in value.items():
            node = _below(free, key)
            if node is not True and not _blank(child, _rows_of(free, key) if isinstance(child, list) else node):
                return False
        return True
    return False


def _show(value):
    if value is _ABSENT or value is None or value == "":
        return "no value"
    if isinstance(value, (dict, list)):
        return "other data"
    return num(value)


RULES = [
    Rule("LVL-001", ERROR, "CocDataGroup",
         "A vehicle record changes only vehicle-level data (domain §2: production data such as actual mass, colour, "
         "fitted tyres, individual WLTP values, small-series numbers, signature) and values the approval gives as a "
         "range; every other value comes from the approval in force.", own_data_only, requires=RESOLVED,
         message="{where}: the vehicle record gives {found}, but the type approval in force says {expected}. Only "
                 "vehicle-level data and values approved as a range may differ per vehicle; correct the vehicle data "
                 "or register an extension of the approval."),
]
