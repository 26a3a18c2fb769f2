"""Asking the approvals service once per distinct approval reference of a batch.

Vehicles of one version made on one day resolve alike, so a batch asks `approvals.resolve` once per distinct
(entity, number, type, variant, version, production date) and shares each answer, and its type-level CoC, between
those vehicles: a 250-vehicle chunk of one version over a few weeks' production is about 20 items, not 250.
Validation and signing both resolve this way; what they then do with the shared data is read-only.

A vehicle without a date of manufacture (the L-category CoC has no item 0.11) resolves on the day it is judged
or sealed, the date its certificate is issued: the approval in force then is the one it is certified under.
"""
from datetime import datetime, timezone

# of a vehicle record; an approval resolves only within the vehicle's own legal entity
REFERENCE = ("entity", "approval_number", "type", "variant", "version", "production_date")
ITEM = ("entity", "number", "type", "variant", "version", "production_date")  # the same, as `resolve` names them
PINNED = "revision"  # an item may name the approval revision a release pinned (signing asks for that one)


def reference_date(vehicle):
    """The day a vehicle's approval is resolved for: its production date, else today (UTC), the day of issue."""
    return vehicle.get("production_date") or datetime.now(timezone.utc).date().isoformat()


def reference_item(vehicle):
    """The `resolve` item of a vehicle whose reference is complete (as for a vehicle being signed)."""
    item = {name: vehicle[field] for name, field in zip(ITEM, REFERENCE) if field != "production_date"}
    return dict(item, production_date=reference_date(vehicle)), None


def pinned_item(vehicle):
    """The `resolve` item of a vehicle of a release: the approval revision its reviewers saw, when pinned."""
    item, _ = reference_item(vehicle)
    pinned = vehicle.get("pinned")
    if pinned:
        item[PINNED] = pinned["approval_revision"]
    return item, None


class ResolutionPlan:
    """Distinct resolve items of a batch, mapped back per vehicle.

    `item_of(vehicle)` gives `(item, None)`, or `(None, resolution)` for a vehicle resolved locally (e.g. a
    failed resolution naming what is missing), which is then not asked for."""

    def __init__(self, vehicles, item_of=reference_item):
        self.items = []
        self._slots = []  # per vehicle: index into items, or a local resolution dict
        index = {}
        for vehicle in vehicles:
            item, local = item_of(vehicle)
            if item is None:
                self._slots.append(local)
                continue
            key = tuple(item.get(name) for name in ITEM + (PINNED,))
            if key not in index:
                index[key] = len(self.items)
                self.items.append(item)
            self._slots.append(index[key])

    def per_vehicle(self, results):
        """The resolution of each vehicle, given the results of `resolve(self.items)`."""
        if len(results) != len(self.items):
            raise ValueError(f"resolve returned {len(results)} results for {len(self.items)} items")
        return [results[s] if isinstance(s, int) else s for s in self._slots]
