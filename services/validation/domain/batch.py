"""A batch of vehicles: what to ask the approvals service, and judging each vehicle with the packs."""
import datetime as dt
import re

from .context import VehicleContext
from .engine import run_rules
from .findings import status_of
from .pack import PACKS, pack_versions
from .rules.approval import INCOMPLETE

_REFERENCE = ("approval_number", "type", "variant", "version", "production_date")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def resolve_item(vehicle):
    """The approvals `resolve` item for a vehicle, or a local failed resolution saying what is missing."""
    missing = [k for k in _REFERENCE if not isinstance(vehicle.get(k), str) or not vehicle.get(k).strip()]
    if missing:
        return None, {"ok": False, "reason": INCOMPLETE, "message": f"{', '.join(missing)} missing"}
    if not _is_iso_date(vehicle["production_date"]):
        return None, {"ok": False, "reason": INCOMPLETE,
                      "message": f"production date {vehicle['production_date']!r} is not an ISO date (YYYY-MM-DD)"}
    return {"number": vehicle["approval_number"], "type": vehicle["type"], "variant": vehicle["variant"],
            "version": vehicle["version"], "production_date": vehicle["production_date"]}, None


def _is_iso_date(text):
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


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


def judge(vehicle, resolution, draft_checker=None, packs=PACKS):
    """The report of one vehicle (without storage details)."""
    findings = run_rules(VehicleContext(vehicle, resolution, draft_checker), packs)
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


def judge_batch(vehicles, resolutions, draft_checker=None, packs=PACKS):
    return [judge(v, r, draft_checker, packs) for v, r in zip(vehicles, resolutions, strict=True)]


def result_of(report):
    """The public result of a report: what `validation_completed` and `validate_batch` carry."""
    return {k: report[k] for k in ("vin", "revision", "status", "findings")}
