"""The day a vehicle's approval is resolved for: its production date, else the day of issue (today, UTC)."""
from datetime import datetime, timezone

from common.resolution_plan import ResolutionPlan, reference_item
from services.validation.domain.batch import resolve_item
from services.validation.domain.rules.approval import INCOMPLETE

VEHICLE = {"vin": "JTMM1C0MPTEST0001", "entity": "E", "approval_number": "e13*168/2013*01303*00", "type": "T",
           "variant": "V", "version": "W", "production_date": "2025-07-01"}


def test_a_vehicle_with_a_production_date_resolves_for_it():
    item, local = reference_item(VEHICLE)
    assert local is None and item == {"entity": "E", "number": "e13*168/2013*01303*00", "type": "T", "variant": "V",
                                      "version": "W", "production_date": "2025-07-01"}


def test_a_vehicle_without_one_resolves_for_today_and_shares_the_item_with_todays_production():
    today = datetime.now(timezone.utc).date().isoformat()
    undated = dict(VEHICLE, vin="JTMM1C0MPTEST0002", production_date=None)
    item, local = resolve_item(undated)  # validation: not an incomplete reference
    assert local is None and item["production_date"] == today
    plan = ResolutionPlan([undated, dict(VEHICLE, production_date=today)], resolve_item)
    assert len(plan.items) == 1


def test_validation_still_names_a_date_that_is_not_one():
    item, local = resolve_item(dict(VEHICLE, production_date="2025-13-01"))
    assert item is None and local["reason"] == INCOMPLETE and "2025-13-01" in local["message"]
