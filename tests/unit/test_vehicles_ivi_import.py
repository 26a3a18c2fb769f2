"""A vehicle record from an IVI message: what the message leaves out stays out, or comes from the query."""
from services.vehicles.domain.ivi_import import vehicle_from_ivi

COC = {"VehicleIdentificationNumber": "ZDML1E0TEST000001", "TypeApprovalNumber": "e3*168/2013*00001*00",
       "Type": "T", "Variant": "V", "Version": "W", "VehicleCategory": "L1e"}


def test_a_message_without_date_nor_country_is_a_row_without_them():
    row, errors = vehicle_from_ivi({"header": {}, "coc": COC}, "E")
    assert errors == [] and "production_date" not in row and "intended_country" not in row
    row, errors = vehicle_from_ivi({"header": {}, "coc": COC}, "E", "2025-07-01", "NL")
    assert errors == [] and (row["production_date"], row["intended_country"]) == ("2025-07-01", "NL")


def test_a_query_contradicting_the_message_is_named_field_by_field_in_one_answer():
    document = {"header": {"IntendedCountryRegistration": "NL"}, "coc": dict(COC, DateManufactureVehicle="2024-01-18")}
    row, errors = vehicle_from_ivi(document, "E", "2025-07-01", "D")
    assert errors == [{"field": "production_date", "message": "the IVI says 2024-01-18, the query 2025-07-01"},
                      {"field": "intended_country", "message": "the IVI says NL, the query D"}]
    row, errors = vehicle_from_ivi(document, "E", "2024-01-18", "NL")
    assert errors == [] and (row["production_date"], row["intended_country"]) == ("2024-01-18", "NL")
