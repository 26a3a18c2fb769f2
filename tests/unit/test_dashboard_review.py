"""The review context a dashboard page shows: diff against the last certificate, a first issue's vehicle values,
findings and history, each field named by its CoC item and label."""
from gateway.dashboard.review import (
    all_findings, approval_change, field_diff, flatten, labelled_history, vehicle_values,
)
from gateway.dashboard.times import DEFAULT_LOCALE, local_time, reader_locale

CERTIFIED = {"VehicleIdentificationNumber": "WNW0000000000001", "MassGroup": {"ActualMass": 1500},
             "AxleTable": [{"AxleNumber": 1}, {"AxleNumber": 2}], "Colour": "RED"}


def test_flatten_numbers_table_entries():
    assert flatten(CERTIFIED) == {"VehicleIdentificationNumber": "WNW0000000000001", "MassGroup.ActualMass": 1500,
                                  "AxleTable[0].AxleNumber": 1, "AxleTable[1].AxleNumber": 2, "Colour": "RED"}


def test_the_diff_names_each_changed_field_by_item_and_label_in_coc_order():
    pinned = {"VehicleIdentificationNumber": "WNW0000000000001", "MassGroup": {"ActualMass": "1520"},
              "AxleTable": [{"AxleNumber": "1"}], "Colour": "RED", "RemarksText": "new"}
    changes = field_diff(CERTIFIED, pinned)
    by_path = {c["path"]: c for c in changes}
    assert set(by_path) == {"MassGroup.ActualMass", "AxleTable[1].AxleNumber", "RemarksText"}
    mass = by_path["MassGroup.ActualMass"]
    assert (mass["item"], mass["label"], mass["change"], mass["before"], mass["after"]) == (
        "13.2", "Actual mass of the vehicle (kg)", "changed", 1500, "1520")
    assert by_path["AxleTable[1].AxleNumber"]["change"] == "removed"
    assert by_path["RemarksText"]["change"] == "added"
    numbered = [c["item"] for c in changes if c["item"]]
    assert numbered == sorted(numbered, key=lambda i: [int(p) for p in i.split(".") if p.isdigit()])
    assert field_diff(CERTIFIED, CERTIFIED) == []  # "1500" and 1500 are the same value
    sealed = dict(CERTIFIED, SigningAuthorityTable=[{"SignerName": "SAM"}])
    assert field_diff(sealed, CERTIFIED) == []  # who signed is what sealing adds, not a change of the data


def test_a_first_issue_lists_the_vehicle_values():
    lines = vehicle_values({"MassGroup": {"ActualMass": 1500}, "VehicleIdentificationNumber": "V"})
    assert [(line["item"], line["value"]) for line in lines] == [("0.10", "V"), ("13.2", 1500)]


def test_every_finding_is_shown_errors_first_and_history_newest_first():
    findings = all_findings([{"rule": "W", "severity": "warning", "path": "MassGroup.ActualMass", "message": "m"},
                             {"rule": "E", "severity": "error", "path": None, "message": "e"}])
    assert [f["rule"] for f in findings] == ["E", "W"] and findings[1]["item"] == "13.2"
    history = labelled_history([
        {"revision": 1, "actor": "dana", "reason": "import", "at": "t1",
         "diff": [{"path": "intended_country", "old": None, "new": "A"}]},
        {"revision": 2, "actor": "dana", "reason": "weighed", "at": "t2",
         "diff": [{"path": "coc.MassGroup.ActualMass", "old": 1500, "new": 1520}]}])
    assert [h["revision"] for h in history] == [2, 1]
    assert history[0]["changes"][0]["label"] == "Actual mass of the vehicle (kg)"
    assert (history[1]["changes"][0]["item"], history[1]["changes"][0]["label"]) == ("", "intended country")


def test_approval_change_names_the_type_level_fields_that_changed_since_the_certified_revision():
    shown = {"ok": True, "number": "e6*2018/858*01234*01", "revision": 2, "issue_date": "2026-06-01",
             "in_force_revision": 2, "coc": {"MaximumSpeed": 185, "MassGroup": {"TechnicallyPermissibleMass": 2100}}}
    certified = dict(shown, number="e6*2018/858*01234*00", revision=1,
                     coc={"MaximumSpeed": 180, "MassGroup": {"TechnicallyPermissibleMass": 2100}})
    item = {"approval_number": "e6*2018/858*01234*00", "approval_revision": 1, "version_number": 1}
    change = approval_change(shown, item, certified)
    assert change["shown"] == {"number": "e6*2018/858*01234*01", "revision": 2, "issue_date": "2026-06-01",
                               "in_force_revision": 2}
    assert change["certified"] == {"number": "e6*2018/858*01234*00", "revision": 1, "version_number": 1}
    [speed] = change["changes"]
    assert (speed["path"], speed["before"], speed["after"], speed["change"]) == ("MaximumSpeed", 180, 185, "changed")
    assert speed["label"] and speed["item"]  # as the CoC view names it


def test_approval_change_of_a_first_issue_a_legacy_certificate_and_a_refused_revision():
    shown = {"ok": True, "number": "N*00", "revision": 1, "issue_date": "2026-03-02", "coc": {}}
    first = approval_change(shown, first_issue=True)
    assert first["first_issue"] and first["certified"] is None and first["changes"] is None
    legacy = approval_change(shown)  # the last certificate came from no release of ours
    assert not legacy["first_issue"] and legacy["certified"] is None and legacy["changes"] is None
    item = {"approval_number": "N*00", "approval_revision": 1, "version_number": 3}
    refused = approval_change({"ok": False, "message": "no type approval with this number"}, item,
                              {"ok": False, "message": "withdrawn"})
    assert refused["problem"] == "no type approval with this number" and refused["certified_problem"] == "withdrawn"
    assert refused["changes"] is None
    assert approval_change(shown, item, shown)["changes"] == []


def test_times_read_in_the_readers_language_and_the_display_zone_to_the_minute():
    assert local_time("2026-12-03T13:53:17.855135+01:00") == "3 Dec 2026, 12:53 UTC"
    assert local_time("2026-12-03T13:53:17+01:00", reader_locale("de-DE,de;q=0.9,en;q=0.8"),
                      "Europe/Berlin") == "03.12.2026, 13:53 CET"
    assert local_time("2026-07-03T12:00:00+00:00", reader_locale("fr"), "Europe/Paris") == "3 juil. 2026, 14:00 CEST"
    assert local_time("2026-12-03T13:53:17") == "3 Dec 2026, 13:53 UTC"  # no zone: UTC
    assert local_time("not a time") == "not a time"


def test_the_readers_language_is_the_best_one_babel_knows_else_british_english():
    assert str(reader_locale("xx-YY, nl;q=0.5, de;q=0.7")) == "de"
    assert str(reader_locale("en-US")) == "en_US"
    assert str(reader_locale("de;q=0, fr;q=0.1")) == "fr"
    for header in (None, "", "*", "x;q=abc", "en;q=0", "!!!,;;;"):
        assert reader_locale(header) == DEFAULT_LOCALE, header


def test_a_template_without_a_reader_shows_times_in_british_english_and_utc():
    from gateway.dashboard.render import _env

    page = _env.from_string("{{ t | when }}")
    assert page.render(t="2026-12-03T13:53:17.855135+01:00") == "3 Dec 2026, 12:53 UTC"
    assert page.render(t="2026-12-03T13:53:17+01:00", locale=reader_locale("de"),
                       zone="Europe/Brussels") == "03.12.2026, 13:53 CET"
