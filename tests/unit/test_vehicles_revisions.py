"""Vehicle revisions: field-level diffs, JSON merge patches of the vehicle-level data, approval impact."""
from datetime import date

from services.vehicles.domain.impact import base_number, impact_of
from services.vehicles.domain.revisions import diff, edited, merge_patch, record_of

CURRENT = {"vin": "NWA12345678901234", "approval_number": "e6*2018/858*01234*00", "type": "T", "variant": "V",
           "version": "X", "production_date": "2026-11-02", "intended_country": "B", "entity": "NORDWIND",
           "coc": {"MassGroup": {"ActualMass": 1900, "WltpMassVehicle": 1950}, "ColourTable": [{"Colour": "1"}]},
           "status": "valid", "revision": 3}


def test_diff_descends_into_objects_and_replaces_lists():
    old = {"coc": {"MassGroup": {"ActualMass": 1900}, "ColourTable": [{"Colour": "1"}]}, "intended_country": "B"}
    new = {"coc": {"MassGroup": {"ActualMass": 1905}, "ColourTable": [{"Colour": "5"}]}, "intended_country": "B"}
    assert diff(old, new) == [
        {"path": "coc.ColourTable", "old": [{"Colour": "1"}], "new": [{"Colour": "5"}]},
        {"path": "coc.MassGroup.ActualMass", "old": 1900, "new": 1905},
    ]


def test_diff_of_a_new_record_names_every_field():
    changes = diff({}, record_of(CURRENT))
    assert {c["path"] for c in changes} == {"approval_number", "type", "variant", "version", "production_date",
                                             "intended_country", "entity", "coc"}
    assert all(c["old"] is None for c in changes)


def test_merge_patch_merges_objects_removes_nulls_and_prunes_empty_groups():
    coc = CURRENT["coc"]
    assert merge_patch(coc, {"MassGroup": {"ActualMass": 1910}}) == {
        "MassGroup": {"ActualMass": 1910, "WltpMassVehicle": 1950}, "ColourTable": [{"Colour": "1"}]}
    assert merge_patch(coc, {"ColourTable": [{"Colour": "8"}, {"Colour": "1"}]})["ColourTable"] == [
        {"Colour": "8"}, {"Colour": "1"}]
    assert merge_patch(coc, {"MassGroup": {"ActualMass": None, "WltpMassVehicle": None}}) == {
        "ColourTable": [{"Colour": "1"}]}
    assert merge_patch(coc, {"ColourTable": None}) == {"MassGroup": coc["MassGroup"]}
    assert coc == CURRENT["coc"]  # never modified in place


def test_edited_applies_a_patch_body_to_the_record():
    data = edited(CURRENT, {"coc": {"MassGroup": {"ActualMass": 1911}}, "production_date": date(2026, 11, 5),
                            "reason": "scale recalibrated"})
    assert data["vin"] == CURRENT["vin"] and data["production_date"] == "2026-11-05"
    assert data["coc"]["MassGroup"] == {"ActualMass": 1911, "WltpMassVehicle": 1950}
    assert diff(record_of(CURRENT), record_of(data)) == [
        {"path": "coc.MassGroup.ActualMass", "old": 1900, "new": 1911},
        {"path": "production_date", "old": "2026-11-02", "new": "2026-11-05"},
    ]
    assert record_of(edited(CURRENT, {"reason": "nothing"})) == record_of(CURRENT)


def test_base_number_drops_the_extension_also_for_numbers_the_parser_refuses():
    assert base_number("e6*2018/858*00264*01") == "e6*2018/858*00264"
    assert base_number("e6*2007/46*0289*09") == "e6*2007/46*0289"
    assert base_number("e13*168/2013*01303*00") == "e13*168/2013*01303"  # L category (Regulation 168/2013)
    assert base_number("e11*2018/858*00264*01") == "e11*2018/858*00264"  # e11 (UK) is not an IVI 2.0 code
    assert base_number("not-a-number") == "not-a-number"


def test_impact_groups_unreleased_vehicles_by_state():
    found = [("A", "draft"), ("B", "released"), ("C", "valid"), ("D", "draft"), ("E", "withdrawn"),
             ("F", "in_review")]
    assert impact_of("e6*2018/858*01234*01", found) == {
        "approval_number": "e6*2018/858*01234*01",
        "unreleased": {"draft": ["A", "D"], "valid": ["C"], "in_review": ["F"]},
        "released": ["B"],
    }
