"""Vehicle records as versioned data: what a revision holds, what changed between two, and edits."""
import copy

RECORD_FIELDS = ("approval_number", "type", "variant", "version", "production_date", "intended_country",
                 "entity", "coc")


def record_of(data):
    """The comparable, JSON-able content of a vehicle (dates as ISO strings)."""
    out = {k: data.get(k) for k in RECORD_FIELDS}
    if hasattr(out["production_date"], "isoformat"):
        out["production_date"] = out["production_date"].isoformat()
    return out


def diff(old, new, prefix=""):
    """Field-level differences as [{path, old, new}], descending into dicts."""
    changes = []
    old, new = old or {}, new or {}
    for key in sorted(set(old) | set(new), key=str):
        path = f"{prefix}.{key}" if prefix else str(key)
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            changes.extend(diff(a, b, path))
        elif a != b:
            changes.append({"path": path, "old": a, "new": b})
    return changes


def merge_patch(target, patch):
    """JSON merge patch (RFC 7396): objects merge key by key, null removes, anything else replaces.

    An object the patch leaves empty is removed as well (IVI omits empty elements)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
            continue
        merged = merge_patch(out.get(key), value)
        if merged == {}:
            out.pop(key, None)
        else:
            out[key] = merged
    return out


def edited(current, changes):
    """The vehicle's data after a PATCH or correction body (`coc` as merge patch, other fields replace)."""
    data = record_of(current)
    data["vin"] = current["vin"]
    for key in ("production_date", "intended_country"):
        if key in changes:
            data[key] = changes[key].isoformat() if hasattr(changes[key], "isoformat") else changes[key]
    if "coc" in changes:
        data["coc"] = merge_patch(current.get("coc") or {}, changes["coc"])
    return data
