"""Which approval revision is in force for a vehicle, and the type-level CoC data it gives."""
import copy
from dataclasses import dataclass, field


@dataclass
class Revision:
    revision: int
    extension: int
    number: str
    issue_date: object  # datetime.date
    coc: dict
    versions: dict = field(default_factory=dict)  # (type, variant, version) -> {"coc", "ranges"}


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
    withdrawn_on: object
    revisions: list  # of Revision, any order


def in_force(approval, production_date):
    """The newest revision issued on or before the production date, or None."""
    candidates = [r for r in approval.revisions if r.issue_date <= production_date]
    return max(candidates, key=lambda r: r.revision) if candidates else None


def deep_merge(base, override):
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve(approval, type_, variant, version, production_date):
    """Resolve a vehicle's approval reference; returns a dict with `ok` and either data or a reason."""
    if approval is None:
        return {"ok": False, "reason": "approval_unknown", "message": "no type approval with this number"}
    if approval.status == "withdrawn" and approval.withdrawn_on and approval.withdrawn_on <= production_date:
        return {"ok": False, "reason": "approval_withdrawn",
                "message": f"the approval was withdrawn on {approval.withdrawn_on.isoformat()}"}
    revision = in_force(approval, production_date)
    if revision is None:
        first = min(r.issue_date for r in approval.revisions)
        return {"ok": False, "reason": "approval_not_yet_valid",
                "message": f"production date {production_date.isoformat()} is before the approval was issued "
                           f"({first.isoformat()})"}
    entry = revision.versions.get((type_, variant, version))
    if entry is None:
        return {"ok": False, "reason": "version_unknown",
                "message": f"type {type_} / variant {variant} / version {version} is not part of approval "
                           f"{revision.number}"}
    coc = deep_merge(revision.coc, entry["coc"])
    coc.update({
        "TypeApprovalNumber": revision.number,
        "TypeApprovalIssueDate": revision.issue_date.isoformat(),
        "TypeApprovalType": approval.approval_type,
        "ProvisionalTypeApprovalIndicator": "Y" if approval.provisional else "N",
        "StageOfCompletion": approval.stage_of_completion,
        "Type": type_, "Variant": variant, "Version": version,
        "VehicleCategory": approval.category,
    })
    return {
        "ok": True,
        "approval_id": approval.id,
        "number": revision.number,
        "revision": revision.revision,
        "extension": revision.extension,
        "issue_date": revision.issue_date.isoformat(),
        "entity": approval.entity,
        "category": approval.category,
        "coc": coc,
        "ranges": entry["ranges"],
    }
