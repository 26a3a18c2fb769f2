"""CSV import rows and the checks every import row goes through (record fields, vehicle-level CoC)."""
from pathlib import Path

import pytest

from cli import demo_data
from common.contracts.vehicles import CSV_COLUMNS, VehicleIn
from common.ivi.schema import load_schema
from services.vehicles.domain.csv_rows import CsvError, column_errors, parse_csv
from services.vehicles.domain.importing import classify, coc_errors

XSD = Path(__file__).resolve().parents[2].parent / "shared" / "ivi" / "IVI2.0.xsd"
HEADER = "vin,approval_number,type,variant,version,production_date,intended_country,entity"
RECORD = f"{demo_data.APPROVAL_NUMBER},NWA1,NWA1-RWD,NWA1-RWD-LR,2026-11-02,B,{demo_data.ENTITY}"
VINS = demo_data.vins(4)


@pytest.fixture(scope="module")
def ivi():
    if not XSD.is_file():
        pytest.skip(f"the official IVI 2.0 schema is not at {XSD}")
    return load_schema(XSD)


def judge(rows, ivi, existing=None, **kwargs):
    return classify(rows, VehicleIn(), existing or {}, ["NORDWIND"], check_coc_of=lambda c: coc_errors(ivi, c),
                    **kwargs)


def test_columns_become_record_fields_and_typed_ivi_values(ivi):
    text = (f"{HEADER},actual_mass,colour,second_colour,small_series_year,small_series_number,wltp_f0,wltp_f1\n"
            f"{VINS[0]},{RECORD},1907,1,8,2026,17,123.4,0.70\n"
            f"{VINS[1]},{RECORD},,,5,,,,\n")
    rows, lines, pre_errors = parse_csv(text, ivi)
    assert lines == [2, 3] and pre_errors == {}
    assert rows[0] == {
        "vin": VINS[0], "approval_number": demo_data.APPROVAL_NUMBER, "type": "NWA1", "variant": "NWA1-RWD",
        "version": "NWA1-RWD-LR", "production_date": "2026-11-02", "intended_country": "B", "entity": "NORDWIND",
        "coc": {"MassGroup": {"ActualMass": 1907}, "ColourTable": [{"Colour": "1"}, {"Colour": "8"}],
                "ProductionYearSmallSeries": 2026, "ProductionSequentialNumberSmallSeries": 17,
                "WltpEmissionTestParametersGroup": {"WltpRoadLoadCoefficientF0": 123.4,
                                                    "WltpRoadLoadCoefficientF1": "0.70"}},
    }
    assert rows[1]["coc"] == {"ColourTable": [{"Colour": "5"}]}  # a second colour alone is the first
    changes, unchanged, rejected = judge(rows, ivi)
    assert (len(changes), unchanged, rejected) == (2, 0, [])


def test_semicolons_a_byte_order_mark_quotes_and_blank_lines_are_read():
    text = ("\ufeff" + HEADER.replace(",", ";") + ";actual_mass\n\n"
            f'"{VINS[0]}";{RECORD.replace(",", ";")};1907\n\n'
            f"{VINS[1]};{RECORD.replace(',', ';')};1910\n")
    rows, lines, _ = parse_csv(text)
    assert [r["vin"] for r in rows] == VINS[:2] and lines == [3, 5]
    assert rows[1]["coc"] == {"MassGroup": {"ActualMass": 1910}}


def test_a_header_with_unknown_doubled_or_missing_columns_is_refused_naming_them():
    with pytest.raises(CsvError) as caught:
        parse_csv("vin,approval_number,type,variant,version,production_date,mass,vin\nx\n")
    assert caught.value.errors == [
        {"field": "mass", "message": "unknown column; the columns are " + ", ".join(c[0] for c in CSV_COLUMNS)},
        {"field": "vin", "message": "column named twice"},
        {"field": "entity", "message": "required column missing"},  # date and country are optional
    ]
    with pytest.raises(CsvError, match="no header"):
        parse_csv("")
    with pytest.raises(CsvError, match="no vehicle rows"):
        parse_csv(HEADER + "\n")


def test_row_errors_name_the_column_and_the_line(ivi):
    text = (f"{HEADER},actual_mass,colour\n"
            f"{VINS[0]},{RECORD},1907,1\n"
            f"{VINS[1]},{RECORD},heavy,1\n"
            f"{VINS[2]},{RECORD.replace('2026-11-02', '2026-13-45')},1900,Z\n"
            f"{VINS[3]},{RECORD},1900\n"
            f"{VINS[0]},{RECORD},1907,1\n")
    rows, lines, pre_errors = parse_csv(text, ivi)
    changes, unchanged, rejected = judge(rows, ivi, pre_errors=pre_errors, label=lambda i: lines[i])
    assert [i for i, _, _ in changes] == [0]
    rejected = column_errors(rejected, lines)
    assert [(r["index"], r["row"], r["vin"]) for r in rejected] == [(1, 3, VINS[1]), (2, 4, VINS[2]),
                                                                    (3, 5, VINS[3]), (4, 6, VINS[0])]
    assert [e["field"] for e in rejected[0]["errors"]] == ["actual_mass"]
    assert "whole number" in rejected[0]["errors"][0]["message"]
    assert [e["field"] for e in rejected[1]["errors"]] == ["production_date", "colour"]
    assert "'Z' is not a code of ColourCode" in rejected[1]["errors"][1]["message"]
    assert rejected[2]["errors"] == [{"field": "_row", "message": "row 5 has 9 cells; the header has 10"}]
    assert rejected[3]["errors"] == [{"field": "vin", "message": "the same VIN is already in row 2"}]


def test_the_coc_of_a_json_row_is_checked_as_vehicle_level_data(ivi):
    [row] = demo_data.vehicles(1)
    bad = dict(row, coc={"MassGroup": {"ActualMass": -5, "MassInRunningOrder": 1890},
                         "VehicleIdentificationNumber": row["vin"], "ColourTable": []})
    changes, _, [rejected] = judge([bad], ivi)
    assert changes == [] and rejected["index"] == 0 and rejected["vin"] == row["vin"]
    messages = {e["field"]: e["message"] for e in rejected["errors"]}
    assert set(messages) == {"coc.VehicleIdentificationNumber", "coc.MassGroup.ActualMass",
                             "coc.MassGroup.MassInRunningOrder", "coc.ColourTable"}
    assert messages["coc.VehicleIdentificationNumber"] == "give it as the vehicle's `vin`, not inside coc"
    assert "type-level" in messages["coc.MassGroup.MassInRunningOrder"]
    assert "out of range" in messages["coc.MassGroup.ActualMass"]


def test_record_and_coc_errors_of_one_row_come_together(ivi):
    [row] = demo_data.vehicles(1)
    bad = dict(row, vin="NWAO1234", coc={"MassGroup": {"ActualMass": "1.5t"}}, colour="1")
    _, _, [rejected] = judge([bad], ivi)
    assert sorted(e["field"] for e in rejected["errors"]) == ["coc.MassGroup.ActualMass", "colour", "vin"]


def test_an_identical_row_is_unchanged_and_a_released_vehicle_is_not_overwritten(ivi):
    rows = demo_data.vehicles(2)
    stored = {r["vin"]: dict(r, status="valid") for r in rows}
    assert judge(rows, ivi, stored)[:2] == ([], 2)
    stored[rows[1]["vin"]]["status"] = "released"
    changed = [rows[0], dict(rows[1], intended_country="NL")]
    changes, unchanged, [rejected] = judge(changed, ivi, stored)
    assert (changes, unchanged) == ([], 1)
    assert rejected["errors"][0]["field"] == "vin" and "correction" in rejected["errors"][0]["message"]


def test_text_that_cannot_be_stored_or_a_row_the_csv_module_cannot_read_is_refused_naming_it():
    with pytest.raises(CsvError) as caught:
        surrogate = RECORD.replace("NWA1-RWD,", "NWA1-RWD,x" + chr(0xD800))
        parse_csv(f"{HEADER}\n{VINS[0]},{RECORD}\n{VINS[1]},{surrogate}\n")
    assert caught.value.errors == [{"field": "version", "message": "row 3: must be text without NUL or unpaired "
                                                                   "surrogates"}]
    with pytest.raises(CsvError) as caught:
        parse_csv(HEADER + ",\x00\n")
    assert caught.value.errors[0]["field"] == "column 9"
    with pytest.raises(CsvError) as caught:
        parse_csv(f"{HEADER}\n{VINS[0]},{RECORD}\n{VINS[1]},{'x' * 200_000}\n")
    assert caught.value.errors == [{"field": "_body", "message": "row 3: field larger than field limit (131072)"}]


def test_old_mac_line_ends_are_rows():
    rows, lines, _ = parse_csv(f"{HEADER}\r{VINS[0]},{RECORD}\r{VINS[1]},{RECORD}\r")
    assert [r["vin"] for r in rows] == VINS[:2] and lines == [2, 3]
