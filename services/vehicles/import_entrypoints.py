"""The vehicles service's imports: JSON rows, CSV files and IVI 2.0 messages (a vehicle, or the eCoC of an
earlier stage of a multi-stage vehicle). Every row is accounted for: accepted, unchanged or rejected.

A mixin of `services.vehicles.service.VehiclesService` (its dependencies and helpers are used here)."""
from common.rpc import rpc
from sqlalchemy.exc import IntegrityError

from common.contracts.events import VEHICLE_STAGE_IMPORTED
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
from services.vehicles.domain.stages import base_stage, differs_from, event_subject, stage_change

STAGE_KEYS = ("vin", "stage", "approval_number", "type", "variant", "version", "stage_of_completion")


class ImportEntrypoints:

    @rpc(expected_exceptions=EXPECTED)
    def import_vehicles(self, payload, reason=None):
        self.caller.require("data_steward")
        data = load_or_raise(ImportIn(), payload)
        return self._import(data["vehicles"], data["reason"] or reason or "import", replace=data["replace"])

    @rpc(expected_exceptions=EXPECTED)
    def import_csv(self, text, reason=None, replace=False):
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
        result = self._import(rows, reason or "CSV import", pre_errors, label=lambda i: lines[i],
                              replace=replace is True)
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
            return self._import_base(message, params["entity"], params.get("reason"))
        production = params.get("production_date")
        row, errors = vehicle_from_ivi(message, params["entity"], production.isoformat() if production else None,
                                       params.get("intended_country"))
        result = self._import([row], params.get("reason") or "imported from IVI", {0: errors} if errors else None,
                              replace=params.get("replace", False))
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

    def _import(self, rows, reason, pre_errors=None, label=str, replace=False):
        named = [r for r in rows if isinstance(r, dict) and isinstance(r.get("vin"), str)]
        vins = [r["vin"] for r in named]
        with self.db as uow:
            repo.hold_attach_locks(uow.session, vins)
            # a row is judged against the earlier stages of the entity it names
            stages = repo.load_stages(uow.session, [(r["vin"], r["entity"]) for r in named
                                                    if isinstance(r.get("entity"), str)])

            def decide(existing):
                return classify(rows, VehicleIn(), existing, self._entities(), check_coc_of=self._coc_errors,
                                checks=[differs_from(stages)], pre_errors=pre_errors, label=label,
                                being_signed=repo.being_signed(uow.session, existing.values()), replace=replace)

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

    def _import_base(self, message, entity, reason):
        """The stage is `entity`'s; it is attached to the VIN's record only when that record is `entity`'s too,
        and then as an edit (a revision by the caller). Any other VIN, unknown or another entity's, answers alike."""
        stage, errors = base_stage(message["coc"])
        if errors:
            raise InvalidInput("The message cannot be a base vehicle's eCoC.", errors)
        vin = stage["vin"]
        with self.db as uow:
            repo.hold_attach_locks(uow.session, [vin], exclusive=True)
            vehicle = repo.load_vehicles(uow.session, [vin]).get(vin)
            if vehicle is not None and vehicle["entity"] == entity:  # another entity's record is not even locked
                vehicle = repo.load_vehicles(uow.session, [vin], for_update=True)[vin]
            if vehicle is not None and vehicle["entity"] != entity:
                vehicle = None
            earlier = {s["stage"]: s for s in repo.load_stages(uow.session, [(vin, entity)]).get(vin, [])}
            replaced = earlier.get(stage["stage"])
            unchanged = replaced is not None and replaced["coc"] == stage["coc"]
            if not unchanged:
                revision = None
                if vehicle is not None:
                    revision = self._attach_stage(uow, vehicle, stage, replaced, reason)
                repo.put_stage(uow.session, stage, entity, message["header"], self.caller.sub)
                uow.emit(VEHICLE_STAGE_IMPORTED, dict({k: stage[k] for k in STAGE_KEYS + ("coc",)},
                                                      attached_to_revision=revision),
                         subject=event_subject(vin, entity, attached=vehicle is not None), entity=entity)
                if vehicle is not None:  # its certificate data changes: judged again
                    self._emit_changed(uow, [dict(vehicle, revision=revision)])
            uow.commit()
        return dict({k: stage[k] for k in STAGE_KEYS}, outcome="unchanged" if unchanged else "base_stage")

    def _attach_stage(self, uow, vehicle, stage, replaced, reason):
        vin = vehicle["vin"]
        if vehicle["status"] not in lifecycle.CHANGEABLE:
            raise Conflict(f"vehicle {vin} is {vehicle['status']}: its base vehicle is attached before it is "
                           "signed", [{"field": "status", "message": vehicle["status"]}])
        errors = differs_from({vin: [stage]})(vehicle)
        if errors:
            raise InvalidInput("The vehicle's stage equals its base vehicle's.", errors)
        why = reason or f"base vehicle's eCoC imported as stage {stage['stage']}"
        self._reopen(uow, [vehicle], why)  # in review or approved: the item leaves its release
        revision = repo.save_stage_revision(uow.session, vehicle, stage_change(replaced, stage), self.caller.sub, why)
        if vehicle["status"] != lifecycle.DRAFT:
            self._emit_status(uow, vehicle["entity"], [vin], lifecycle.DRAFT)
        return revision
