"""Ownership rules: which team owns a vehicle, first matching rule of its entity by position."""
import datetime as dt

import pytest

from common.errors import InvalidInput
from services.vehicles.domain.ownership import age_hours, check_rule, matches, owner

T = dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc)
CAR = {"vin": "NWAZYH357Z00E9G6T", "entity": "NORDWIND", "approval_number": "e6*2018/858*01234*00",
       "type": "NWA1", "variant": "NWA1-RWD", "intended_country": "IRL"}


def rule(field, pattern, team, position=0, entity="NORDWIND"):
    return {"field": field, "pattern": pattern, "team_id": team, "position": position, "entity": entity,
            "created_at": T}


def test_each_field_matches_the_vehicle():
    assert matches(rule("wmi", "NWA", "t"), CAR) and not matches(rule("wmi", "NWB", "t"), CAR)
    assert matches(rule("vin_pattern", "NWAZ*", "t"), CAR) and not matches(rule("vin_pattern", "NWAZ?", "t"), CAR)
    assert matches(rule("approval_number", "e6*2018/858*01234*00", "t"), CAR)
    assert matches(rule("intended_country", "IRL", "t"), CAR) and matches(rule("variant", "NWA1-RWD", "t"), CAR)


def test_the_first_rule_of_the_vehicle_s_entity_owns_it():
    rules = [rule("wmi", "NWA", "everyone", position=9), rule("intended_country", "IRL", "ireland", position=1),
             rule("wmi", "NWA", "foreign", position=0, entity="OTHERCO")]
    assert owner(CAR, rules) == "ireland"
    assert owner(dict(CAR, intended_country="A"), rules) == "everyone"
    assert owner(dict(CAR, vin="XXX00000000000000", intended_country="A"), rules) is None


def test_bad_rules_name_the_field_and_age_counts_hours():
    with pytest.raises(InvalidInput) as caught:
        check_rule({"field": "colour", "pattern": "RED"})
    assert caught.value.errors[0]["field"] == "field"
    with pytest.raises(InvalidInput) as caught:
        check_rule({"field": "wmi", "pattern": "<script>"})
    assert caught.value.errors[0]["field"] == "pattern"
    assert age_hours(T, T + dt.timedelta(hours=49, minutes=59)) == 49
