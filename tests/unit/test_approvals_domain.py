"""The approvals domain without a database: extensions as revisions, resolution by production date,
withdrawal, and the approval as the API shows it."""
import copy
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from cli import demo_data
from common.ivi import load_schema
from services.approvals.domain.errors import Clash, Rejected
from services.approvals.domain.extension import extend, merge_patch, withdraw
from services.approvals.domain.model import Approval, Revision, approval_view, type_level_coc
from services.approvals.domain.resolution import resolve

BASE = "e6*2018/858*01234"
KEY = ("NWA1", "NWA1-RWD", "NWA1-RWD-LR")
LONG_RANGE = ("NWA1", "NWA1-RWD", "NWA1-RWD-XR")
MASS = {"MassGroup": {"MassInRunningOrder": 1890, "TechnicallyPermissibleMaximumLadenMass": 2380}}
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
XSD_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "ivi" / "IVI2.0.xsd"


@pytest.fixture(scope="module")
def schema():
    if not XSD_PATH.is_file():
        pytest.skip(f"the IVI schema is not at {XSD_PATH}")
    return load_schema(XSD_PATH)


def registered(issue_date=date(2026, 3, 2), **coc):
    versions = {KEY: {"coc": copy.deepcopy(MASS), "ranges": {}}}
    first = Revision(revision=1, extension=0, number=f"{BASE}*00", issue_date=issue_date,
                     coc=dict(copy.deepcopy(demo_data.TYPE_LEVEL), **coc), versions=versions, reason="registration")
    return Approval(id="a1", number=first.number, entity="NORDWIND", approval_type="EU", provisional=False,
                    category="M1", stage_of_completion="C", status="valid", withdrawn_on=None, revisions=[first])


def request(extension=1, issue_date=date(2026, 6, 1), reason="new long-range version", **changes):
    return dict({"extension": extension, "issue_date": issue_date, "reason": reason, "coc": {}, "versions": [],
                 "removed_versions": []}, **changes)


def version(key=LONG_RANGE, **coc):
    return {"type": key[0], "variant": key[1], "version": key[2], "coc": coc or copy.deepcopy(MASS), "ranges": {}}


def extended(approval, *requests, schema=None):
    for req in requests:
        approval.revisions.append(extend(approval, req, schema, demo_data.LEGAL_NAME, "mia", NOW))
        approval.number = approval.current.number
    return approval


def at(approval, day, key=KEY, extension=None):
    return resolve(approval, *key, day, extension=extension)


# -- extensions ---------------------------------------------------------------------------------------


def test_an_extension_is_a_new_revision_with_its_number_and_who_and_why():
    approval = registered()
    revision = extend(approval, request(versions=[version()]), None, demo_data.LEGAL_NAME, "mia", NOW)
    assert (revision.revision, revision.extension, revision.number) == (2, 1, f"{BASE}*01")
    assert (revision.issue_date, revision.reason, revision.created_by, revision.created_at) == (
        date(2026, 6, 1), "new long-range version", "mia", NOW)
    assert set(revision.versions) == {KEY, LONG_RANGE}
    assert approval.current.revision == 1 and set(approval.current.versions) == {KEY}  # nothing changed in place


def test_coc_changes_merge_into_the_approval_level_data_and_null_removes():
    approval = registered()
    changes = {"MaximumSpeed": 200, "DimensionGroup": {"Height": 1490, "Width": None},
               "CommercialNameTable": [{"CommercialName": "NORDWIND AERO LR"}], "ExhaustEmissionLevel": None}
    revision = extend(approval, request(coc=changes), None, demo_data.LEGAL_NAME)
    assert revision.coc["MaximumSpeed"] == 200
    assert revision.coc["DimensionGroup"] == {"Wheelbase": 2890, "Length": 4710, "Height": 1490}
    assert revision.coc["CommercialNameTable"] == [{"CommercialName": "NORDWIND AERO LR"}]
    assert "ExhaustEmissionLevel" not in revision.coc
    assert approval.current.coc == demo_data.TYPE_LEVEL


def test_merge_patch_drops_an_object_it_empties():
    assert merge_patch({"A": {"B": 1}, "C": 2}, {"A": {"B": None}}) == {"C": 2}


def test_versions_are_replaced_whole_added_and_removed():
    approval = extended(registered(), request(versions=[version()]))
    changed = version(KEY, MassGroup={"MassInRunningOrder": 1900})
    revision = extend(approval, request(extension=2, issue_date=date(2026, 9, 1), versions=[changed],
                                        removed_versions=[dict(zip(("type", "variant", "version"), LONG_RANGE))]),
                      None, demo_data.LEGAL_NAME)
    assert revision.versions == {KEY: {"coc": {"MassGroup": {"MassInRunningOrder": 1900}}, "ranges": {}}}


@pytest.mark.parametrize("changes, field", [
    ({"extension": 0}, "extension"),
    ({"issue_date": date(2026, 3, 1)}, "issue_date"),
    ({"removed_versions": [{"type": "X", "variant": "Y", "version": "Z"}]}, "removed_versions[0]"),
    ({"removed_versions": [{"type": KEY[0], "variant": KEY[1], "version": KEY[2]}]}, "removed_versions"),
    ({"removed_versions": [{"type": KEY[0], "variant": KEY[1], "version": KEY[2]}],
      "versions": [version(KEY)]}, "removed_versions[0]"),
    ({"coc": {"TypeApprovalNumber": f"{BASE}*01"}}, "coc.TypeApprovalNumber"),
    ({"versions": [version(), version()]}, "versions[1]"),
    ({"coc": {"ManufacturerTable": [{"ManufacturerStageNumber": 1, "ManufacturerName": "SOMEONE ELSE BV"}]}},
     "entity"),
])
def test_extension_refusals_name_the_field(changes, field):
    with pytest.raises(Rejected) as caught:
        extend(registered(), request(**changes), None, demo_data.LEGAL_NAME)
    assert [e["field"] for e in caught.value.errors] == [field], caught.value.errors


def test_extension_coc_is_judged_against_the_schema(schema):
    changes = {"MassGroup": {"ActualMass": 1900}, "DimensionGroup": {"Height": -1}}
    with pytest.raises(Rejected) as caught:
        extend(registered(), request(coc=changes), schema, demo_data.LEGAL_NAME)
    messages = {e["field"]: e["message"] for e in caught.value.errors}
    assert set(messages) == {"coc.MassGroup.ActualMass", "coc.DimensionGroup.Height"}
    assert "vehicle-level" in messages["coc.MassGroup.ActualMass"]
    assert "out of range" in messages["coc.DimensionGroup.Height"]


def test_an_extension_is_issued_after_the_previous_revision_never_on_the_same_day():
    approval = registered()
    for day in (date(2026, 3, 2), date(2026, 3, 1)):  # the registration's day, and before it
        with pytest.raises(Rejected) as caught:
            extend(approval, request(extension=3, issue_date=day), None, None)
        assert [e["field"] for e in caught.value.errors] == ["issue_date"]
        assert "after the issue date" in caught.value.errors[0]["message"]
    assert extend(approval, request(extension=3, issue_date=date(2026, 3, 3)), None, None).number == f"{BASE}*03"


def test_a_withdrawn_approval_cannot_be_extended():
    approval = withdraw(registered(), {"effective_date": date(2026, 5, 1), "reason": "revoked"})
    with pytest.raises(Clash):
        extend(approval, request(), None, None)


# -- resolution by production date -------------------------------------------------------------------------


@pytest.fixture
def three_extensions():
    """00 issued 2026-03-02; 01 on 2026-06-01 adds the long-range version; 02 on 2026-09-01 raises the
    mass of the standard version."""
    heavier = version(KEY, MassGroup={"MassInRunningOrder": 1950, "TechnicallyPermissibleMaximumLadenMass": 2400})
    return extended(registered(), request(versions=[version()]),
                    request(extension=2, issue_date=date(2026, 9, 1), versions=[heavier], reason="heavier battery"))


@pytest.mark.parametrize("day, number, mass", [
    (date(2026, 3, 2), "*00", 1890), (date(2026, 5, 31), "*00", 1890), (date(2026, 6, 1), "*01", 1890),
    (date(2026, 8, 31), "*01", 1890), (date(2026, 9, 1), "*02", 1950), (date(2027, 1, 1), "*02", 1950),
])
def test_the_revision_in_force_on_the_production_date(three_extensions, day, number, mass):
    result = at(three_extensions, day)
    assert result["ok"] and result["number"] == BASE + number
    assert result["coc"]["TypeApprovalNumber"] == BASE + number
    assert result["coc"]["MassGroup"]["MassInRunningOrder"] == mass


def test_a_vehicle_made_after_an_extension_resolves_to_it_even_if_it_refers_to_an_older_one(three_extensions):
    result = at(three_extensions, date(2026, 10, 1), extension=1)
    assert result["ok"] and result["number"] == f"{BASE}*02" and result["superseded"] is True
    assert result["coc"]["TypeApprovalIssueDate"] == "2026-09-01"
    assert at(three_extensions, date(2026, 7, 1), extension=1)["superseded"] is False


def test_referring_to_an_extension_issued_after_production_is_refused(three_extensions):
    result = at(three_extensions, date(2026, 7, 1), extension=2)
    assert result["reason"] == "approval_not_yet_valid"
    assert "extension 02 was issued on 2026-09-01" in result["message"] and f"{BASE}*01 was in force" in result["message"]


def test_referring_to_an_unregistered_extension_is_refused(three_extensions):
    result = at(three_extensions, date(2026, 10, 1), extension=7)
    assert result["reason"] == "approval_unknown" and "registered: 00, 01, 02" in result["message"]


def test_a_version_exists_only_from_the_extension_that_adds_it(three_extensions):
    assert at(three_extensions, date(2026, 5, 1), LONG_RANGE)["reason"] == "version_unknown"
    assert at(three_extensions, date(2026, 6, 1), LONG_RANGE)["ok"]


def test_before_the_first_issue_date_nothing_is_in_force(three_extensions):
    result = at(three_extensions, date(2026, 3, 1))
    assert result["reason"] == "approval_not_yet_valid" and "2026-03-02" in result["message"]


# -- withdrawal ----------------------------------------------------------------------------------------------


def test_withdrawal_refuses_production_on_and_after_its_date(three_extensions):
    withdraw(three_extensions, {"effective_date": date(2026, 10, 15), "reason": "conformity of production failed"},
             "mia", NOW)
    assert at(three_extensions, date(2026, 10, 14))["ok"]
    for day in (date(2026, 10, 15), date(2027, 1, 1)):
        result = at(three_extensions, day)
        assert result["reason"] == "approval_withdrawn"
        assert "2026-10-15" in result["message"] and "conformity of production failed" in result["message"]


def test_withdrawal_dates_and_repeats():
    with pytest.raises(Rejected) as caught:
        withdraw(registered(), {"effective_date": date(2026, 3, 1), "reason": "x"})
    assert caught.value.errors[0]["field"] == "effective_date"
    approval = withdraw(registered(), {"effective_date": date(2026, 3, 2), "reason": "x"}, "mia", NOW)
    assert (approval.status, approval.withdrawn_by, approval.withdrawn_at) == ("withdrawn", "mia", NOW)
    with pytest.raises(Clash):
        withdraw(approval, {"effective_date": date(2026, 4, 1), "reason": "again"})


# -- the approval as the API shows it ------------------------------------------------------------------------


def test_the_view_has_the_extension_history_and_the_withdrawal(three_extensions):
    withdraw(three_extensions, {"effective_date": date(2026, 12, 1), "reason": "end of series"}, "mia", NOW)
    view = approval_view(three_extensions)
    assert (view["number"], view["revision"], view["extension"], view["status"]) == (f"{BASE}*02", 3, 2, "withdrawn")
    assert view["withdrawal"] == {"effective_date": "2026-12-01", "reason": "end of series", "withdrawn_by": "mia",
                                  "withdrawn_at": NOW.isoformat()}
    history = view["history"]
    assert [(h["number"], h["issue_date"], h["reason"]) for h in history] == [
        (f"{BASE}*00", "2026-03-02", "registration"), (f"{BASE}*01", "2026-06-01", "new long-range version"),
        (f"{BASE}*02", "2026-09-01", "heavier battery")]
    assert history[1]["versions_added"] == [dict(zip(("type", "variant", "version"), LONG_RANGE))]
    assert history[2]["versions_changed"] == [dict(zip(("type", "variant", "version"), KEY))]
    assert history[1]["created_by"] == "mia"


def test_each_version_shows_its_complete_type_level_coc(three_extensions):
    view = approval_view(three_extensions)
    standard = next(v for v in view["versions"] if v["version"] == KEY[2])
    coc = standard["type_level_coc"]
    assert coc == type_level_coc(three_extensions, three_extensions.current, KEY)
    assert (coc["Type"], coc["Variant"], coc["Version"], coc["VehicleCategory"]) == (*KEY, "M1")
    assert coc["ProvisionalTypeApprovalIndicator"] == "N" and coc["TypeApprovalIssueDate"] == "2026-09-01"
    assert coc["MassGroup"]["MassInRunningOrder"] == 1950 and coc["MakeTable"] == demo_data.TYPE_LEVEL["MakeTable"]
