"""What a vehicle's CoC says: the type-level data in force merged with the vehicle-level data.

Used by validation (to judge the data) and by signing (to build the certificate) so both see the same
document. The signing authority is added by signing, at the moment of sealing.
"""
from common.ivi.catalogue import merge_levels


def compose_coc(type_level, vehicle):
    """`vehicle` is a vehicle record: vin, production_date (ISO), coc (vehicle-level part)."""
    coc = merge_levels(type_level or {}, vehicle.get("coc") or {})
    coc["VehicleIdentificationNumber"] = vehicle["vin"]
    if vehicle.get("production_date"):
        coc["DateManufactureVehicle"] = vehicle["production_date"]
    return coc
