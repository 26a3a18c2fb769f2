"""Bulk import: every row is accounted for as accepted, unchanged or rejected."""
from common.errors import field_errors
from services.vehicles.domain.lifecycle import EDITABLE
from services.vehicles.domain.revisions import record_of


def classify(rows, schema, existing, allowed_entities):
    """Decide each row's fate.

    Returns (changes, unchanged_count, rejected) where changes is a list of (index, data, previous_record)
    and previous_record is None for a new vehicle.
    """
    from marshmallow import ValidationError

    changes, unchanged, rejected = [], 0, []
    seen = {}
    for index, row in enumerate(rows):
        vin = row.get("vin") if isinstance(row, dict) else None
        try:
            data = schema.load(row)
        except ValidationError as exc:
            rejected.append({"index": index, "vin": vin, "errors": field_errors(exc.messages)})
            continue
        if allowed_entities is not None and "*" not in allowed_entities and data["entity"] not in allowed_entities:
            rejected.append({"index": index, "vin": vin, "errors": [
                {"field": "entity", "message": f"you may not act for entity {data['entity']}"}]})
            continue
        if data["vin"] in seen:
            rejected.append({"index": index, "vin": vin, "errors": [
                {"field": "vin", "message": f"the same VIN is already in row {seen[data['vin']]}"}]})
            continue
        seen[data["vin"]] = index
        current = existing.get(data["vin"])
        if current is not None:
            if current["entity"] != data["entity"] and allowed_entities is not None \
                    and "*" not in allowed_entities and current["entity"] not in allowed_entities:
                rejected.append({"index": index, "vin": vin, "errors": [
                    {"field": "vin", "message": "this VIN belongs to another entity"}]})
                continue
            if record_of(current) == record_of(data):
                unchanged += 1
                continue
            if current["status"] not in EDITABLE:
                rejected.append({"index": index, "vin": vin, "errors": [
                    {"field": "vin", "message": f"the vehicle is {current['status']}; it changes only through a "
                                                "correction once released, or after its release is rejected"}]})
                continue
        changes.append((index, data, current))
    return changes, unchanged, rejected
