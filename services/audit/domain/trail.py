"""What a vehicle's audit entries, as its evidence pack carries them, say of it (plain Python).

A pack entry is either of format 1 (content and the whole payload) or of format 2 (the shared payload and the
VIN's item, domain/items.py); `data_of` gives the event's data as far as the pack shows it either way.
"""
from services.audit.domain import items

RECORD_FIELDS = ("entity", "approval_number", "type", "variant", "version", "production_date", "intended_country",
                 "coc")


def data_of(entry):
    if "item" in entry:
        return items.data_of(entry)
    return (entry.get("payload") or {}).get("data") or {}


def names(entry, vin):
    if "item" in entry:
        return entry["item"]["key"] == vin and entry["item"]["named"]
    return vin == entry.get("subject") or vin in (entry.get("subjects") or [])


class Trail:
    """The VIN's certificates (by reference id: version, sha256, status), data revisions, validation
    outcomes, last status and last announced record, each with the seq of the entry that says so."""

    def __init__(self, vin, entries):
        self.certificates, self.revisions, self.judged = {}, {}, {}
        self.status = self.record = None
        readers = {
            "certificate_signed": self._certificate_signed, "certificate_superseded": self._certificate_superseded,
            "certificate_withdrawn": self._certificate_withdrawn, "vehicle_changed": self._vehicle_changed,
            "vehicle_withdrawn": self._vehicle_withdrawn, "vehicle_status_changed": self._vehicle_status_changed,
            "validation_completed": self._validation_completed,
        }
        for entry in sorted(entries, key=lambda e: e["seq"]):
            if entry["event_type"] in readers:
                readers[entry["event_type"]](vin, entry["seq"], data_of(entry))

    @staticmethod
    def _mine(vin, listed):
        return [item for item in listed or [] if isinstance(item, dict) and item.get("vin") == vin]

    def _certificate_signed(self, vin, seq, data):
        for ref in self._mine(vin, data.get("certificates")):
            self.certificates[ref.get("reference_id")] = {
                "version_number": ref.get("version_number"), "sha256": ref.get("sha256"), "status": "current",
                "seq": seq}

    def _certificate_superseded(self, vin, seq, data):
        for ref in self._mine(vin, data.get("certificates")):
            self.certificates.setdefault(ref.get("reference_id"), {}).update(status="superseded", seq=seq)

    def _certificate_withdrawn(self, vin, seq, data):
        if data.get("vin") == vin:
            self.certificates.setdefault(data.get("reference_id"), {}).update(status="withdrawn", seq=seq)

    def _vehicle_changed(self, vin, seq, data):
        for vehicle in self._mine(vin, data.get("vehicles")):
            self.revisions.setdefault(vehicle.get("revision"), seq)
            self.record = (vehicle, seq)

    def _vehicle_withdrawn(self, vin, seq, data):
        if data.get("vin") == vin and "revision" in data:
            self.revisions.setdefault(data["revision"], seq)

    def _vehicle_status_changed(self, vin, seq, data):
        for vehicle in self._mine(vin, data.get("vehicles")):
            self.status = (vehicle.get("status"), seq)

    def _validation_completed(self, vin, seq, data):
        for result in self._mine(vin, data.get("results")):
            self.judged.setdefault((result.get("revision"), result.get("status")), seq)
