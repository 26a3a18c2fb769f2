"""Ownership rules: which team owns a vehicle, first matching rule of its entity by position; who is a member of a
team (by `sub` or group) and who may claim, assign or give back its work."""
import datetime as dt

import pytest

from common.errors import Conflict, Forbidden, InvalidInput
from services.vehicles.domain.ownership import (
    age_hours, check_assignment, check_rule, check_unassignment, is_member, matches, owner,
)

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
    # the category comes from the vehicle's approval; unknown (no such approval), a category rule does not match
    assert matches(rule("category", "N1", "t"), dict(CAR, category="N1"))
    assert not matches(rule("category", "N1", "t"), dict(CAR, category="M1"))
    assert not matches(rule("category", "N1", "t"), CAR)


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


DESK = {"id": "d", "name": "Ireland desk", "members": ["rita"], "groups": ["ireland-desk"]}


def test_members_by_sub_or_by_group():
    assert is_member(DESK, {"sub": "rita", "groups": []})
    assert is_member(DESK, {"sub": "gus", "groups": ["other", "ireland-desk"]})
    assert not is_member(DESK, {"sub": "gus", "groups": ["other"]}) and not is_member(DESK, {"sub": "gus"})


def test_who_may_claim_assign_and_give_back():
    rita, gus, sam = {"sub": "rita"}, {"sub": "gus", "groups": ["ireland-desk"]}, {"sub": "sam", "groups": []}
    check_assignment(rita, "rita", DESK, None, lead=False)
    check_assignment(gus, "gus", DESK, "gus", lead=False)  # again: still theirs
    check_assignment(sam, "sam", None, None, lead=False)  # an unowned item: anyone of the entity claims it
    with pytest.raises(Forbidden):
        check_assignment(sam, "sam", DESK, None, lead=False)  # not of the owning team
    with pytest.raises(Conflict):
        check_assignment(gus, "gus", DESK, "rita", lead=False)  # rita works on it
    with pytest.raises(Forbidden):
        check_assignment(rita, "gus", DESK, None, lead=False)  # only a lead assigns to others
    lead = {"sub": "tess"}
    check_assignment(lead, "rita", DESK, "gus", lead=True)  # a lead takes it over for a member
    check_assignment(lead, "tess", DESK, "gus", lead=True)
    for team, assignee in ((DESK, "gus"), (None, "rita")):  # by `sub` only; an unowned item has no members
        with pytest.raises(InvalidInput) as caught:
            check_assignment(lead, assignee, team, None, lead=True)
        assert caught.value.errors[0]["field"] == "assignee"
    check_unassignment(rita, "rita", lead=False)
    check_unassignment(lead, "rita", lead=True)
    check_unassignment(sam, None, lead=False)
    with pytest.raises(Forbidden):
        check_unassignment(sam, "rita", lead=False)
