"""Rollout scopes (`common.rollout_scopes`): selectors, most specific wins, equal-specificity overlaps."""
from common.rollout_scopes import DEFAULT, conflicting, normalised, overlap, scope_of, specificity, subject_of

VEHICLE = {"vin": "JTMAB3FV10D123456", "approval_number": "e6*2018/858*00264*03", "type": "XA5",
           "variant": "AXAH54", "intended_country": "B", "entity": "TOY"}


def scope(id_, mode="shadow", **selector):
    return {"id": id_, "name": id_, "mode": mode, "selector": normalised(selector)}


def test_most_specific_scope_wins_and_default_is_live():
    plant = scope("plant", vin_prefixes=["JTM"])
    plant_m1 = scope("plant-m1", vin_prefixes=["JTMAB"], categories=["M1"])
    other = scope("other", countries=["F"])
    subject = subject_of(VEHICLE, category="M1")
    assert scope_of(subject, [plant, plant_m1, other])["id"] == "plant-m1"
    assert scope_of(subject_of(VEHICLE, category="N1"), [plant, plant_m1, other])["id"] == "plant"
    assert scope_of(subject_of(dict(VEHICLE, vin="VF1AB3FV10D123456")), [plant, plant_m1]) is DEFAULT
    assert DEFAULT["mode"] == "live"


def test_approval_numbers_without_extension_match_every_extension():
    family = scope("family", approval_numbers=["e6*2018/858*00264"])
    assert scope_of(subject_of(VEHICLE), [family])["id"] == "family"
    assert scope_of(subject_of(dict(VEHICLE, approval_number="e6*2018/858*002641*00")), [family]) is DEFAULT


def test_types_select_a_type_or_one_of_its_variants():
    whole = scope("type", types=[{"type": "XA5"}])
    variant = scope("variant", types=[{"type": "XA5", "variant": "OTHER"}], countries=["B"])
    assert scope_of(subject_of(VEHICLE), [whole, variant])["id"] == "type"


def test_equal_specificity_overlaps_are_found_and_disjoint_ones_are_not():
    a = normalised({"vin_prefixes": ["JTM"], "categories": ["M1"]})
    b = normalised({"vin_prefixes": ["JTMAB"], "countries": ["B"]})
    c = normalised({"vin_prefixes": ["VF1"], "categories": ["M1"]})
    assert specificity(a) == specificity(b) == 2
    assert overlap(a, b) and not overlap(a, c)
    assert conflicting(a, [scope("c", **c), scope("b", **b)])["id"] == "b"
    assert conflicting(normalised({}), [scope("x", categories=["M1"])]) is None
    assert conflicting(normalised({}), [scope("all")])["id"] == "all"
