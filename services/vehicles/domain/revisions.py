"""Vehicle records as versioned data: what a revision holds and what changed between two."""
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
