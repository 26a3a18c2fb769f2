"""The approval behind the vehicle: registered, in force on the production date, and covering its version."""
from ..engine import Rule
from ..findings import ERROR, Problem

INCOMPLETE = "reference_incomplete"  # set locally when the vehicle lacks what resolution needs

_EXPLAIN = {
    "approval_unknown": "Type approval {number} is not registered, so the vehicle has no approval to be "
                        "certified against. Register the approval or correct the vehicle's approval number.",
    "approval_withdrawn": "Type approval {number} is withdrawn for vehicles produced on {date}: {detail}. "
                          "A CoC cannot be issued under a withdrawn approval.",
    "approval_not_yet_valid": "No revision of type approval {number} was in force on the production date "
                              "{date}: {detail}. Check the production date or register the extension.",
    "version_unknown": "The approval in force on {date} does not cover this vehicle: {detail}. Check type, "
                       "variant and version against the approval.",
    INCOMPLETE: "The vehicle's approval reference cannot be resolved: {detail}.",
}

_EXPECTED = {
    "approval_unknown": "a registered type approval",
    "approval_withdrawn": "an approval not withdrawn on the production date",
    "approval_not_yet_valid": "an approval revision issued on or before the production date",
    "version_unknown": "a type / variant / version listed in the approval",
    INCOMPLETE: "approval number, type, variant, version and an ISO production date",
}


def approval_in_force(ctx):
    result = ctx.resolution
    if result is not None and result.get("ok"):
        return
    v = ctx.vehicle
    result = result or {"reason": INCOMPLETE, "message": "the reference is incomplete"}
    reason = result.get("reason") or "approval_unknown"
    detail = result.get("message") or reason
    template = _EXPLAIN.get(reason, "The approval reference was rejected ({reason}): {detail}.")
    message = template.format(number=v.get("approval_number"), date=v.get("production_date"),
                              detail=detail, reason=reason)
    yield Problem(
        message,
        expected=_EXPECTED.get(reason, "an approval in force covering the vehicle's version"),
        found=f"{reason}: {detail}",
        path="Version" if reason == "version_unknown" else None,
    )


RULES = [
    Rule("APR-002", ERROR, "TypeApprovalNumber",
         "The approval exists, is not withdrawn, has a revision in force on the production date, and lists "
         "the vehicle's type / variant / version.", approval_in_force, requires=("APR-001",)),
]
