"""The type approval as plain Python: immutable revisions (registration, then one per extension) holding
the complete type-level data, and the type-level CoC a version gets from the revision.

A revision's `coc` is the approval-level part; each version's `coc` is merged over it (`deep_merge`:
objects merge key by key, a table or value replaces). The approval's identity (number, issue date,
approval type, provisional, category, stage of completion; type, variant and version) is held once, as
fields, and written into the CoC by `type_level_coc`, never stored inside `coc`.
"""
import copy
from dataclasses import dataclass, field

from common.approval_number import parse_approval_number

# IVI element -> the field of the approval (or of its version) that gives its value
IDENTITY = {
    "TypeApprovalNumber": "number",
    "TypeApprovalIssueDate": "issue_date",
    "TypeApprovalType": "approval_type",
    "ProvisionalTypeApprovalIndicator": "provisional",
    "StageOfCompletion": "stage_of_completion",
    "VehicleCategory": "category",
    "Type": "type",
    "Variant": "variant",
    "Version": "version",
}


@dataclass
class Revision:
    revision: int
    extension: int
    number: str
    issue_date: object  # datetime.date
    coc: dict
    versions: dict = field(default_factory=dict)  # (type, variant, version) -> {"coc", "ranges"}
    reason: str = None
    created_at: object = None  # datetime.datetime
    created_by: str = None


@dataclass
class Approval:
    id: str
    number: str
    entity: str
    approval_type: str
    provisional: bool
    category: str
    stage_of_completion: str
    status: str
    withdrawn_on: object  # datetime.date of effect, or None
    revisions: list  # of Revision, any order
    withdrawal_reason: str = None
    withdrawn_at: object = None
    withdrawn_by: str = None

    @property
    def current(self):
        return max(self.revisions, key=lambda r: r.revision)

    @property
    def first_issue_date(self):
        return min(r.issue_date for r in self.revisions)

    @property
    def base_number(self):
        return parse_approval_number(self.number).base

    @property
    def withdrawn(self):
        return self.status == "withdrawn"


def deep_merge(base, override):
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def identity_coc(approval, revision, key):
    type_, variant, version = key
    return {
        "TypeApprovalNumber": revision.number,
        "TypeApprovalIssueDate": revision.issue_date.isoformat(),
        "TypeApprovalType": approval.approval_type,
        "ProvisionalTypeApprovalIndicator": "Y" if approval.provisional else "N",
        "StageOfCompletion": approval.stage_of_completion,
        "VehicleCategory": approval.category,
        "Type": type_, "Variant": variant, "Version": version,
    }


def type_level_coc(approval, revision, key):
    """The complete type-level CoC of version `key` in `revision`: what a vehicle of it is certified with."""
    coc = deep_merge(revision.coc, revision.versions[key]["coc"])
    coc.update(identity_coc(approval, revision, key))
    return coc


def version_key(version):
    return version["type"], version["variant"], version["version"]


def key_dict(key):
    return {"type": key[0], "variant": key[1], "version": key[2]}


def key_text(key):
    return " / ".join(key)


def approval_view(approval):
    """The approval as the API shows it: current revision, its versions, extension history, withdrawal."""
    revisions = sorted(approval.revisions, key=lambda r: r.revision)
    current = revisions[-1]
    return {
        "id": approval.id, "number": current.number, "entity": approval.entity,
        "approval_type": approval.approval_type, "provisional": approval.provisional,
        "category": approval.category, "stage_of_completion": approval.stage_of_completion,
        "status": approval.status, "withdrawn_on": _iso(approval.withdrawn_on),
        "withdrawal": None if not approval.withdrawn else {
            "effective_date": _iso(approval.withdrawn_on), "reason": approval.withdrawal_reason,
            "withdrawn_by": approval.withdrawn_by, "withdrawn_at": _iso(approval.withdrawn_at)},
        "revision": current.revision, "extension": current.extension, "issue_date": _iso(current.issue_date),
        "coc": current.coc,
        "versions": [
            dict(key_dict(key), coc=entry["coc"], ranges=entry["ranges"],
                 type_level_coc=type_level_coc(approval, current, key))
            for key, entry in sorted(current.versions.items())
        ],
        "history": [_history_entry(r, previous) for previous, r in zip([None] + revisions, revisions)],
    }


def _history_entry(revision, previous):
    before = previous.versions if previous else {}
    after = revision.versions
    return {
        "revision": revision.revision, "extension": revision.extension, "number": revision.number,
        "issue_date": _iso(revision.issue_date), "reason": revision.reason,
        "created_by": revision.created_by, "created_at": _iso(revision.created_at),
        "versions_added": [key_dict(k) for k in sorted(after.keys() - before.keys())],
        "versions_changed": [key_dict(k) for k in sorted(after.keys() & before.keys()) if after[k] != before[k]],
        "versions_removed": [key_dict(k) for k in sorted(before.keys() - after.keys())],
    }


def _iso(value):
    return value.isoformat() if value is not None else None
