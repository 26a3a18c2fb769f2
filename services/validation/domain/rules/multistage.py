"""Multi-stage vehicles (EReg setup manual v1.5): stage of completion, stage numbers, the previous stage."""
from ..data import present
from ..engine import Rule
from ..findings import ERROR, Problem
from ..wording import listing, quoted
from .approval import RESOLVED

PREVIOUS = ("PreviousStageTypeApprovalNumber", "PreviousStageType", "PreviousStageVariant", "PreviousStageVersion")


def stage_of_completion(ctx):
    stage, last = ctx.stage, ctx.current_stage
    if stage == "C" and last > 1:
        yield Problem("stage of completion V (completed) for a stage-2+ vehicle", "C", stage=stage,
                      detail=f"a complete vehicle (C) is built in one stage, but the manufacturers go up to stage "
                             f"{last}")
    elif stage == "V" and last < 2:
        yield Problem("a manufacturer of stage 2 or later", f"stage {last} only", stage=stage,
                      detail="a completed vehicle (V) finishes a multi-stage build, but only stage 1 is stated")


def stage_numbers(ctx):
    stages = sorted(s for s, _ in ctx.manufacturer_stages)
    if stages and stages != list(range(1, len(stages) + 1)):
        yield Problem(listing(range(1, len(stages) + 1)), listing(stages))


def previous_stage_stated(ctx):
    for i, (stage, row) in enumerate(ctx.manufacturer_stages):
        for field in PREVIOUS:
            if stage > 1 and not present(row.get(field)):
                yield Problem("the previous stage's value", "missing", path=f"ManufacturerTable[{i}].{field}",
                              field=field, stage=stage, detail="is missing")
            elif stage == 1 and present(row.get(field)):
                yield Problem("no previous stage for stage 1", str(row.get(field)),
                              path=f"ManufacturerTable[{i}].{field}", field=field, stage=stage,
                              detail="is given although stage 1 has no previous stage")


def stage_differs(ctx):
    last = ctx.current_stage
    if last < 2:
        return
    for i, (stage, row) in enumerate(ctx.manufacturer_stages):
        if stage != last:
            continue
        now = (ctx.coc.get("TypeApprovalNumber"), ctx.coc.get("Variant"), ctx.coc.get("Version"))
        before = tuple(row.get(f) for f in ("PreviousStageTypeApprovalNumber", "PreviousStageVariant",
                                            "PreviousStageVersion"))
        if now == before:
            yield Problem("a different approval number, variant or version than the previous stage",
                          " / ".join(quoted(v) for v in now), path=f"ManufacturerTable[{i}]", stage=stage)


def same_vin(ctx):
    for stage in ctx.vehicle.get("previous_stages") or ():
        coc = stage.get("coc") if isinstance(stage, dict) else None
        earlier = (coc or {}).get("VehicleIdentificationNumber")
        if earlier and earlier != ctx.vin:
            yield Problem(ctx.vin, earlier, path="VehicleIdentificationNumber", stage=stage.get("stage"))


RULES = [
    Rule("MST-001", ERROR, "StageOfCompletion",
         "The stage of completion fits the manufacturers' stages: a complete vehicle (C) has stage 1 only, a "
         "completed vehicle (V) a stage 2 or later.", stage_of_completion, requires=RESOLVED,
         message="Stage of completion {stage} does not fit the manufacturer stages: {detail}."),
    Rule("MST-002", ERROR, "ManufacturerTable",
         "Manufacturer stage numbers run 1, 2, … without gaps or repeats (ManufacturerStageNumber is mandatory, also "
         "for single-stage vehicles).", stage_numbers, requires=RESOLVED,
         message="The manufacturer stages are {found}; they must run {expected}, each once."),
    Rule("MST-003", ERROR, "ManufacturerTable",
         "A manufacturer of stage 2 or later states the previous stage's approval number, type, variant and version; "
         "stage 1 states none.", previous_stage_stated, requires=RESOLVED,
         message="{field} of the stage-{stage} manufacturer {detail}."),
    Rule("MST-004", ERROR, "ManufacturerTable",
         "Each stage differs from the previous one in approval number, variant or version (the VIN stays the same).",
         stage_differs, requires=RESOLVED,
         message="Stage {stage} has the same approval number, variant and version as the previous stage ({found}); "
                 "at least one of them must differ per stage."),
    Rule("MST-005", ERROR, "VehicleIdentificationNumber",
         "The VIN stays the same through every stage: each earlier stage's eCoC handed on with the vehicle carries "
         "this VIN (EReg setup manual, multi-stage).", same_vin, requires=RESOLVED,
         message="The eCoC of stage {stage} carries VIN {found}, but this vehicle's VIN is {expected}: a multi-stage "
                 "vehicle keeps the VIN the first-stage manufacturer gave it."),
]
