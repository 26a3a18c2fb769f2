"""Extensions and withdrawal: how an approval changes after registration.

An extension is a new immutable revision: the approval-level CoC of the current revision with the
extension's `coc` changes merged in (objects merge key by key, a table or value replaces, null removes),
the versions of the current revision with the extension's versions replacing or adding (whole version
objects) and its `removed_versions` left out. Its number is the approval's with section 4 = extension.

A withdrawal takes effect on a date (vehicles produced on or after it are refused); it is final.
"""
import copy

from common.approval_number import parse_approval_number
from services.approvals.domain.errors import Clash, Rejected
from services.approvals.domain.model import Revision, key_text, version_key
from services.approvals.domain.registration import coc_errors, naming_errors, versions_errors


def merge_patch(base, patch):
    """`base` with `patch` merged in: objects key by key, None removes, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            merged = merge_patch(out[key], value)
            if merged:
                out[key] = merged
            else:
                out.pop(key)
        else:
            out[key] = copy.deepcopy(value)
    return out


def extend(approval, request, schema, legal_name, actor=None, now=None):
    """The new revision an extension request (shaped by `ExtensionIn`) makes; Rejected or Clash otherwise."""
    if approval.withdrawn:
        raise Clash(f"approval {approval.number} is withdrawn (with effect from {approval.withdrawn_on.isoformat()}) "
                    "and cannot be extended")
    current = approval.current
    errors = []
    if request["extension"] <= current.extension:
        errors.append({"field": "extension",
                       "message": f"must be above the current extension {current.extension:02d} ({current.number})"})
    if request["issue_date"] <= current.issue_date:  # a later extension never reaches back to earlier production
        errors.append({"field": "issue_date", "message": f"must be after the issue date of {current.number} "
                                                          f"({current.issue_date.isoformat()})"})
    coc = merge_patch(current.coc, request["coc"])
    errors += coc_errors(schema, coc, "coc")
    errors += versions_errors(schema, request["versions"], "versions")
    versions, removal_errors = _versions_after(current.versions, request)
    errors += removal_errors
    if not errors:
        errors += naming_errors(legal_name, coc, [entry["coc"] for entry in versions.values()])
    if errors:
        raise Rejected("The extension has invalid fields.", errors)
    number = parse_approval_number(approval.number).with_extension(request["extension"])
    return Revision(
        revision=current.revision + 1, extension=request["extension"], number=number,
        issue_date=request["issue_date"], coc=coc, versions=versions, reason=request["reason"],
        created_at=now, created_by=actor,
    )


def _versions_after(versions, request):
    changed = {version_key(v): {"coc": v["coc"], "ranges": v["ranges"]} for v in request["versions"]}
    after = {**versions, **changed}
    errors = []
    for index, removed in enumerate(request["removed_versions"]):
        key = version_key(removed)
        field = f"removed_versions[{index}]"
        if key in changed:
            errors.append({"field": field, "message": f"{key_text(key)} is also given in versions"})
        elif key not in versions:
            errors.append({"field": field, "message": f"{key_text(key)} is not a version of the approval"})
        else:
            after.pop(key, None)
    if not after and not errors:
        errors.append({"field": "removed_versions", "message": "an approval keeps at least one version"})
    return after, errors


def withdraw(approval, request, actor=None, now=None):
    """Mark the approval withdrawn as of `request["effective_date"]`; Rejected or Clash otherwise."""
    if approval.withdrawn:
        raise Clash(f"approval {approval.number} is already withdrawn with effect from "
                    f"{approval.withdrawn_on.isoformat()}")
    effective = request["effective_date"]
    if effective < approval.first_issue_date:
        raise Rejected("The withdrawal has invalid fields.", [{
            "field": "effective_date",
            "message": f"must not be before the approval was first issued ({approval.first_issue_date.isoformat()})"}])
    approval.status = "withdrawn"
    approval.withdrawn_on = effective
    approval.withdrawal_reason = request["reason"]
    approval.withdrawn_by = actor
    approval.withdrawn_at = now
    return approval
