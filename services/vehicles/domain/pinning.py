"""What a release pins per vehicle, so that what its reviewers see is what signing seals.

An item pins the vehicle revision, the approval revision in force for it (resolved within the vehicle's
entity), the rule-pack versions that judged it valid and the composed CoC content with its SHA-256
(`common.composition.reviewed_content`). A fresh pin that differs from the stored one means an upstream change
touched the item: it leaves the release and goes back through validation and review.
"""
from common.composition import reviewed_content

PIN_FIELDS = ("approval_id", "approval_revision", "content_sha256")  # what a change of the item shows in


def pin(vehicle, resolution, judged=None):
    """`(pin, None)`, or `(None, reason)` when the vehicle cannot enter a release as it stands.

    `vehicle` is an event item (earlier stages included); `judged` what validation recorded for its revision:
    {"rule_packs": {pack: version}, "approval_revision": n}."""
    if not resolution.get("ok"):
        return None, f"approval: {resolution.get('message')}"
    judged = judged or {}
    if judged.get("approval_revision") not in (None, resolution["revision"]):
        return None, (f"validated against revision {judged['approval_revision']} of its approval, but revision "
                      f"{resolution['revision']} ({resolution['number']}) is in force: it is validated again first")
    content, digest = reviewed_content(resolution["coc"], vehicle)
    return {
        "revision": vehicle["revision"], "approval_id": resolution["approval_id"],
        "approval_number": resolution["number"], "approval_revision": resolution["revision"],
        "rule_packs": judged.get("rule_packs"), "content": content, "content_sha256": digest,
    }, None


def still_pinned(item, fresh):
    """Whether a release item's stored pin equals a fresh one (a fresh `None` pin never does)."""
    return fresh is not None and all(item[k] == fresh[k] for k in PIN_FIELDS) and item["revision"] == fresh["revision"]
