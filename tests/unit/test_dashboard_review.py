"""The review context a dashboard page shows: diff against the last certificate, a first issue's vehicle values,
findings and history, each field named by its CoC item and label."""
from gateway.dashboard.review import all_findings, field_diff, flatten, labelled_history, vehicle_values

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


def test_times_read_to_the_minute_in_utc_without_microseconds():
    from gateway.dashboard.render import when

    assert when("2026-12-03T13:53:17.855135+01:00") == "2026-12-03 12:53 UTC"
    assert when("not a time") == "not a time"
