"""What a vehicle's CoC says: the type-level data in force merged with the vehicle-level data.

Used by validation (to judge the data) and by signing (to build the certificate) so both see the same
document. The signing authority is added by signing, at the moment of sealing.

DateManufactureVehicle (item 0.11) is part of the CoC dataset of vehicles approved under 2018/858 (and the
earlier 2007/46), not of L-, T- and C-category vehicles approved under 168/2013 or 167/2013 (EReg IVI 2.0
guidelines 1.9: "the DateManufacture is not part of the CoC dataset in this case"; the two L-category
samples carry none). So the composed CoC states the vehicle's production date there, except for a 168/2013
or 167/2013 approval, where it keeps only a date the vehicle's own CoC data states (a vehicle read from an
IVI message that had one). The production date stays a field of every vehicle record either way (approval
resolution and plausibility rules use it).

A later stage of a multi-stage vehicle (eCoC IVI setup manual, "Multistage vehicles") carries its earlier
stages' eCoCs as `previous_stages` (oldest first): its certificate lists every stage's manufacturer in
ManufacturerTable, its own stage's row naming the previous stage's approval number, type, variant and
version, and it repeats the earlier stages' tables completely where its own data states no such table
(a table is never merged row by row; single fields are not carried over).
"""
from common.canonical import content_sha256
from common.ivi.catalogue import merge_levels

STAGE_OWN_TABLES = ("ManufacturerTable", "SigningAuthorityTable")
# Acts whose CoC has no date of manufacture: L categories (168/2013), T, C, R, S categories (167/2013).
ACTS_WITHOUT_MANUFACTURE_DATE = ("168/2013", "167/2013")


def compose_coc(type_level, vehicle, *, share=False):
    """`vehicle` is a vehicle record: vin, production_date (ISO), coc (vehicle-level part), previous_stages.

    DateManufactureVehicle: the production date, or for 168/2013 and 167/2013 approvals only what the
    vehicle's own data states (see the module doc). `share=True` builds a read-only view that shares the
    approval's data instead of copying it (validation judges thousands of vehicles against one approval)."""
    own = vehicle.get("coc") or {}
    coc = overlay(type_level or {}, own) if share else merge_levels(type_level or {}, own)
    stages = vehicle.get("previous_stages")
    if stages:
        coc = after_stages(coc, sorted(stages, key=lambda s: s["stage"]))
    coc["VehicleIdentificationNumber"] = vehicle["vin"]
    if not has_manufacture_date(coc):
        coc.pop("DateManufactureVehicle", None)
        if own.get("DateManufactureVehicle"):
            coc["DateManufactureVehicle"] = own["DateManufactureVehicle"]
    elif vehicle.get("production_date"):
        coc["DateManufactureVehicle"] = vehicle["production_date"]
    return coc


def reviewed_content(type_level, vehicle):
    """`(content, sha256)`: the composed CoC a release pins for review and signing seals, without the signing
    authority (signing adds it when sealing), and the SHA-256 of its canonical JSON (`common.canonical`)."""
    content = compose_coc(type_level, vehicle, share=True)
    content.pop("SigningAuthorityTable", None)
    return content, content_sha256(content)


def overlay(base, top):
    """`base` with `top` laid over it without copying: dicts merge key by key (top wins), anything else,
    tables included, is replaced — the same result as `merge_levels`, sharing the unchanged parts."""
    out = dict(base)
    for key, value in top.items():
        under = out.get(key)
        if isinstance(value, dict) and isinstance(under, dict):
            out[key] = overlay(under, value)
        else:
            out[key] = value
    return out


def has_manufacture_date(coc):
    """Whether the CoC dataset of this approval has DateManufactureVehicle (see the module doc)."""
    number = coc.get("TypeApprovalNumber") or ""
    return not any(f"*{act}*" in number for act in ACTS_WITHOUT_MANUFACTURE_DATE)


def after_stages(coc, stages):
    """`coc` of the current stage completed with its earlier stages (oldest first; see the module doc)."""
    out = dict(coc)
    for stage in reversed(stages):  # the latest stage's table wins over an earlier one's
        for name, rows in stage["coc"].items():
            if isinstance(rows, list) and name not in STAGE_OWN_TABLES and name not in out:
                out[name] = rows
    earlier = {}
    for stage in stages:  # a later eCoC repeats, and may correct, the rows of the stages before it
        for row in stage["coc"].get("ManufacturerTable") or []:
            if isinstance(row.get("ManufacturerStageNumber"), int):
                earlier[row["ManufacturerStageNumber"]] = row
    last = max(earlier, default=stages[-1]["stage"])
    rows = coc.get("ManufacturerTable") or []
    own = [r for r in rows if isinstance(r.get("ManufacturerStageNumber"), int) and r["ManufacturerStageNumber"] > last]
    if not own:  # the approval numbers its manufacturer's row as if it were first: it is the stage after the base
        own = [dict(r, ManufacturerStageNumber=last + 1) for r in rows]
    previous = stages[-1]
    own = [dict(r, PreviousStageTypeApprovalNumber=previous["approval_number"], PreviousStageType=previous["type"],
                PreviousStageVariant=previous["variant"], PreviousStageVersion=previous["version"]) for r in own]
    out["ManufacturerTable"] = [earlier[n] for n in sorted(earlier)] + own
    return out
