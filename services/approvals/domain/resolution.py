"""Which approval revision is in force for a vehicle, and the type-level CoC data it gives.

The revision in force on a production date is the newest one issued on or before it, whatever extension
the vehicle refers to: an extension supersedes the earlier ones for new production, so a vehicle made
after extension 02 was issued is certified under 02 even when it refers to *01 (`superseded` says so).
Referring to an extension issued after the production date, or to one never registered, is refused.

A release pins the revision its reviewers saw: resolving with `revision` answers exactly that revision's data
(still refused once the approval is withdrawn for the production date), with `in_force_revision` saying which
revision is in force now, so signing can tell that the approval changed since the review.
"""
from services.approvals.domain.model import Approval, Revision, deep_merge, type_level_coc

__all__ = ["Approval", "Revision", "deep_merge", "in_force", "resolve"]


def in_force(approval, production_date):
    """The newest revision issued on or before the production date, or None."""
    candidates = [r for r in approval.revisions if r.issue_date <= production_date]
    return max(candidates, key=lambda r: r.revision) if candidates else None


def _refused(reason, message):
    return {"ok": False, "reason": reason, "message": message}


def resolve(approval, type_, variant, version, production_date, extension=None, pinned_revision=None):
    """Resolve a vehicle's approval reference; a dict with `ok` and either the data or a reason.

    `extension` is the extension the vehicle refers to (section 4 of its approval number), if known;
    `pinned_revision` the revision number pinned by a release, if any."""
    if approval is None:
        return _refused("approval_unknown", "no type approval with this number")
    if approval.withdrawn and approval.withdrawn_on and approval.withdrawn_on <= production_date:
        return _refused("approval_withdrawn", f"the approval was withdrawn on {approval.withdrawn_on.isoformat()}"
                        + (f" ({approval.withdrawal_reason})" if approval.withdrawal_reason else ""))
    revision = in_force(approval, production_date)
    if revision is None:
        return _refused("approval_not_yet_valid",
                        f"production date {production_date.isoformat()} is before the approval was issued "
                        f"({approval.first_issue_date.isoformat()})")
    if extension is not None:
        referenced = next((r for r in approval.revisions if r.extension == extension), None)
        if referenced is None:
            known = ", ".join(f"{r.extension:02d}" for r in sorted(approval.revisions, key=lambda r: r.revision))
            return _refused("approval_unknown", f"extension {extension:02d} of approval {approval.base_number} is "
                                                f"not registered (registered: {known})")
        if referenced.issue_date > production_date:
            return _refused("approval_not_yet_valid",
                            f"extension {extension:02d} was issued on {referenced.issue_date.isoformat()}, after the "
                            f"production date {production_date.isoformat()}; {revision.number} was in force")
    in_force_revision = revision.revision
    if pinned_revision is not None:
        revision = next((r for r in approval.revisions if r.revision == pinned_revision), None)
        if revision is None:
            return _refused("approval_unknown", f"revision {pinned_revision} of approval {approval.base_number} "
                                                "is not registered")
    key = (type_, variant, version)
    entry = revision.versions.get(key)
    if entry is None:
        return _refused("version_unknown", f"type {type_} / variant {variant} / version {version} is not part of "
                                           f"approval {revision.number} (in force on {production_date.isoformat()})")
    return {
        "ok": True,
        "approval_id": approval.id,
        "number": revision.number,
        "revision": revision.revision,
        "in_force_revision": in_force_revision,
        "extension": revision.extension,
        "issue_date": revision.issue_date.isoformat(),
        "superseded": extension is not None and extension < revision.extension,
        "entity": approval.entity,
        "category": approval.category,
        "coc": type_level_coc(approval, revision, key),
        "ranges": entry["ranges"],
    }

