"""A batch of vehicles: what to ask the approvals service, and judging each vehicle with the packs."""
from .context import VehicleContext
from .data import iso_date
from .engine import run_rules
from .findings import status_of
from .pack import PACKS, pack_versions
from .rules.approval import INCOMPLETE

_REFERENCE = ("approval_number", "type", "variant", "version", "production_date")


def resolve_item(vehicle):
    """The approvals `resolve` item for a vehicle, or a local failed resolution saying what is missing."""
    missing = [k for k in _REFERENCE if not isinstance(vehicle.get(k), str) or not vehicle.get(k).strip()]
    if missing:
        return None, {"ok": False, "reason": INCOMPLETE, "message": f"{', '.join(missing)} missing"}
    if iso_date(vehicle["production_date"]) is None:
        return None, {"ok": False, "reason": INCOMPLETE,
                      "message": f"production date {vehicle['production_date']!r} is not an ISO date (YYYY-MM-DD)"}
    return {"number": vehicle["approval_number"], "type": vehicle["type"], "variant": vehicle["variant"],
            "version": vehicle["version"], "production_date": vehicle["production_date"]}, None


class ResolutionPlan:
    """Distinct resolve items of a batch (vehicles of one version and day share one), mapped back per vehicle."""

    def __init__(self, vehicles):
        self.items = []
        self._slots = []  # per vehicle: index into items, or a local resolution dict
        index = {}
        for vehicle in vehicles:
            item, local = resolve_item(vehicle)
            if item is None:
                self._slots.append(local)
                continue
            key = tuple(item[k] for k in ("number", "type", "variant", "version", "production_date"))
            if key not in index:
                index[key] = len(self.items)
                self.items.append(item)
            self._slots.append(index[key])

    def per_vehicle(self, results):
        """The resolution of each vehicle, given the results of `resolve(self.items)`."""
        if len(results) != len(self.items):
            raise ValueError(f"resolve returned {len(results)} results for {len(self.items)} items")
        return [results[s] if isinstance(s, int) else s for s in self._slots]


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
    """The public result of a report: what `validation_completed` and `validate_batch` carry."""
    return {k: report[k] for k in ("vin", "revision", "status", "findings")}
