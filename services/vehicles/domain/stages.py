"""Multi-stage vehicles (eCoC IVI setup manual v1.5, "Multistage vehicles").

The VIN stays the same through every stage; each stage differs from the previous one in approval number,
variant or version. The vehicle record holds the current stage; the eCoCs of earlier stages (a base
vehicle's, imported as IVI) are kept beside it and handed on with the record as `previous_stages`, from
which `common.composition.compose_coc` builds the stage's certificate data. An earlier stage is the importing
entity's: only that entity's record of the VIN carries it, and attaching it to that record is an edit.
"""
from services.vehicles.domain.revisions import diff

BASE_STAGES = ("I", "C")  # a base vehicle is incomplete or complete; a completed (V) vehicle is the last stage
APPROVAL_FIELDS = (("approval_number", "TypeApprovalNumber"), ("type", "Type"), ("variant", "Variant"),
                   ("version", "Version"))


def base_stage(coc):
    """`(stage, errors)`: the stage record of a base vehicle's eCoC (its own stage is its highest
    ManufacturerStageNumber), or the problems that make it unusable as a base."""
    errors = []
    vin = coc.get("VehicleIdentificationNumber")
    if not vin:
        errors.append({"field": "VehicleIdentificationNumber", "message": "the base vehicle's eCoC has no VIN"})
    numbers = [r.get("ManufacturerStageNumber") for r in coc.get("ManufacturerTable") or []
               if isinstance(r.get("ManufacturerStageNumber"), int)]
    if not numbers:
        errors.append({"field": "ManufacturerTable", "message": "the base vehicle's eCoC names no manufacturer "
                                                                "with a ManufacturerStageNumber"})
    completion = coc.get("StageOfCompletion")
    if completion not in BASE_STAGES:
        errors.append({"field": "StageOfCompletion", "message": f"is {completion!r}: a base vehicle is "
                       "incomplete (I) or complete (C); a completed vehicle (V) is the last stage"})
    errors.extend({"field": element, "message": "the base vehicle's eCoC must name it"}
                  for _, element in APPROVAL_FIELDS if not coc.get(element))
    if errors:
        return None, errors
    stage = {key: coc[element] for key, element in APPROVAL_FIELDS}
    stage.update(vin=vin, stage=max(numbers), stage_of_completion=completion, coc=coc)
    return stage, []


def stage_change(replaced, stage):
    """The revision diff of attaching `stage` to a vehicle (`replaced`: the stage of that number it had, or None),
    under the path `stages.<number>`."""
    def content(s):
        return {k: s[k] for k in ("approval_number", "type", "variant", "version", "stage_of_completion", "coc")}

    key = str(stage["stage"])
    return diff({key: content(replaced)} if replaced else {}, {key: content(stage)}, "stages")


def event_subject(vin, entity, attached):
    """The subject of a stage's events: the VIN when the stage is on the entity's record of it (an edit of that
    record); otherwise the entity's own stage of the VIN, kept out of the trail of a record another entity may
    hold."""
    return vin if attached else f"{vin}@{entity}"


def handed_on(stages):
    """What travels with the vehicle record to validation and signing, oldest stage first."""
    return [{k: s[k] for k in ("stage", "approval_number", "type", "variant", "version", "coc")}
            for s in sorted(stages, key=lambda s: s["stage"])]


def differs_from(stages):
    """A row check: the vehicle's stage differs from every earlier one in approval number, variant or version."""

    def check(data):
        for stage in stages.get(data["vin"], ()):
            if all(data[key] == stage[key] for key in ("approval_number", "variant", "version")):
                return [{"field": "approval_number", "message": (
                    f"approval number, variant and version equal those of stage {stage['stage']} of this VIN "
                    "(the base vehicle): each stage of a multi-stage vehicle differs in at least one of them")}]
        return []

    return check
