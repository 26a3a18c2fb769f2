"""Which vehicles may be deleted: one imported by mistake, before anything was made of it.

A draft or blocked vehicle that never had a certificate and never entered a release; everything else has a
history that others rely on (reviewers, signed documents, registration authorities) and is withdrawn instead."""
from services.vehicles.domain.lifecycle import BLOCKED, DRAFT

DELETABLE = (DRAFT, BLOCKED)


def deletion_refusal(vehicle, was_in_release):
    """Why `vehicle` may not be deleted, or None."""
    if vehicle["status"] not in DELETABLE:
        return f"it is {vehicle['status']}; only a draft or blocked vehicle is deleted"
    if vehicle.get("certificate"):
        return "it had a certificate; withdraw the certificate instead"
    if was_in_release:
        return "it was in a release"
    return None
