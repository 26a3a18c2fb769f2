"""approvals: legal entities and type approvals; resolves a vehicle's approval reference."""
from nameko.rpc import rpc
from sqlalchemy.exc import IntegrityError

from common.approval_number import parse_approval_number
from common.contracts.approvals import ApprovalIn, EntityIn, ResolveItem
from common.contracts.events import APPROVAL_REGISTERED, ENTITY_CHANGED
from common.dependencies import Database, Identity
from common.errors import EXPECTED, Conflict, InvalidInput, NotFound, load_or_raise
from common.ids import is_uuid
from services.approvals import repository as repo
from services.approvals.domain.resolution import resolve
from services.approvals.models import approvals, inbox, outbox


class ApprovalsService:
    name = "approvals"

    db = Database(outbox, inbox)
    caller = Identity()

    @rpc
    def health(self):
        with self.db as uow:
            uow.session.execute(approvals.select().limit(0))
        return {"service": self.name, "ok": True}

    @rpc(expected_exceptions=EXPECTED)
    def put_entity(self, payload):
        data = load_or_raise(EntityIn(), payload)
        with self.db as uow:
            entity = repo.put_entity(uow.session, data, self.caller.sub)
            uow.emit(ENTITY_CHANGED, {"code": entity["code"], "revision": entity["revision"]},
                     subject=entity["code"], entity=entity["code"])
            uow.commit()
        return entity

    @rpc(expected_exceptions=EXPECTED)
    def get_entity(self, code):
        with self.db as uow:
            entity = repo.get_entity(uow.session, code)
        if entity is None:
            raise NotFound(f"no legal entity {code}")
        return entity

    @rpc(expected_exceptions=EXPECTED)
    def register(self, payload):
        data = load_or_raise(ApprovalIn(), payload)
        number = parse_approval_number(data["number"])
        with self.db as uow:
            if repo.get_entity(uow.session, data["entity"]) is None:
                raise InvalidInput("Unknown legal entity.", [{"field": "entity",
                                                             "message": f"no legal entity {data['entity']}"}])
            if repo.number_taken(uow.session, number.base):
                raise Conflict(f"an approval {number.base}*.. is already registered")
            approval_id = repo.add_approval(uow.session, data, number, self.caller.sub)
            uow.emit(APPROVAL_REGISTERED, {"id": approval_id, "number": data["number"], "revision": 1},
                     subject=data["number"], entity=data["entity"])
            try:
                uow.commit()
            except IntegrityError:  # registered at the same moment by another request
                raise Conflict(f"an approval {number.base}*.. is already registered") from None
        return {"id": approval_id, "number": data["number"], "revision": 1}

    @rpc(expected_exceptions=EXPECTED)
    def get(self, approval_id):
        if not is_uuid(approval_id):
            raise NotFound(f"no approval {approval_id}")
        with self.db as uow:
            found = repo.load_approvals(uow.session, approvals.c.id == approval_id)
        if not found:
            raise NotFound(f"no approval {approval_id}")
        return repo.approval_dict(found[0])

    @rpc(expected_exceptions=EXPECTED)
    def find(self, number=None, entities=None):
        condition = approvals.c.id.isnot(None)
        if number:
            try:
                condition = approvals.c.base_number == parse_approval_number(number).base
            except ValueError:
                condition = approvals.c.number == number
        if entities is not None:
            condition = condition & approvals.c.entity.in_(entities)
        with self.db as uow:
            return [repo.approval_dict(a) for a in repo.load_approvals(uow.session, condition)]

    @rpc(expected_exceptions=EXPECTED)
    def resolve(self, items):
        """Batch: [{number, type, variant, version, production_date}] → the type-level data in force."""
        loaded = [load_or_raise(ResolveItem(), item, f"items[{i}]") for i, item in enumerate(items)]
        bases = {}
        for item in loaded:
            try:
                bases[item["number"]] = parse_approval_number(item["number"]).base
            except ValueError:
                bases[item["number"]] = None
        with self.db as uow:
            found = repo.load_approvals(
                uow.session, approvals.c.base_number.in_({b for b in bases.values() if b}))
        by_base = {parse_approval_number(a.number).base: a for a in found}
        return [
            resolve(by_base.get(bases[i["number"]]), i["type"], i["variant"], i["version"], i["production_date"])
            for i in loaded
        ]
