"""audit: the append-only, tamper-evident log of every domain event, and evidence packs."""
import logging
import uuid

from nameko.rpc import rpc

from common.dependencies import Database
from common.errors import EXPECTED, InvalidInput
from common.events import on_event
from common.outbox import utcnow
from services.audit import repository as repo
from services.audit.domain import chain
from services.audit.models import audit_entries

log = logging.getLogger(__name__)

ALL_EVENTS = "#"  # topic-exchange wildcard: every event type of the source
MAX_PAGE = 1000


class AuditService:
    name = "audit"

    # No outbox (the audit log emits nothing, so no relay polls) and no inbox: the unique
    # event_id of audit_entries is what makes a redelivered event a no-op.
    db = Database()

    @on_event("approvals", ALL_EVENTS)
    def on_approvals_event(self, envelope):
        self._record("approvals", envelope)

    @on_event("vehicles", ALL_EVENTS)
    def on_vehicles_event(self, envelope):
        self._record("vehicles", envelope)

    @on_event("validation", ALL_EVENTS)
    def on_validation_event(self, envelope):
        self._record("validation", envelope)

    @on_event("signing", ALL_EVENTS)
    def on_signing_event(self, envelope):
        self._record("signing", envelope)

    def _record(self, exchange_source, envelope):
        if envelope["source"] != exchange_source:
            log.warning("event %s claims source %s but came from %s.events",
                        envelope["event_id"], envelope["source"], exchange_source)
        with self.db as uow:
            if not repo.is_stored(uow.session, str(uuid.UUID(envelope["event_id"]))):
                repo.append(uow.session, envelope)
            uow.commit()

    @rpc
    def health(self):
        with self.db as uow:
            uow.session.execute(audit_entries.select().limit(0))
        return {"service": self.name, "ok": True}

    @rpc(expected_exceptions=EXPECTED)
    def query(self, subject, limit=100, cursor=None):
        """One page of the entries naming `subject`, in seq order; pass `next_cursor` back for more."""
        after = _cursor(cursor)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
            raise InvalidInput("Invalid limit.",
                               [{"field": "limit", "message": f"an integer from 1 to {MAX_PAGE}"}])
        with self.db as uow:
            rows = repo.by_subject(uow.session, subject, after_seq=after, limit=limit + 1)
        page = rows[:limit]
        return {
            "entries": [repo.entry_dict(r) for r in page],
            "next_cursor": str(page[-1]["seq"]) if len(rows) > limit else None,
        }

    @rpc(expected_exceptions=EXPECTED)
    def verify_chain(self):
        with self.db as uow:
            return repo.verify(uow.session)

    @rpc(expected_exceptions=EXPECTED)
    def evidence(self, subject):
        """Every entry naming `subject` with what a third party needs to re-check its hash, the
        current head, and the verification of the whole chain."""
        with self.db as uow:
            rows = repo.by_subject(uow.session, subject)
            verification = repo.verify(uow.session)
        return {
            "subject": subject,
            "generated_at": chain.canonical_time(utcnow()),
            "algorithm": chain.ALGORITHM,
            "genesis": chain.GENESIS,
            "entries": [dict(repo.entry_dict(r), canonical=chain.canonical_json(chain.content_of(r)))
                        for r in rows],
            "head": verification["head"],
            "chain": verification,
        }


def _cursor(cursor):
    if cursor is None or cursor == "":
        return None
    if isinstance(cursor, str) and cursor.isdigit():
        return int(cursor)
    raise InvalidInput("Invalid cursor.", [{"field": "cursor", "message": "use next_cursor of the previous page"}])
