"""Bulk import: every row is accounted for as accepted, unchanged or rejected."""
from marshmallow import ValidationError

from common.errors import field_errors
from common.ivi.document import as_field_errors, check_coc
from services.vehicles.domain.lifecycle import CHANGEABLE
from services.vehicles.domain.revisions import record_of
from services.vehicles.domain.scope import allowed

# Vehicles are keyed by VIN, so a VIN another entity holds cannot be stored for the caller. Its row is refused in
# the words used for every VIN the caller may not store, never saying that another entity holds it.
VIN_NOT_AVAILABLE = "VIN not available to this entity"

# IVI elements that are fields of the vehicle record itself, never part of its `coc`
RECORD_ELEMENTS = {"VehicleIdentificationNumber": "vin", "DateManufactureVehicle": "production_date"}


def coc_errors(ivi_schema, coc):
    """The problems of a vehicle-level `coc` as [{field: "coc.<path>", message}] ([] when fine).

    Without a schema only the record elements are checked (validation judges the rest later)."""
    errors = [{"field": f"coc.{name}", "message": f"give it as the vehicle's `{field}`, not inside coc"}
              for name, field in RECORD_ELEMENTS.items() if name in coc]
    if ivi_schema is not None:
        errors.extend(as_field_errors(check_coc(ivi_schema, coc, level="vehicle")))
    return errors


def classify(rows, schema, existing, allowed_entities, *, check_coc_of=None, checks=(), pre_errors=None,
             label=str, being_signed=frozenset(), replace=False):
    """Decide each row's fate.

    `check_coc_of(coc)` → errors of a row's `coc`; `checks` are further `check(data)` → errors run on rows
    that loaded; `pre_errors` maps a row index to errors found before (e.g. a CSV row with too many cells);
    `label(index)` names a row in messages; `being_signed` are VINs a release is sealing now; a vehicle changed by
    PATCH or a correction since its import (`edited`) is overwritten only with `replace`, else its row is a
    conflict (`"conflict": true`). Returns (changes, unchanged_count, rejected) where changes is a
    list of (index, data, previous_record) and previous_record is None for a new vehicle.
    """
    changes, unchanged, rejected = [], 0, []
    seen = {}
    pre_errors = pre_errors or {}
    for index, row in enumerate(rows):
        vin = row.get("vin") if isinstance(row, dict) else None
        errors = list(pre_errors.get(index, ()))
        try:
            data = schema.load(row)
        except ValidationError as exc:
            data = None
            named = {e["field"] for e in errors}  # a field already explained is not repeated as "missing"
            errors.extend(e for e in field_errors(exc.messages) if e["field"] not in named)
        coc = row.get("coc") if isinstance(row, dict) else None
        if check_coc_of is not None and isinstance(coc, dict):
            errors.extend(check_coc_of(coc))
        if data is not None and not errors:
            errors = [e for check in checks for e in check(data)]
        if errors:
            rejected.append({"index": index, "vin": vin, "errors": errors})
            continue
        if not allowed(data["entity"], allowed_entities):
            rejected.append({"index": index, "vin": vin, "errors": [
                {"field": "entity", "message": f"you may not act for entity {data['entity']}"}]})
            continue
        if data["vin"] in seen:
            rejected.append({"index": index, "vin": vin, "errors": [
                {"field": "vin", "message": f"the same VIN is already in row {label(seen[data['vin']])}"}]})
            continue
        seen[data["vin"]] = index
        current = existing.get(data["vin"])
        if current is not None:
            if current["entity"] != data["entity"] and not allowed(current["entity"], allowed_entities):
                rejected.append({"index": index, "vin": vin,
                                 "errors": [{"field": "vin", "message": VIN_NOT_AVAILABLE}]})
                continue
            if record_of(current) == record_of(data):
                unchanged += 1
                continue
            if current["status"] not in CHANGEABLE or data["vin"] in being_signed:
                state = "being signed" if data["vin"] in being_signed else current["status"]
                rejected.append({"index": index, "vin": vin, "errors": [
                    {"field": "vin", "message": f"the vehicle is {state}; it changes only through a "
                                                "correction once released"}]})
                continue
            if current.get("edited") and not replace:
                rejected.append({"index": index, "vin": vin, "conflict": True, "errors": [
                    {"field": "vin", "message": f"changed since its import (revision {current['revision']}, by "
                                                f"{current.get('last_editor') or 'someone'}): importing it again "
                                                "would undo that; ask to replace to overwrite it"}]})
                continue
        changes.append((index, data, current))
    return changes, unchanged, rejected
