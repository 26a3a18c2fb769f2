"""audit: the append-only, tamper-evident log of every domain event, and evidence packs."""
import logging
import uuid
from datetime import datetime

from common.rpc import rpc
from nameko.timer import timer

from common import feed, metrics
from common.config import settings
from common.dependencies import Identity
from common.errors import EXPECTED, InvalidInput
from common.health import Health
from common.ops import Ops
from common.outbox import utcnow
from services.audit import repository as repo
from services.audit.batching import on_events
from services.audit.dependencies import AuditDatabase, CheckpointKey
from services.audit.domain import chain, checkpoints
from services.audit.domain.evidence import pack_entry
from services.audit.models import audit_entries

log = logging.getLogger(__name__)

ALL_EVENTS = "#"  # topic-exchange wildcard: every event type of the source
MAX_PAGE = 1000
MAX_FILTER = 500
CHECKPOINT_SECONDS = settings().audit_checkpoint_seconds


class AuditService(Health):
    name = "audit"

    # No outbox (the audit log emits nothing, so no relay polls) and no inbox: the unique
    # event_id of audit_entries is what makes a redelivered event a no-op. Events arrive in batches
    # (services/audit/batching.py): one transaction per batch, not per event.
    db = AuditDatabase()
    checkpoint_key = CheckpointKey()
    caller = Identity()
    ops = Ops()  # /livez, /readyz, /metrics; measures every worker

    @on_events("approvals", ALL_EVENTS)
    def on_approvals_event(self, envelopes):
        self._record("approvals", envelopes)

    @on_events("vehicles", ALL_EVENTS)
    def on_vehicles_event(self, envelopes):
        self._record("vehicles", envelopes)

    @on_events("validation", ALL_EVENTS)
    def on_validation_event(self, envelopes):
        self._record("validation", envelopes)

    @on_events("signing", ALL_EVENTS)
    def on_signing_event(self, envelopes):
        self._record("signing", envelopes)

    @on_events("webhooks", ALL_EVENTS)
    def on_webhooks_event(self, envelopes):
        self._record("webhooks", envelopes)

    @on_events("rollout", ALL_EVENTS)
    def on_rollout_event(self, envelopes):
        self._record("rollout", envelopes)

    @on_events("delivery", ALL_EVENTS)
    def on_delivery_event(self, envelopes):
        self._record("delivery", envelopes)

    def _record(self, exchange_source, envelopes):
        """Append a batch of events in one transaction (redelivered ones are skipped by event id)."""
        for envelope in envelopes:
            if envelope["source"] != exchange_source:
                log.warning("event %s claims source %s but came from %s.events",
                            envelope["event_id"], envelope["source"], exchange_source)
        with self.db as uow:
            repo.append_batch(uow.session, envelopes, utcnow())
            uow.commit()

    @timer(interval=CHECKPOINT_SECONDS)
    def seal_head(self):
        self._seal()

    health_table = audit_entries

    @rpc(expected_exceptions=EXPECTED)
    def checkpoint(self):
        """Seal the current head with the audit key unless the newest checkpoint already does; the newest
        checkpoint (None while the log is empty)."""
        self.caller.require("auditor", service=True)
        return self._seal()

    def _seal(self):
        """Seal the head, once the entries appended since the last checkpoint re-hash onto it (a cost in new
        entries, not in history): a broken chain is never sealed over, and `ecoc_audit_chain_ok` says so. One
        audit process seals at a time; the others keep their turn."""
        with self.db as uow:
            locked = repo.try_lock_sealing(uow.session)
            latest = repo.latest_checkpoint(uow.session)  # read under the lock: another process may just have sealed
            if not locked:
                return checkpoints.as_dict(latest) if latest else None
            head = repo.head_entry(uow.session)
            if head is not None and (latest is None or latest["seq"] != head["seq"]):
                checked = self._check_since(uow, latest)
                metrics.AUDIT_CHAIN_OK.labels(self.name).set(1 if checked["valid"] else 0)
                if not checked["valid"]:
                    log.error("audit chain broken at entry %s: %s; no checkpoint sealed",
                              checked["first_invalid_seq"], checked["reason"])
                    return checkpoints.as_dict(latest) if latest else None
                latest = checkpoints.seal(self.checkpoint_key, head["seq"], head["hash"], utcnow())
                repo.add_checkpoint(uow.session, latest)
                uow.commit()
        return checkpoints.as_dict(latest) if latest else None

    def _check_since(self, uow, latest):
        if latest is None:
            return repo.verify(uow.session)
        if checkpoints.forged(checkpoints.public_pem(self.checkpoint_key), [latest]):
            return {"valid": False, "first_invalid_seq": latest["seq"],
                    "reason": f"the checkpoint at entry {latest['seq']} is not sealed by the audit key"}
        return repo.verify_after(uow.session, latest)

    @rpc(expected_exceptions=EXPECTED)
    def query(self, subject=None, limit=100, cursor=None, actor=None, event_type=None, since=None, until=None):
        """One page of the entries of the caller's entities matching every filter given, in seq order; pass
        `next_cursor` back for more. Found by subject, a batch entry's `data` holds the subject's part only. Scoped before paging, so a page, its size and its cursor say nothing of
        other entities' entries."""
        entities = self.caller.entities("auditor")
        after = _cursor(cursor)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
            raise InvalidInput("Invalid limit.",
                               [{"field": "limit", "message": f"an integer from 1 to {MAX_PAGE}"}])
        window = {"since": _moment("since", since), "until": _moment("until", until)}
        filters = {name: _text(name, value) for name, value in
                   (("subject", subject), ("actor", actor), ("event_type", event_type))}
        if all(v is None for v in filters.values()) and window == {"since": None, "until": None}:
            raise InvalidInput("Give at least one filter.", [
                {"field": "subject", "message": "filter by subject, actor, event_type, since or until"}])
        with self.db as uow:
            rows = repo.find(uow.session, **filters, **window, entities=entities,
                             after_seq=after, limit=limit + 1, subject_part=True)
        page = rows[:limit]
        return {
            "entries": [repo.entry_dict(r) for r in page],
            "next_cursor": str(page[-1]["seq"]) if len(rows) > limit else None,
        }

    @rpc(expected_exceptions=EXPECTED)
    def events(self, after=None, types=None, limit=100):
        """The change feed: the next events of the caller's entities after the event `after` (an event id the
        caller has read; None: from the first), of `types` (None: all), in the order the log committed them,
        each with a small payload (common/feed.py); a page ends early once its events name `feed.PAGE_SUBJECTS`
        subjects. `next_cursor` is the id of the last event
        read, or `after` again when there is nothing new, so a consumer that always passes it back sees every
        event once. An event of another entity is not a cursor, exactly like an unknown one. The webhooks service
        reads it too (as a service, of every entity)."""
        entities = self.caller.entities(service=True)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
            raise InvalidInput("Invalid limit.", [{"field": "limit", "message": f"an integer from 1 to {MAX_PAGE}"}])
        event_types, errors = feed.parse_types(types)
        if errors:
            raise InvalidInput("Invalid types.", errors)
        after = _event_id(after)
        with self.db as uow:
            after_seq = None
            if after is not None:
                after_seq = repo.seq_of_event(uow.session, after, entities)
                if after_seq is None:
                    raise InvalidInput("Invalid cursor.", [{"field": "after", "message": NOT_A_CURSOR}])
            rows, more = repo.feed(uow.session, after_seq, entities, event_types, limit)
        return {
            "events": [feed.feed_event(r, chain.canonical_time) for r in rows],
            "next_cursor": str(rows[-1]["event_id"]) if rows else after,
            "has_more": more,
        }

    @rpc(expected_exceptions=EXPECTED)
    def verify_chain(self, full=False):
        """Check the chain against its checkpoints. By default at a cost in new entries, not in history: the
        newest checkpoint's seal, its entry still there with the hash it sealed, and the entries after it re-hashed
        (each checkpoint was sealed only once the entries before it re-hashed onto the previous one). History
        before the newest checkpoint is what `full` re-hashes, with every checkpoint's seal (minutes at millions of
        entries: over a long history that is `ecoc audit verify`, which has no RPC timeout and runs nightly in
        the Kubernetes base)."""
        self.caller.require("auditor")
        if not isinstance(full, bool):
            raise InvalidInput("Invalid full.", [{"field": "full", "message": "true or false"}])
        public = checkpoints.public_pem(self.checkpoint_key)
        with self.db as uow:
            if full:
                sealed = repo.checkpoints(uow.session)
                result = repo.verify(uow.session, sealed)
                latest = sealed[-1] if sealed else None
            else:
                sealed = [latest] if (latest := repo.latest_checkpoint(uow.session)) else []
                result = self._check_since(uow, latest)
        forged = checkpoints.forged(public, sealed)
        if forged and result["valid"]:
            result.update(valid=False, first_invalid_seq=forged[0],
                          reason=f"the checkpoint at entry {forged[0]} is not sealed by the audit key")
        result["checkpoint"] = checkpoints.as_dict(latest) if latest else None
        result["scope"] = "full" if full else "since_checkpoint"
        return result

    @rpc(expected_exceptions=EXPECTED)
    def evidence(self, subject):
        """Every entry of the caller's entities naming `subject` (of a batch entry only the subject's part),
        the index of them signed with the audit key at a fresh checkpoint, and the proof: for each run of them,
        the (seq, digest) of every other entry up to the first checkpoint sealing that run. Enough to re-hash each
        run offline and compare it with a signed head, without anyone else's data, at a cost bounded by the
        entries between checkpoints rather than by the history since the subject's first entry."""
        entities = self.caller.entities("auditor")
        subject = _text("subject", subject)
        if subject is None:
            raise InvalidInput("A subject is required.", [{"field": "subject", "message": "a VIN"}])
        sealed = self._seal()
        with self.db as uow:
            rows = repo.by_subject(uow.session, subject, entities)
            rows = [r for r in rows if sealed is not None and r["seq"] <= sealed["seq"]]
            segments = _segments(uow.session, rows, sealed)
        return {
            "subject": subject,
            "generated_at": chain.canonical_time(utcnow()),
            "algorithm": chain.ALGORITHM,
            "checkpoint_algorithm": checkpoints.ALGORITHM,
            "index_algorithm": checkpoints.INDEX_ALGORITHM,
            "public_key": checkpoints.public_pem(self.checkpoint_key),
            "checkpoint": sealed,
            "index": checkpoints.seal_index(self.checkpoint_key, subject, [r["seq"] for r in rows], sealed)
            if sealed else None,
            "entries": [pack_entry(r, subject) for r in rows],
            "proof": {"segments": segments},
        }


def _segments(session, rows, sealed):
    """The proof of `rows` (a subject's entries in seq order) in runs, each ending at the first checkpoint that
    seals its first entry (`sealed`, the fresh one, for the last run)."""
    mine = {r["seq"] for r in rows}
    segments, i = [], 0
    while i < len(rows):
        first = rows[i]
        ends = repo.checkpoint_sealing(session, first["seq"], sealed["seq"]) or sealed
        run = [r for r in rows[i:] if r["seq"] <= ends["seq"]]
        segments.append({"prev_hash": first["prev_hash"], "checkpoint": checkpoints.as_dict(ends),
                         "links": repo.links_between(session, first["seq"], ends["seq"], skip=mine)})
        i += len(run)
    return segments


def _cursor(cursor):
    if cursor is None or cursor == "":
        return None
    if isinstance(cursor, str) and cursor.isascii() and cursor.isdigit() and len(cursor) <= 18:  # a bigint
        return int(cursor)
    raise InvalidInput("Invalid cursor.", [{"field": "cursor", "message": "use next_cursor of the previous page"}])


NOT_A_CURSOR = "use next_cursor of the previous page, or the id of an event you have read"


def _event_id(value):
    """The event id a feed cursor names (None: from the first event), in the form the log stores it."""
    if value in (None, ""):
        return None
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) and len(value) <= 64 else _bad_cursor()
    except ValueError:
        return _bad_cursor()


def _bad_cursor():
    raise InvalidInput("Invalid cursor.", [{"field": "after", "message": NOT_A_CURSOR}])


def _text(field, value):
    """A text filter: None when not given; a clear 4xx for what PostgreSQL could not compare."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or "\x00" in value or len(value) > MAX_FILTER:
        raise InvalidInput(f"Invalid {field}.", [
            {"field": field, "message": f"text of at most {MAX_FILTER} characters, without NUL"}])
    return value


def _moment(field, value):
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except (ValueError, OverflowError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(f"Invalid {field}.", [
            {"field": field, "message": "an ISO-8601 date-time with a time zone, e.g. 2026-03-01T08:00:00Z"}])
    return moment
