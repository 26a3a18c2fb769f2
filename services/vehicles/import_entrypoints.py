"""The vehicles service's imports: JSON rows, CSV files and IVI 2.0 messages (a vehicle, or the eCoC of an
earlier stage of a multi-stage vehicle). Every row is accounted for: accepted, unchanged or rejected.

A mixin of `services.vehicles.service.VehiclesService` (its dependencies and helpers are used here)."""
from nameko.rpc import rpc
from sqlalchemy.exc import IntegrityError

from common.contracts.vehicles import MAX_IMPORT, FromIviParams, ImportIn, VehicleIn
from common.errors import EXPECTED, Conflict, InvalidInput, load_or_raise
from common.ivi.errors import IviFormatError
from common.ivi.reader import read_ivi
from services.vehicles import repository as repo
from services.vehicles.domain import lifecycle
from services.vehicles.domain.csv_rows import CsvError, column_errors, parse_csv
from services.vehicles.domain.importing import classify
from services.vehicles.domain.ivi_import import vehicle_from_ivi
from services.vehicles.domain.scope import allowed
from services.vehicles.domain.stages import base_stage, differs_from


class ImportEntrypoints:

    @rpc(expected_exceptions=EXPECTED)
    def import_vehicles(self, payload, reason=None):
        self.caller.require("data_steward")
        data = load_or_raise(ImportIn(), payload)
        return self._import(data["vehicles"], data["reason"] or reason or "import")

    @rpc(expected_exceptions=EXPECTED)
    def import_csv(self, text, reason=None):
        """CSV text with a header row (see `common.contracts.vehicles.CSV_COLUMNS`); rejections name column and row."""
        self.caller.require("data_steward")
        if not isinstance(text, str):
            raise InvalidInput("No CSV text.", [{"field": "_body", "message": "a CSV document is required"}])
        try:
            rows, lines, pre_errors = parse_csv(text, self.ivi)
        except CsvError as exc:
            raise InvalidInput(str(exc), exc.errors) from None
        if len(rows) > MAX_IMPORT:
            raise InvalidInput("Too many rows.", [{"field": "_body", "message": f"at most {MAX_IMPORT} "
                                                                               f"vehicles a request, got {len(rows)}"}])
        result = self._import(rows, reason or "CSV import", pre_errors, label=lambda i: lines[i])
        return dict(result, rejected=column_errors(result["rejected"], lines))

    @rpc(expected_exceptions=EXPECTED)
    def import_ivi(self, document, params):
        """A vehicle record from an IVI 2.0 message (its vehicle-level part); with `stage=base` the message is
        the eCoC of an earlier stage of a multi-stage vehicle and is kept beside the VIN's record."""
        self.caller.require("data_steward")
        params = load_or_raise(FromIviParams(), params)
        if not allowed(params["entity"], self._entities()):
            raise InvalidInput("Unknown legal entity.", [{"field": "entity",
                                                         "message": f"you may not act for entity {params['entity']}"}])
        message = self._read_ivi(document)
        if params.get("stage") == "base":
            return self._import_base(message, params["entity"])
        production = params.get("production_date")
        row, errors = vehicle_from_ivi(message, params["entity"], production.isoformat() if production else None,
                                       params.get("intended_country"))
        result = self._import([row], params.get("reason") or "imported from IVI", {0: errors} if errors else None)
        if result["rejected"]:
            raise InvalidInput("The IVI message cannot become a vehicle record.", result["rejected"][0]["errors"])
        return dict(self.get(row["vin"]), outcome="accepted" if result["accepted"] else "unchanged")

    def _read_ivi(self, document):
        if self.ivi is None:
            raise InvalidInput("IVI messages cannot be read: no IVI 2.0 schema is configured on the server.",
                               [{"field": "_body", "message": "set ECOC_IVI_SCHEMA to the official IVI2.0.xsd"}])
        if not isinstance(document, str) or not document.strip():
            raise InvalidInput("No document.", [{"field": "_body", "message": "an IVI 2.0 XML document is required"}])
        try:
            return read_ivi(document.encode("utf-8"), self.ivi)
        except IviFormatError as exc:
            where = f" (line {exc.line})" if exc.line else ""
            raise InvalidInput("The document is not a readable IVI 2.0 message.",
                               [{"field": exc.path or "_body", "message": exc.message + where}]) from None

    def _import(self, rows, reason, pre_errors=None, label=str):
        vins = [r["vin"] for r in rows if isinstance(r, dict) and isinstance(r.get("vin"), str)]
        with self.db as uow:
            stages = repo.load_stages(uow.session, vins)

            def decide(existing):
                return classify(rows, VehicleIn(), existing, self._entities(), check_coc_of=self._coc_errors,
                                checks=[differs_from(stages)], pre_errors=pre_errors, label=label,
                                being_signed=repo.being_signed(uow.session, existing.values()))

            changes, unchanged, rejected = self._decide_locked(uow, vins, decide)
            stored = repo.save_changes(uow.session, changes, self.caller.sub, reason)
            moved = [c for _, _, c in changes if c is not None and c["status"] != lifecycle.DRAFT]
            self._emit_changed(uow, stored, moved, f"vehicle changed: {reason}")
            try:
                uow.commit()
            except IntegrityError:  # another import created one of these VINs at the same moment
                raise Conflict("Some of these vehicles were changed by another request at the same moment: "
                               "send the import again.") from None
        return {"accepted": len(stored), "unchanged": unchanged, "rejected": rejected}

    @staticmethod
    def _decide_locked(uow, vins, decide):
        """`decide(existing)` on the stored vehicles, locking only those it changes (an unchanged row of a
        re-import takes no lock); decided again if one of them moved before its lock was taken."""
        existing = repo.load_vehicles(uow.session, vins)
        while True:
            decided = decide(existing)
            touched = [current["vin"] for _, _, current in decided[0] if current is not None]
            locked = repo.load_vehicles(uow.session, touched, for_update=True)
            moved = [vin for vin in touched
                     if (locked[vin]["revision"], locked[vin]["status"]) != (existing[vin]["revision"],
                                                                             existing[vin]["status"])]
            if not moved:
                return decided
            existing.update(locked)

    def _import_base(self, message, entity):
        stage, errors = base_stage(message["coc"])
        if errors:
            raise InvalidInput("The message cannot be a base vehicle's eCoC.", errors)
        vin = stage["vin"]
        with self.db as uow:
            vehicle = repo.load_vehicles(uow.session, [vin], for_update=True).get(vin)
            earlier = repo.load_stages(uow.session, [vin]).get(vin, [])
            owners = [vehicle["entity"]] if vehicle else []
            if not all(allowed(owner, self._entities()) for owner in owners + [s["entity"] for s in earlier]):
                raise InvalidInput("The VIN belongs to another entity.", [
                    {"field": "VehicleIdentificationNumber", "message": "this VIN belongs to another entity"}])
            unchanged = any(s["stage"] == stage["stage"] and s["coc"] == stage["coc"] for s in earlier)
            if vehicle is not None and not unchanged:
                if vehicle["status"] not in lifecycle.EDITABLE:
                    raise Conflict(f"vehicle {vin} is {vehicle['status']}: its base vehicle is attached while it "
                                   "is draft, valid or blocked", [{"field": "status", "message": vehicle["status"]}])
                errors = differs_from({vin: [stage]})(vehicle)
                if errors:
                    raise InvalidInput("The vehicle's stage equals its base vehicle's.", errors)
            if not unchanged:
                repo.put_stage(uow.session, stage, entity, message["header"], self.caller.sub)
            if vehicle is not None and not unchanged:  # its certificate data changes: judged again
                self._move(uow, [vehicle], lifecycle.DRAFT, findings=[])
                self._emit_changed(uow, [vehicle])
            uow.commit()
        return dict({k: stage[k] for k in ("vin", "stage", "approval_number", "type", "variant", "version",
                                           "stage_of_completion")}, outcome="unchanged" if unchanged else "base_stage")

