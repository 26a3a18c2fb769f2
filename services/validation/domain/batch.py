"""A batch of vehicles: what to ask the approvals service, and judging each vehicle with the packs."""
from common.resolution_plan import REFERENCE, ResolutionPlan, reference_item

from .context import VehicleContext
from .data import iso_date
from .engine import run_rules
from .findings import status_of
from .pack import PACKS, pack_versions
from .rules.approval import INCOMPLETE


def resolution_plan(vehicles):
    """What the batch asks the approvals service; an incomplete reference is judged locally (`resolve_item`)."""
    return ResolutionPlan(vehicles, resolve_item)


def resolve_item(vehicle):
    """The approvals `resolve` item for a vehicle, or a local failed resolution saying what is missing."""
    missing = [k for k in REFERENCE if k != "production_date"  # none: resolved for today (reference_date)
               and (not isinstance(vehicle.get(k), str) or not vehicle.get(k).strip())]
    if missing:
        return None, {"ok": False, "reason": INCOMPLETE, "message": f"{', '.join(missing)} missing"}
    if vehicle.get("production_date") is not None and iso_date(vehicle["production_date"]) is None:
        return None, {"ok": False, "reason": INCOMPLETE,
                      "message": f"production date {vehicle['production_date']!r} is not an ISO date (YYYY-MM-DD)"}
    return reference_item(vehicle)


def entity_codes(vehicles):
    """The legal entities of a batch, each once: their registered WMIs are fetched once per batch."""
    return sorted({v["entity"] for v in vehicles if isinstance(v.get("entity"), str) and v["entity"]})


def judge(vehicle, resolution, draft_checker=None, packs=PACKS, wmis=None, header=None):
    """The report of one vehicle (without storage details). `wmis`: the WMIs of the vehicle's entity."""
    ctx = VehicleContext(vehicle, resolution, draft_checker, tuple(wmis) if wmis is not None else None, header)
    findings = run_rules(ctx, packs)
    ok = bool(resolution and resolution.get("ok"))
    return {
        "vin": vehicle.get("vin"),
        "revision": vehicle.get("revision"),
        "entity": vehicle.get("entity"),
        "status": status_of(findings),
        "findings": [f.as_dict() for f in findings],
        "rule_pack": pack_versions(packs),
        "approval_number": vehicle.get("approval_number"),
        "approval_revision": resolution.get("revision") if ok else None,
    }


def judge_batch(vehicles, resolutions, draft_checker=None, packs=PACKS, wmis_by_entity=None):
    """Reports of a batch; the schema check remembers, within the batch, which shapes of data were valid."""
    session = draft_checker.session() if draft_checker is not None else None
    wmis_by_entity = wmis_by_entity or {}
    return [judge(v, r, session, packs, wmis_by_entity.get(v.get("entity")))
            for v, r in zip(vehicles, resolutions, strict=True)]


def result_of(report):
    """The public result of a report: what `validation_completed` and `validate_batch` carry, with what judged
    it (the rule-pack versions and the approval revision in force), which a release pins."""
    return {k: report[k] for k in ("vin", "revision", "status", "findings", "rule_pack", "approval_revision")}
