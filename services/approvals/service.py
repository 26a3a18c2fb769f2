"""approvals: legal entities and type approvals (registration, extensions, withdrawal, versions from IVI
messages); resolves a vehicle's approval reference to the type-level data in force."""
from contextlib import contextmanager

from common.rpc import rpc
from sqlalchemy.exc import IntegrityError

from common.approval_number import parse_approval_number
from common.authz import may_see
from common.contracts.approvals import ApprovalIn, EntityIn, ExtensionIn, ResolveItem, WithdrawalIn
from common.contracts.events import (
    APPROVAL_EXTENDED, APPROVAL_REGISTERED, APPROVAL_VERSION_ADDED, APPROVAL_WITHDRAWN, ENTITY_CHANGED,
)
from common.dependencies import Database, Identity, IviSchema
from common.errors import EXPECTED, Conflict, InvalidInput, NotFound, load_or_raise
from common.health import Health
from common.ids import is_uuid
from common.ivi.errors import IviFormatError
from common.ivi.reader import read_ivi
from common.ivi.xsd import schema_missing_message
from common.ops import Ops
from common.outbox import utcnow
from services.approvals import repository as repo
from services.approvals.domain import extension, ivi_import
from services.approvals.domain.completeness import missing_vehicle_data
from services.approvals.domain.entities import identity_clashes, seal_certificate_problem
from services.approvals.domain.errors import Clash, Rejected
from services.approvals.domain.model import approval_view
from services.approvals.domain.registration import registration_errors
from services.approvals.domain.resolution import resolve
from services.approvals.models import approvals, inbox, outbox


@contextmanager
def answering():
    """The domain's refusals as the RPC errors the gateway turns into 422 / 409."""
    try:
        yield
    except Rejected as exc:
        raise InvalidInput(exc.detail, exc.errors) from None
    except Clash as exc:
        raise Conflict(exc.detail, exc.errors) from None


def _check_identity(session, data):
    clashes = identity_clashes(data, repo.other_identities(session, data["code"]))
    if clashes:
        raise Clash("Another legal entity holds this identity.", clashes)


def _already_registered(number, entity):
    return Conflict(f"legal entity {entity} already holds an approval {number.base}*..")


class ApprovalsService(Health):
    name = "approvals"

    db = Database(outbox, inbox)
    caller = Identity()
    ops = Ops()  # /livez, /readyz, /metrics; measures every worker
    ivi = IviSchema()

    health_table = approvals

    # -- legal entities ------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def check_entity(self, payload):
        """What `put_entity` would refuse, refused before anything is written elsewhere (e.g. a seal made for it)."""
        data = self._entity_in(payload)
        with self.db as uow, answering():
            _check_identity(uow.session, data)

    @rpc(expected_exceptions=EXPECTED)
    def put_entity(self, payload):
        data = self._entity_in(payload)
        if data.get("seal_certificate"):
            problem = seal_certificate_problem(data["seal_certificate"], data["legal_name"])
            if problem:
                raise InvalidInput("The seal certificate is not the entity's.",
                                   [{"field": "seal_certificate", "message": problem}])
        with self.db as uow, answering():
            repo.lock_entity_identities(uow.session)
            _check_identity(uow.session, data)
            entity = repo.put_entity(uow.session, data, self.caller.sub)
            uow.emit(ENTITY_CHANGED, {"code": entity["code"], "revision": entity["revision"]},
                     subject=entity["code"], entity=entity["code"])
            uow.commit()
        return entity

    def _entity_in(self, payload):
        self.caller.require("admin")
        data = load_or_raise(EntityIn(), payload)
        self.caller.scope(data["code"], f"legal entity {data['code']}", "admin")
        return data

    @rpc(expected_exceptions=EXPECTED)
    def get_entity(self, code):
        self.caller.scope(code, f"legal entity {code}", service=True)
        with self.db as uow:
            entity = repo.get_entity(uow.session, code)
        if entity is None:
            raise NotFound(f"no legal entity {code}")
        return entity

    @rpc(expected_exceptions=EXPECTED)
    def list_entities(self, limit=100, cursor=None):
        """One page of the legal entities the caller acts for, in code order; `next_cursor` is the last code."""
        entities = self.caller.entities()
        codes = None if entities is None or "*" in entities else entities
        with self.db as uow:
            rows = repo.list_entities(uow.session, codes, limit, cursor)
        return {"items": rows[:limit], "next_cursor": rows[limit - 1]["code"] if len(rows) > limit else None}

    # -- registration ------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def register(self, payload):
        self.caller.require("approvals_manager")
        data = load_or_raise(ApprovalIn(), payload)
        number = parse_approval_number(data["number"])
        with self.db as uow:
            self._check(uow, data)
            approval_id = self._add_approval(uow, data, number)
            self._commit(uow, number, data["entity"])
        return {"id": approval_id, "number": data["number"], "revision": 1,
                "warnings": missing_vehicle_data(self.get(approval_id))}

    @rpc(expected_exceptions=EXPECTED)
    def from_ivi(self, entity, document):
        """Register the approval of an IVI 2.0 message (its type-level part), or add its version to the
        approval registered already. `document` is the XML text. Returns `outcome`: registered,
        version_added or unchanged. Problems name the IVI element (`MassGroup.ActualMass`, `Version`)."""
        self.caller.require("approvals_manager")
        data = self._read_registration(entity, document)
        number = parse_approval_number(data["number"])
        [version] = data["versions"]
        with self.db as uow:
            self._check(uow, data, rename=ivi_import.ivi_field)
            existing = repo.load_by_base(uow.session, data["entity"], number.base, for_update=True)
            if existing is None:
                approval_id, revision, outcome = self._add_approval(uow, data, number), 1, "registered"
            else:
                approval_id, revision = existing.id, existing.current.revision
                outcome = self._add_version(uow, existing, data)
            self._commit(uow, number, data["entity"])
        return {"id": approval_id, "number": data["number"], "revision": revision, "outcome": outcome,
                "type": version["type"], "variant": version["variant"], "version": version["version"],
                "warnings": missing_vehicle_data(self.get(approval_id))}

    def _read_registration(self, entity, document):
        if self.ivi is None:
            raise InvalidInput("IVI messages cannot be read here.",
                               [{"field": "_body", "message": schema_missing_message(None)}])
        if not isinstance(document, str) or not document.strip():
            raise InvalidInput("No IVI message.", [{"field": "_body", "message": "an IVI 2.0 XML message is required"}])
        try:
            coc = read_ivi(document.encode("utf-8"), self.ivi)["coc"]
        except IviFormatError as exc:
            raise InvalidInput("The IVI message cannot be read.",
                               [{"field": exc.path or "_body", "message": exc.message}]) from None
        with answering():
            body = ivi_import.registration_from_ivi(coc, entity)
        try:
            return load_or_raise(ApprovalIn(), body)
        except InvalidInput as exc:
            raise InvalidInput(exc.detail, _renamed(exc.errors, ivi_import.ivi_field)) from None

    def _check(self, uow, data, rename=None):
        """The registration's entity exists for the caller and its data is fine (see `domain.registration`)."""
        entity = repo.get_entity(uow.session, data["entity"])
        if entity is None or not may_see(self.caller.get(), data["entity"]):
            raise InvalidInput("Unknown legal entity.", [{"field": "entity", "message": f"no legal entity {data['entity']}"}])
        errors = registration_errors(self.ivi, data, entity["legal_name"])
        if errors:
            raise InvalidInput("The approval has invalid fields.", _renamed(errors, rename))

    def _add_approval(self, uow, data, number):
        if repo.number_taken(uow.session, data["entity"], number.base):
            raise _already_registered(number, data["entity"])
        approval_id = repo.add_approval(uow.session, data, number, self.caller.sub)
        uow.emit(APPROVAL_REGISTERED, {"id": approval_id, "number": data["number"], "revision": 1},
                 subject=data["number"], entity=data["entity"])
        return approval_id

    def _add_version(self, uow, approval, data):
        with answering():
            change = ivi_import.add_version(approval, data)
        if change is None:
            return "unchanged"
        current = approval.current
        repo.rewrite_current_revision(uow.session, approval.id, current.revision, *change)
        [version] = data["versions"]
        uow.emit(APPROVAL_VERSION_ADDED, {"id": approval.id, "number": current.number, "revision": current.revision,
                                          "type": version["type"], "variant": version["variant"],
                                          "version": version["version"]},
                 subject=current.number, entity=approval.entity)
        return "version_added"

    @staticmethod
    def _commit(uow, number, entity):
        try:
            uow.commit()
        except IntegrityError:  # registered at the same moment by another request
            raise _already_registered(number, entity) from None

    # -- extension and withdrawal -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def extend(self, approval_id, payload):
        """A new extension as a new immutable revision (see `domain.extension`)."""
        self.caller.require("approvals_manager")
        with self.db as uow:
            approval = self._approval(uow, approval_id, for_update=True)
            self.caller.scope(approval.entity, f"approval {approval_id}")  # before the body: others' are 404
            data = load_or_raise(ExtensionIn(), payload)
            entity = repo.get_entity(uow.session, approval.entity)
            with answering():
                revision = extension.extend(approval, data, self.ivi, entity["legal_name"], self.caller.sub, utcnow())
            repo.add_revision(uow.session, approval.id, revision)
            uow.emit(APPROVAL_EXTENDED, {
                "id": approval.id, "number": revision.number, "revision": revision.revision,
                "extension": revision.extension, "issue_date": revision.issue_date.isoformat(),
                "previous_number": approval.number,
            }, subject=revision.number, subjects=[revision.number, approval.number], entity=approval.entity)
            try:
                uow.commit()
            except IntegrityError:
                raise Conflict(f"approval {approval.number} was extended at the same moment; try again") from None
        return {"id": approval.id, "number": revision.number, "revision": revision.revision,
                "extension": revision.extension, "issue_date": revision.issue_date.isoformat()}

    @rpc(expected_exceptions=EXPECTED)
    def withdraw(self, approval_id, payload):
        """Withdraw with effect from a date: production on or after it no longer resolves."""
        self.caller.require("approvals_manager")
        with self.db as uow:
            approval = self._approval(uow, approval_id, for_update=True)
            self.caller.scope(approval.entity, f"approval {approval_id}")
            data = load_or_raise(WithdrawalIn(), payload)
            with answering():
                extension.withdraw(approval, data, self.caller.sub, utcnow())
            repo.save_withdrawal(uow.session, approval)
            uow.emit(APPROVAL_WITHDRAWN, {"id": approval.id, "number": approval.number,
                                          "effective_date": approval.withdrawn_on.isoformat(),
                                          "reason": approval.withdrawal_reason},
                     subject=approval.number, entity=approval.entity)
            uow.commit()
        return approval_view(approval)

    @staticmethod
    def _approval(uow, approval_id, for_update=False):
        approval = repo.load_approval(uow.session, approval_id, for_update) if is_uuid(approval_id) else None
        if approval is None:
            raise NotFound(f"no approval {approval_id}")
        return approval

    # -- reading and resolving ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def get(self, approval_id):
        with self.db as uow:
            approval = self._approval(uow, approval_id)
            self.caller.scope(approval.entity, f"approval {approval_id}")
            return approval_view(approval)

    @rpc(expected_exceptions=EXPECTED)
    def find(self, number=None, entities=None):
        """Approvals by number, of the caller's entities (narrowed further to `entities` when given)."""
        visible = self.caller.entities()
        if entities is None or visible is not None:
            entities = visible if entities is None else [e for e in entities if e in visible]
        condition = approvals.c.id.isnot(None)
        if number:
            try:
                condition = approvals.c.base_number == parse_approval_number(number).base
            except ValueError:
                condition = approvals.c.number == number
        if entities is not None:
            condition = condition & approvals.c.entity.in_(entities)
        with self.db as uow:
            return [approval_view(a) for a in repo.load_approvals(uow.session, condition)]

    @rpc(expected_exceptions=EXPECTED)
    def resolve(self, items):
        """Batch: [{entity, number, type, variant, version, production_date, revision?}] → the type-level data in
        force (or of the `revision` a release pinned).

        Only approvals of the item's entity resolve: another entity's approval number answers exactly like a
        number never registered. So does every number of an item whose entity the caller does not act for."""
        caller = self.caller.require(service=True)
        loaded = [load_or_raise(ResolveItem(), item, f"items[{i}]") for i, item in enumerate(items)]
        numbers = {}
        for item in loaded:
            try:
                numbers[item["number"]] = parse_approval_number(item["number"])
            except ValueError:
                numbers[item["number"]] = None
        references = {(item["entity"], numbers[item["number"]].base) for item in loaded
                      if numbers[item["number"]] and may_see(caller, item["entity"])}
        with self.db as uow:
            found = repo.load_by_references(uow.session, references)
        results = []
        for item in loaded:
            number = numbers[item["number"]]
            approval = found.get((item["entity"], number.base)) if number else None
            results.append(resolve(approval, item["type"], item["variant"], item["version"], item["production_date"],
                                   extension=number.extension if number else None,
                                   pinned_revision=item["revision"]))
        return results

    @rpc(expected_exceptions=EXPECTED)
    def categories(self, references):
        """Batch: [[entity, approval number], ...] → the VehicleCategory of each approval (None: no such approval
        of that entity, or one of an entity the caller does not act for), in the order asked."""
        caller = self.caller.require(service=True)
        bases = []
        for entity, number in references:
            try:
                bases.append((entity, parse_approval_number(number).base) if may_see(caller, entity) else None)
            except (ValueError, TypeError):
                bases.append(None)
        with self.db as uow:
            found = repo.load_by_references(uow.session, {b for b in bases if b})
            return [found[b].category if b in found else None for b in bases]


def _renamed(errors, rename):
    if rename is None:
        return errors
    return [dict(e, field=rename(e["field"])) for e in errors]

