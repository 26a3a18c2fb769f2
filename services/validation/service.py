"""validation: judges vehicle revisions with the rule packs, stores the reports, reports the outcome."""
import logging

import eventlet
from eventlet import tpool
from marshmallow import ValidationError
from nameko.rpc import ServiceRpc, rpc

from common.config import settings
from common.contracts.events import VALIDATION_COMPLETED, VEHICLE_CHANGED, VehicleRecord
from common.dependencies import Database
from common.errors import EXPECTED, InvalidInput, NotFound, field_errors
from common.events import on_event
from common.outbox import utcnow
from services.validation import repository as repo
from services.validation.dependencies import DraftSchema
from services.validation.domain.batch import ResolutionPlan, judge_batch, result_of
from services.validation.domain.pack import catalogue, pack_versions
from services.validation.models import inbox, outbox, validation_reports


log = logging.getLogger(__name__)


class ValidationService:
    name = "validation"

    db = Database(outbox, inbox)
    approvals = ServiceRpc("approvals")
    drafts = DraftSchema()

    @rpc
    def health(self):
        with self.db as uow:
            uow.session.execute(validation_reports.select().limit(0))
        return {"service": self.name, "ok": True, "rule_packs": pack_versions(),
                "schema_checks": self.drafts is not None}

    @rpc
    def rules(self):
        return catalogue()

    @rpc(expected_exceptions=EXPECTED)
    def report(self, vin):
        with self.db as uow:
            found = repo.latest_report(uow.session, vin)
        if found is None:
            raise NotFound(f"no validation report for VIN {vin}")
        return found

    @rpc(expected_exceptions=EXPECTED)
    def validate_batch(self, vehicles):
        """Judge and store; returns [{vin, revision, status, findings}]. Emits nothing (the event path does)."""
        if not isinstance(vehicles, list):
            raise InvalidInput("vehicles must be a list of vehicle records.")
        loaded, errors = [], []
        for i, vehicle in enumerate(vehicles):
            try:
                loaded.append(VehicleRecord().load(vehicle))
            except ValidationError as exc:
                errors.extend(field_errors(exc.messages, f"vehicles[{i}]"))
        if errors:
            raise InvalidInput("Some vehicle records cannot be validated.", errors)
        reports = self._judge(loaded)
        with self.db as uow:
            repo.store_reports(uow.session, reports, utcnow())
            uow.commit()
        return [result_of(r) for r in reports]

    @on_event("vehicles", VEHICLE_CHANGED)
    def on_vehicle_changed(self, envelope):
        with self.db as uow:  # a redelivered event is skipped before any work
            if repo.event_seen(uow.session, envelope["event_id"]):
                return
        vehicles = _usable(envelope["data"].get("vehicles"), envelope["event_id"])
        reports = self._judge(vehicles) if vehicles else []
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, envelope):
                return
            if reports:
                repo.store_reports(uow.session, reports, utcnow(), envelope["event_id"])
                uow.emit(VALIDATION_COMPLETED, **_completed(reports, envelope["subject"]))
            uow.commit()

    def _judge(self, vehicles):
        """One resolve call for the batch, then the rules for every vehicle off the hub thread."""
        plan = ResolutionPlan(vehicles)
        results = []
        if plan.items:
            with eventlet.Timeout(settings().rpc_timeout):
                results = self.approvals.resolve(plan.items)
        return tpool.execute(judge_batch, vehicles, plan.per_vehicle(results), self.drafts)


def _completed(reports, batch_subject):
    """The validation_completed event of a batch: subjects are the VINs, entity the batch's if single."""
    vins = list(dict.fromkeys(r["vin"] for r in reports))
    entities = {r["entity"] for r in reports}
    return {
        "data": {"results": [result_of(r) for r in reports]},
        "subject": vins[0] if len(vins) == 1 else batch_subject,
        "subjects": vins,
        "entity": entities.pop() if len(entities) == 1 else None,
    }


def _usable(vehicles, event_id):
    """The event's vehicle records that can carry a report; the others are logged and left out."""
    if not isinstance(vehicles, list):
        log.error("vehicle_changed %s: data.vehicles is not a list; nothing to validate", event_id)
        return []
    out = []
    for i, vehicle in enumerate(vehicles):
        try:
            out.append(VehicleRecord().load(vehicle))
        except ValidationError as exc:
            log.error("vehicle_changed %s: vehicles[%d] cannot be validated: %s", event_id, i, exc.messages)
    return out
