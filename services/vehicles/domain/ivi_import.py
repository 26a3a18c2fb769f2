"""A vehicle record from an IVI 2.0 message: its vehicle-level part, the record fields from header and CoC."""
from common.ivi.catalogue import split_levels
from services.vehicles.domain.importing import RECORD_ELEMENTS


def vehicle_from_ivi(document, entity, production_date=None, intended_country=None):
    """`(row, errors)`: the import row the message describes. `production_date` (ISO) and `intended_country`
    fill in what the message leaves out (IVI 2.0 allows both to be absent: the L-category CoC has no date of
    manufacture, the header may name no country; the record then has none, and validation says where a rule
    needs one); given where the message states them, they must agree with it."""
    header, coc = document["header"], document["coc"]
    _, vehicle_level = split_levels(coc)
    row = {"vin": coc.get("VehicleIdentificationNumber"), "approval_number": coc.get("TypeApprovalNumber"),
           "type": coc.get("Type"), "variant": coc.get("Variant"), "version": coc.get("Version"),
           "entity": entity, "coc": {k: v for k, v in vehicle_level.items() if k not in RECORD_ELEMENTS}}
    errors = []
    for field, stated, given in (("production_date", coc.get("DateManufactureVehicle"), production_date),
                                 ("intended_country", header.get("IntendedCountryRegistration"), intended_country)):
        if stated and given and stated != given:
            errors.append({"field": field, "message": f"the IVI says {stated}, the query {given}"})
        else:
            row[field] = stated or given
    return {k: v for k, v in row.items() if v is not None}, errors
