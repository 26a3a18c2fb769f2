"""An IVI document (as read by `common.ivi.reader.read_ivi`) seen as a vehicle record plus the approval data it
was made from, so the rule catalogue can judge accepted eCoCs such as the official specimens.

The type level and vehicle level come from `split_levels`; the production date is DateManufactureVehicle or,
where a dataset has none (L, T categories), the signature date; the intended country comes from the header.
"""
from common.ivi.catalogue import split_levels

from .approval_number import read_number

RECORD_FIELDS = ("VehicleIdentificationNumber", "DateManufactureVehicle")  # the record's own, set at composition


def case_from_document(document, entity="SPECIMEN", wmis=None, revision=1):
    """`(vehicle, resolution, wmis, header)` for `judge(vehicle, resolution, checker, wmis=wmis, header=header)`.

    `wmis` defaults to the VIN's own WMI: the document's manufacturer is taken to hold its VIN."""
    header, coc = document.get("header") or {}, document.get("coc") or {}
    type_level, vehicle_level = split_levels(coc)
    for key in RECORD_FIELDS:
        vehicle_level.pop(key, None)
    vin = coc.get("VehicleIdentificationNumber") or ""
    signed = [s.get("SignatureDate") for s in coc.get("SigningAuthorityTable") or [] if s.get("SignatureDate")]
    produced = coc.get("DateManufactureVehicle") or (signed[0] if signed else None)
    number = coc.get("TypeApprovalNumber")
    vehicle = {
        "vin": vin, "revision": revision, "entity": entity, "approval_number": number,
        "type": coc.get("Type"), "variant": coc.get("Variant"), "version": coc.get("Version"),
        "production_date": produced, "intended_country": header.get("IntendedCountryRegistration"),
        "coc": vehicle_level,
    }
    try:
        extension = read_number(number).extension
    except ValueError:
        extension = None
    resolution = {
        "ok": True, "coc": type_level, "number": number, "revision": 1, "extension": extension,
        "issue_date": coc.get("TypeApprovalIssueDate"), "entity": entity, "category": coc.get("VehicleCategory"),
        "ranges": {},
    }
    return vehicle, resolution, (vin[:3],) if wmis is None else tuple(wmis), header
