"""An approval (or one more version of it) from an IVI 2.0 message: its type-level part.

The message's identity elements become the approval's fields (number, issue date, approval type,
provisional, category, stage of completion) and the version's (type, variant, version); the rest of the
type-level data becomes the approval-level CoC. So the version's `type_level_coc` reads back exactly
the message's type-level part.

A message for an approval that exists adds its version to the current revision. The revision's
approval-level CoC keeps only what the new version shares with it: an element the new version lacks,
or cannot reach by merging, moves down into each existing version's own CoC. What every existing version
resolves to is unchanged, and the new version resolves to its message's data.
"""
from common.ivi.catalogue import split_levels
from services.approvals.domain.errors import Clash, Rejected
from services.approvals.domain.model import IDENTITY, deep_merge, key_text

_APPROVAL_FIELDS = ("approval_type", "provisional", "category", "stage_of_completion")


def registration_from_ivi(coc, entity):
    """The registration body (the input of `ApprovalIn`) for the type-level part of an IVI `coc`."""
    type_level, _ = split_levels(coc)
    missing = [name for name in IDENTITY if name not in type_level]
    if missing:
        raise Rejected("The IVI message lacks what identifies its approval.", [
            {"field": name, "message": f"the IVI message has no {name}"} for name in missing])
    return {
        "number": type_level["TypeApprovalNumber"], "issue_date": type_level["TypeApprovalIssueDate"],
        "approval_type": type_level["TypeApprovalType"],
        "provisional": type_level["ProvisionalTypeApprovalIndicator"] == "Y",
        "entity": entity, "category": type_level["VehicleCategory"],
        "stage_of_completion": type_level["StageOfCompletion"],
        "coc": {name: value for name, value in type_level.items() if name not in IDENTITY},
        "versions": [{"type": type_level["Type"], "variant": type_level["Variant"],
                      "version": type_level["Version"], "coc": {}, "ranges": {}}],
    }


def ivi_field(field):
    """A registration field named as the IVI element it came from (`number` -> `TypeApprovalNumber`)."""
    by_field = {f: name for name, f in IDENTITY.items()}
    for prefix in ("versions[0].coc.", "coc."):
        if field.startswith(prefix):
            return field[len(prefix):]
    return by_field.get(field.removeprefix("versions[0]."), field)


def add_version(approval, data):
    """The approval-level CoC and versions of the current revision with the version of `data` (a loaded
    registration from IVI) added; None when that version is there already with the same data."""
    current = approval.current
    [version] = data["versions"]
    key = (version["type"], version["variant"], version["version"])
    differences = [f for f in _APPROVAL_FIELDS if getattr(approval, f) != data[f]]
    if data["entity"] != approval.entity:
        differences.append("entity")
    if data["number"] != current.number or data["issue_date"] != current.issue_date:
        raise Clash(f"the IVI message is for {data['number']} issued {data['issue_date'].isoformat()}, but the "
                    f"approval is at {current.number} issued {current.issue_date.isoformat()}: register the "
                    "extension first")
    if differences:
        raise Clash(f"the IVI message differs from approval {current.number} in {', '.join(differences)}")
    target = data["coc"]
    if key in current.versions:
        stored = deep_merge(current.coc, current.versions[key]["coc"])
        if stored == target:
            return None
        raise Clash(f"version {key_text(key)} of {current.number} exists with different data "
                    f"(in {', '.join(_differing(stored, target))})")
    return _with_version(current.coc, current.versions, key, target)


def _with_version(coc, versions, key, target):
    shared = {name: value for name, value in coc.items()
              if name in target and _override(value, target[name]) is not None}
    moved = [name for name in coc if name not in shared]
    after = {}
    for other, entry in versions.items():
        own = dict(entry["coc"])
        for name in moved:
            own[name] = deep_merge({name: coc[name]}, {name: own[name]} if name in own else {})[name]
        after[other] = dict(entry, coc=own)
    after[key] = {"coc": _override(shared, target), "ranges": {}}
    return shared, after


def _override(base, target):
    """What merged over `base` gives `target` (`deep_merge`), or None when merging cannot (a key to drop)."""
    if not (isinstance(base, dict) and isinstance(target, dict)):
        return target
    if any(name not in target for name in base):
        return None
    out = {}
    for name, wanted in target.items():
        if name not in base:
            out[name] = wanted
        elif base[name] != wanted:
            below = _override(base[name], wanted)
            if below is None:
                return None
            out[name] = below
    return out


def _differing(stored, target):
    return sorted(name for name in stored.keys() | target.keys() if stored.get(name) != target.get(name))
