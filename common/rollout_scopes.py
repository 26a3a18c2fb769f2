"""Rollout scopes: which part of an entity's production ecoc issues for, and in which mode.

A scope belongs to one legal entity and has a selector and a mode. The selector names, per dimension, the values
a vehicle must have; an empty (or absent) dimension matches anything:

    approval_numbers  type-approval numbers; a number without its extension section matches every extension
    types             [{"type": T, "variant": V?}]: a type, or a type's variant
    vin_prefixes      WMI (3 characters) or a longer VIN prefix: a plant
    categories        vehicle categories (M1, N1, ...)
    countries         intended countries of registration (Vienna codes)

Specificity is the number of dimensions a selector names; a vehicle falls in the most specific scope of its entity
that matches it. Two scopes of equal specificity that could match one vehicle are refused when saved (`overlap`),
so the most specific match is always unique. An entity without a catch-all scope (an empty selector) has the
implicit `DEFAULT` scope, which is live: ecoc issues for everything no scope was made for, as before rollout.

Modes: `off` (ecoc does not issue), `shadow` (ecoc composes and compares, hands nothing out), `live` (ecoc issues).
Used by the rollout service (saving scopes) and the vehicles service (the release path asks `scope_of` of a local
copy of the scopes that `scope_changed` events keep current, so releasing costs no extra RPC).
"""
import re

MODES = ("off", "shadow", "live")
DIMENSIONS = ("approval_numbers", "types", "vin_prefixes", "categories", "countries")
VIN_PREFIX = re.compile(r"[A-HJ-NPR-Z0-9]{1,17}")
DEFAULT = {"id": None, "name": "default", "mode": "live", "selector": {}, "specificity": 0}


def specificity(selector):
    return sum(1 for d in DIMENSIONS if selector.get(d))


def subject_of(vehicle, category=None):
    """What a selector looks at, from a vehicle record (and the category of its approval, when known)."""
    return {"approval_number": vehicle.get("approval_number"), "type": vehicle.get("type"),
            "variant": vehicle.get("variant"), "vin": vehicle.get("vin") or "",
            "category": category, "country": vehicle.get("intended_country")}


def _number_matches(pattern, number):
    return number is not None and (number == pattern or number.startswith(pattern + "*"))


def _type_matches(entry, subject):
    return entry["type"] == subject.get("type") and entry.get("variant") in (None, subject.get("variant"))


def matches(selector, subject):
    """Whether a vehicle (`subject_of`) is selected; a dimension the subject cannot tell (e.g. no category
    known) never matches a selector that names it."""
    tests = {
        "approval_numbers": lambda v: any(_number_matches(p, subject.get("approval_number")) for p in v),
        "types": lambda v: any(_type_matches(e, subject) for e in v),
        "vin_prefixes": lambda v: any(subject.get("vin", "").startswith(p) for p in v),
        "categories": lambda v: subject.get("category") in v,
        "countries": lambda v: subject.get("country") in v,
    }
    return all(tests[d](selector[d]) for d in DIMENSIONS if selector.get(d))


def scope_of(subject, scopes):
    """The scope a vehicle falls in among its entity's `scopes` (most specific match), else `DEFAULT`."""
    best = None
    for scope in scopes:
        if matches(scope["selector"], subject):
            rank = specificity(scope["selector"])
            if best is None or rank > specificity(best["selector"]):
                best = scope
    return best or DEFAULT


def _dimension_overlaps(dimension, a, b):
    if dimension == "approval_numbers":
        return any(_number_matches(x, y) or _number_matches(y, x) or x == y for x in a for y in b)
    if dimension == "types":
        return any(x["type"] == y["type"] and (x.get("variant") is None or y.get("variant") is None
                                               or x["variant"] == y["variant"]) for x in a for y in b)
    if dimension == "vin_prefixes":
        return any(x.startswith(y) or y.startswith(x) for x in a for y in b)
    return bool(set(a) & set(b))


def overlap(a, b):
    """Whether selectors `a` and `b` could both match one vehicle: every dimension both name must intersect."""
    return all(_dimension_overlaps(d, a[d], b[d]) for d in DIMENSIONS if a.get(d) and b.get(d))


def conflicting(selector, others):
    """The first of `others` (scopes of the same entity) of equal specificity that overlaps `selector`, or None."""
    rank = specificity(selector)
    for other in others:
        if specificity(other["selector"]) == rank and overlap(selector, other["selector"]):
            return other
    return None


def normalised(selector):
    """The selector with empty dimensions dropped and values sorted (what is stored and compared)."""
    out = {}
    for d in DIMENSIONS:
        values = selector.get(d) or []
        if not values:
            continue
        if d == "types":
            out[d] = sorted(({k: v for k, v in e.items() if v is not None} for e in values),
                            key=lambda e: (e["type"], e.get("variant") or ""))
        else:
            out[d] = sorted(set(values))
    return out


def release_refusal(scope):
    """Why a vehicle in `scope` is not released by ecoc, or None when the scope is live."""
    if scope["mode"] == "live":
        return None
    what = "does not issue for it" if scope["mode"] == "off" else "composes and compares it, but does not issue it"
    return (f"outside a live rollout scope: it is in scope {scope['name']!r} ({scope['id']}), which is "
            f"{scope['mode']}: ecoc {what}")
