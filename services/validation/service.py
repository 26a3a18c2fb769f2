"""validation: judges vehicle revisions with the rule packs, stores the reports, reports the outcome.

Vehicles are judged when `vehicle_changed` arrives (the vehicles service re-emits it for unreleased
vehicles when their approval is extended or withdrawn, so approval events need no handler here) and
through `validate_batch`. Per batch the approvals service is asked once to resolve the distinct
approval references and once per legal entity for its registered WMIs.
"""
import logging
import re

import eventlet
from eventlet import tpool
from marshmallow import ValidationError
from common.rpc import rpc

from common import metrics
from common.config import settings
from common.contracts.events import VALIDATION_COMPLETED, VEHICLE_CHANGED, VehicleRecord
from common.dependencies import Database, Identity, IviSchema
from common.errors import EXPECTED, InvalidInput, NotFound, field_errors
from common.events import on_event
from common.health import Health
from common.ops import Ops
from common.outbox import utcnow
from common.rpc import ServiceRpc
from services.validation import repository as repo
from services.validation.exception_entrypoints import ExceptionEntrypoints
from services.validation.domain.draft import DraftChecker
from services.validation.domain.batch import entity_codes, judge, judge_batch, resolution_plan, result_of
from services.validation.domain.document import case_from_document
from services.validation.domain.draft import DOWNLOAD_HINT
from services.validation.domain.pack import PACKS, catalogue, pack_versions
from services.validation.models import inbox, outbox, validation_reports


log = logging.getLogger(__name__)

MAX_VINS = 1000
RECORD = VehicleRecord()  # one schema for every record: building a marshmallow schema costs more than loading
_CATEGORY = re.compile(r"[A-Z][0-9A-Za-z.\-]{0,9}")


class ValidationService(Health, ExceptionEntrypoints):
    name = "validation"

    db = Database(outbox, inbox)
    caller = Identity()  # event handlers ask approvals as this service; RPCs pass their caller on
    ops = Ops()  # /livez, /readyz, /metrics; measures every worker
    approvals = ServiceRpc("approvals")
    drafts = IviSchema(DraftChecker.from_path)

    health_table = validation_reports

    def health_details(self):
        return {"rule_packs": pack_versions(),
                "schema_checks": self.drafts is not None}

    @rpc(expected_exceptions=EXPECTED)
    def rules(self, pack=None, category=None):
        """The catalogue: `{"items": [rule...], "packs": {name: version}}`, optionally of one pack or category."""
        self.caller.require()
        errors = []
        if pack is not None and pack not in pack_versions():
            errors.append({"field": "pack", "message": f"unknown rule pack {pack!r}; packs: "
                                                       f"{', '.join(pack_versions())}"})
        if category is not None and (not isinstance(category, str) or not _CATEGORY.fullmatch(category)):
            errors.append({"field": "category", "message": "a vehicle category such as M1, N2, O3 or L3e-A2"})
        if errors:
            raise InvalidInput("The rule catalogue cannot be filtered like that.", errors)
        return {"items": catalogue(PACKS, pack, category), "packs": pack_versions()}

    @rpc(expected_exceptions=EXPECTED)
    def report(self, vin):
        self.caller.require(service=True)
        with self.db as uow:
            found = repo.latest_report(uow.session, vin)
        if found is None:
            raise NotFound(f"no validation report for VIN {vin}")
        self.caller.scope(found["entity"], f"validation report for VIN {vin}", service=True)
        return found

    @rpc(expected_exceptions=EXPECTED)
    def reports(self, vins):
        """Batch: the newest report of each VIN that has one, in the order asked (VINs without one are left out)."""
        if not isinstance(vins, list) or not all(isinstance(v, str) for v in vins):
            raise InvalidInput("vins must be a list of VINs.", [{"field": "vins", "message": "a list of strings"}])
        if len(vins) > MAX_VINS:
            raise InvalidInput(f"At most {MAX_VINS} VINs per call.", [{"field": "vins", "message": "too many"}])
        entities = self.caller.entities(service=True)
        with self.db as uow:
            found = repo.latest_reports(uow.session, vins)
        return [found[v] for v in dict.fromkeys(vins)
                if v in found and (entities is None or found[v]["entity"] in entities)]

    @rpc(expected_exceptions=EXPECTED)
    def validate_document(self, xml, draft=False):
        """Schema issues of an IVI document: the full schema (signature required) unless `draft`.

        Returns `{"valid", "schema": "full" | "draft", "issues": [{path, line, message, raw}]}`; the path is the
        IVI path below CocDataGroup (or `Header.…`), the message a sentence, `raw` the schema's own message."""
        self.caller.require(service=True)
        if not isinstance(xml, str) or not xml.strip():
            raise InvalidInput("No document.", [{"field": "xml", "message": "an IVI 2.0 XML document as text"}])
        if self.drafts is None:
            raise InvalidInput("Schema checks are off: no IVI 2.0 schema is configured.",
                               [{"field": "xml", "message": DOWNLOAD_HINT}])
        issues = tpool.execute(self.drafts.check_document, xml.encode("utf-8"), bool(draft))
        return {"valid": not issues, "schema": "draft" if draft else "full", "issues": [i.as_dict() for i in issues]}

    @rpc(expected_exceptions=EXPECTED)
    def judge_documents(self, documents):
        """The findings of the rule packs on IVI documents issued elsewhere (`[{coc, header, entity}]`, e.g. a
        legacy system's eCoCs), one list per document; nothing is stored. Each document is judged as the record
        and approval data it states (`domain.document`), against its entity's registered WMIs."""
        self.caller.require(service=True)
        if not isinstance(documents, list) or len(documents) > MAX_VINS:
            raise InvalidInput(f"documents must be a list of at most {MAX_VINS}.",
                               [{"field": "documents", "message": "a list of {coc, header, entity}"}])
        wmis = {}
        for code in {d.get("entity") for d in documents if isinstance(d, dict)}:
            registered = self._wmis(code) if isinstance(code, str) else None
            wmis[code] = registered or None
        return tpool.execute(_judge_documents, documents, self.drafts, wmis)

    @rpc(expected_exceptions=EXPECTED)
    def validate_batch(self, vehicles):
        """Judge and store; returns [{vin, revision, status, findings}]. Emits nothing (the event path does).
        Only for records of the caller's entities: the stored report is what the vehicle's pages and evidence
        show. A record of another entity is refused as one of an unknown entity, whether that entity exists."""
        entities = self.caller.entities("data_steward", service=True)
        if not isinstance(vehicles, list):
            raise InvalidInput("vehicles must be a list of vehicle records.")
        loaded, errors, outside = [], [], []
        for i, vehicle in enumerate(vehicles):
            try:
                loaded.append(RECORD.load(vehicle))
            except ValidationError as exc:
                errors.extend(field_errors(exc.messages, f"vehicles[{i}]"))
                continue
            if entities is not None and loaded[-1].get("entity") not in entities:
                outside.append({"field": f"vehicles[{i}].entity", "message": "no such legal entity"})
        if errors:
            raise InvalidInput("Some vehicle records cannot be validated.", errors)
        if outside:
            raise NotFound("Some vehicle records name a legal entity that does not exist.", outside)
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
        """One resolve call and one entity lookup per legal entity for the batch, then the rules for every
        vehicle off the hub thread."""
        plan = resolution_plan(vehicles)
        results = []
        with eventlet.Timeout(settings().rpc_timeout, TimeoutError("approvals did not answer in time")):
            if plan.items:
                results = self.approvals.resolve(plan.items)
            wmis = {code: self._wmis(code) for code in entity_codes(vehicles)}
        reports = tpool.execute(judge_batch, vehicles, plan.per_vehicle(results), self.drafts, PACKS, wmis)
        for report in reports:
            for finding in report["findings"]:
                metrics.FINDINGS.labels(finding["rule"], finding["severity"]).inc()
        return reports

    def _wmis(self, code):
        """The WMIs registered to a legal entity; None when the entity is not registered."""
        try:
            entity = self.approvals.get_entity(code)
        except NotFound:
            return None
        return tuple(entity.get("wmis") or ())

    @rpc(expected_exceptions=EXPECTED)
    def report_history(self, vin):
        """Every report ever made on `vin`, oldest first, each with the rule-pack versions that judged it
        (for evidence packs)."""
        entities = self.caller.entities("auditor")
        with self.db as uow:
            found = repo.report_history(uow.session, vin)
        return [r for r in found if entities is None or r["entity"] in entities]


def _judge_documents(documents, drafts, wmis):
    session = drafts.session() if drafts is not None else None
    out = []
    for document in documents:
        entity = document.get("entity") or "LEGACY"
        vehicle, resolution, own_wmis, header = case_from_document(document, entity, wmis.get(entity))
        out.append(judge(vehicle, resolution, session, PACKS, own_wmis, header)["findings"])
    return out


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
            out.append(RECORD.load(vehicle))
        except ValidationError as exc:
            log.error("vehicle_changed %s: vehicles[%d] cannot be validated: %s", event_id, i, exc.messages)
    return out
