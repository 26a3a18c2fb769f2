"""Releases: which vehicles may enter, and the four-eyes rules of review."""
from services.vehicles.domain.lifecycle import VALID
from services.vehicles.domain.scope import allowed


REVIEWED = ("in_review", "approved")  # the states of a release item that a change takes out of its release
# every state a release is in: requested, reviewed, being signed, signed (all or some), or emptied by changes
RELEASE_STATES = ("in_review", "approved", "rejected", "signing", "released", "completed_with_failures", "closed")


class FourEyesViolation(ValueError):
    pass


def admit(vehicles_by_vin, vins, allowed_entities):
    """Split requested VINs into admitted vehicles (one entity) and rejections with reasons."""
    admitted, rejected, entity = [], [], None
    seen = set()
    for vin in vins:
        vehicle = vehicles_by_vin.get(vin)
        if vin in seen:
            rejected.append({"vin": vin, "reason": "listed twice"})
            continue
        seen.add(vin)
        if vehicle is None or not allowed(vehicle["entity"], allowed_entities):
            rejected.append({"vin": vin, "reason": "no such vehicle"})
        elif vehicle["status"] != VALID:
            rejected.append({"vin": vin, "reason": f"vehicle is {vehicle['status']}, only valid vehicles enter"})
        elif entity is not None and vehicle["entity"] != entity:
            rejected.append({"vin": vin, "reason": f"belongs to {vehicle['entity']}; a release holds one entity"})
        else:
            entity = vehicle["entity"]
            admitted.append(vehicle)
    return entity, admitted, rejected


def is_vin_shaped(text):
    """Whether a VIN asked for could be one of a release's (anything else is simply not in it)."""
    return isinstance(text, str) and len(text) <= 17 and text.isascii() and text.isalnum()


def editors_of(vehicles_by_vin, stages):
    """{vin: who shaped the data a vehicle would be sealed with}: its last editor and whoever imported one of
    its earlier stages (`stages` as attached to it), even before its record existed."""
    return {vin: {vehicle["last_editor"]} | {s["imported_by"] for s in stages.get(vin, ())}
            for vin, vehicle in vehicles_by_vin.items()}


def check_reviewer(reviewer, release, editors):
    if reviewer == release["requested_by"]:
        raise FourEyesViolation("a reviewer cannot decide on a release they requested")
    edited = sorted(vin for vin, people in editors.items() if reviewer in people)
    if edited:
        raise FourEyesViolation("a reviewer cannot decide on a release holding vehicles they last edited or "
                                f"whose earlier stage they imported ({', '.join(edited[:5])})")
