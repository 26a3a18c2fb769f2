"""webhooks: subscriptions per entity, and the signed delivery of the change feed's events to them.

Events come in from the audit service's change feed (the `events` RPC), not from the broker: the feed already has
every service's events in one committed order with their entity, so the webhooks get exactly the events and
payloads of GET /v1/events. A timer takes the next page in, queues a delivery per matching subscription and moves
its position in the same transaction (nothing taken twice, nothing skipped). Another timer sends the due
deliveries (at least once, in no guaranteed order), retries failures with back-off and disables a subscription
that keeps failing. Nothing on the release path waits for any of this.
"""
import logging
import uuid
from datetime import timedelta

import eventlet
from common.rpc import rpc
from nameko.timer import timer

from common import metrics
from common.authz import may_see
from common.config import settings
from common.contracts.events import (WEBHOOK_CREATED, WEBHOOK_DELETED, WEBHOOK_DISABLED, WEBHOOK_PINGED,
                                     WEBHOOK_REDELIVERED, WEBHOOK_UPDATED)
from common.contracts.webhooks import WebhookIn, WebhookPatch
from common.dependencies import Database, Identity
from common.errors import EXPECTED, Conflict, InvalidInput, NotFound, load_or_raise
from common.health import Health
from common.ops import Ops
from common.outbox import utcnow
from common.rpc import ServiceRpc
from services.webhooks import repository as repo
from services.webhooks import sender
from services.webhooks.dependencies import DeliveryPolicy
from services.webhooks.domain import retries, sealing, signatures, targets
from services.webhooks.domain.subscriptions import (delivery_row, log_entry, matches, ping_event, public,
                                                    type_errors)
from services.webhooks.models import inbox, outbox, subscriptions

log = logging.getLogger(__name__)

MANAGERS = ("admin", "data_steward")
POLL_SECONDS = 1.0
PRUNE_SECONDS = 3600
INTAKE_PAGE = 500
# how long one intake read waits for the audit service: a miss is read again on the next tick, and a process told
# to stop waits for the read under way (an audit process stopping at the same time never answers it)
INTAKE_TIMEOUT_SECONDS = 5.0
INTAKE_PAGES_PER_TICK = 20  # a fresh service catches up on a long log in steps, not in one transaction
SEND_BATCH = 100
SEND_CONCURRENCY = 20
MAX_PAGE = 1000
STATUSES = ("pending", "delivered", "failed")


class WebhooksService(Health):
    name = "webhooks"
    health_table = subscriptions

    db = Database(outbox, inbox)
    caller = Identity()
    ops = Ops()  # /livez, /readyz, /metrics; measures every worker
    policy = DeliveryPolicy()
    # a feed request nobody took in time expires in its queue: a stopped audit service comes back to no backlog
    audit = ServiceRpc("audit", expiration=settings().rpc_timeout)

    # -- subscriptions ------------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create(self, payload):
        """A new subscription; the answer carries its signing `secret`, which is never shown again."""
        identity = self.caller.require(*MANAGERS)
        data = load_or_raise(WebhookIn(), payload)
        if not may_see(identity, data["entity"]):  # as every creating route: 422 naming the field
            raise InvalidInput("Unknown legal entity.", [{"field": "entity",
                                                         "message": f"no legal entity {data['entity']}"}])
        self._check(data)
        now = utcnow()
        secret = signatures.new_secret()
        row = {"id": str(uuid.uuid4()), "entity": data["entity"], "url": data["url"],
               "event_types": _unique(data["event_types"]), "description": data["description"],
               "secret": sealing.seal(secret, settings().internal_secrets), "active": True, "disabled_reason": None, "failing_since": None,
               "revision": 1, "created_by": identity["sub"], "created_at": now, "updated_at": now}
        with self.db as uow:
            # Under the intake's lock: every event taken in after this commit goes to the new subscription, and
            # none taken in by a page that was being queued meanwhile is half-seen (services/webhooks/repository.py).
            repo.intake_position(uow.session, now)
            repo.lock_intake(uow.session)
            repo.add_subscription(uow.session, row)
            uow.emit(WEBHOOK_CREATED, {"webhook_id": row["id"], "url": row["url"], "event_types": row["event_types"]},
                     subject=row["id"], entity=row["entity"])
            uow.commit()
        return dict(public(row), secret=secret)

    @rpc(expected_exceptions=EXPECTED)
    def list(self, entity=None, limit=100, cursor=None):
        entities = self.caller.entities()
        limit = _limit(limit)
        if cursor not in (None, "") and not _is_uuid(cursor):
            raise InvalidInput("Invalid cursor.", [{"field": "cursor",
                                                     "message": "use next_cursor of the previous page"}])
        with self.db as uow:
            rows = repo.list_subscriptions(uow.session, entities, entity, limit + 1, cursor or None)
        page = rows[:limit]
        return {"items": [public(r) for r in page], "next_cursor": page[-1]["id"] if len(rows) > limit else None}

    @rpc(expected_exceptions=EXPECTED)
    def get(self, webhook_id):
        with self.db as uow:
            row = self._visible(uow, webhook_id)
            return public(row, repo.counts(uow.session, webhook_id))

    @rpc(expected_exceptions=EXPECTED)
    def update(self, webhook_id, payload):
        """Change URL, event types, description; `active: true` enables a disabled subscription again (its pending
        deliveries resume)."""
        self.caller.require(*MANAGERS)
        data = load_or_raise(WebhookPatch(), payload)
        with self.db as uow:
            row = self._visible(uow, webhook_id, lock=True, roles=MANAGERS)
            self._check(dict(row, **data))
            changes = {key: value for key, value in data.items() if row[key] != value}
            if "event_types" in changes:
                changes["event_types"] = _unique(changes["event_types"])
            if changes.get("active") is True:
                changes.update(disabled_reason=None, failing_since=None)
            elif changes.get("active") is False:
                changes["disabled_reason"] = "disabled by " + self.caller.sub
            if changes:
                changes.update(revision=row["revision"] + 1, updated_at=utcnow())
                repo.update_subscription(uow.session, webhook_id, changes)
                uow.emit(WEBHOOK_UPDATED, {"webhook_id": webhook_id,
                                           "changed": sorted(k for k in data if k in changes),
                                           "active": changes.get("active", row["active"])},
                         subject=webhook_id, entity=row["entity"])
            uow.commit()
            return public(repo.subscription(uow.session, webhook_id), repo.counts(uow.session, webhook_id))

    @rpc(expected_exceptions=EXPECTED)
    def delete(self, webhook_id):
        """Delete a subscription with its delivery log (what was not delivered yet is not sent); the subscription
        as it was."""
        self.caller.require(*MANAGERS)
        with self.db as uow:
            row = self._visible(uow, webhook_id, lock=True, roles=MANAGERS)
            repo.delete_subscription(uow.session, webhook_id)
            uow.emit(WEBHOOK_DELETED, {"webhook_id": webhook_id}, subject=webhook_id, entity=row["entity"])
            uow.commit()
        return public(row)

    @rpc(expected_exceptions=EXPECTED)
    def ping(self, webhook_id):
        """Queue a `webhook_ping` event for this subscription alone; its delivery shows in the log."""
        self.caller.require(*MANAGERS)
        now = utcnow()
        with self.db as uow:
            row = self._visible(uow, webhook_id, roles=MANAGERS)
            if not row["active"]:
                raise Conflict("The webhook is disabled.", [{"field": "active",
                                                            "message": "enable it (PATCH active: true) first"}])
            delivery = delivery_row(webhook_id, ping_event(row, self.caller.sub, now), now)
            repo.queue(uow.session, [delivery])
            uow.emit(WEBHOOK_PINGED, {"webhook_id": webhook_id, "delivery_id": delivery["id"]},
                     subject=webhook_id, entity=row["entity"])
            uow.commit()
            return log_entry(repo.delivery(uow.session, webhook_id, delivery["id"]))

    # -- the delivery log ---------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def deliveries(self, webhook_id, status=None, limit=100, cursor=None):
        """The subscription's deliveries, newest first, each with its status, attempts and last answer."""
        limit = _limit(limit)
        if status is not None and status not in STATUSES:
            raise InvalidInput("Invalid status.", [{"field": "status", "message": "one of " + ", ".join(STATUSES)}])
        before = _seq_cursor(cursor)
        with self.db as uow:
            self._visible(uow, webhook_id)
            rows = repo.delivery_log(uow.session, webhook_id, status, before, limit + 1)
        page = rows[:limit]
        return {"items": [log_entry(r) for r in page],
                "next_cursor": str(page[-1]["seq"]) if len(rows) > limit else None}

    @rpc(expected_exceptions=EXPECTED)
    def delivery(self, webhook_id, delivery_id):
        """One delivery with the event it carries and every attempt."""
        with self.db as uow:
            self._visible(uow, webhook_id)
            row = repo.delivery(uow.session, webhook_id, delivery_id) if _is_uuid(delivery_id) else None
            if row is None:
                raise NotFound(f"no delivery {delivery_id}")
            return dict(log_entry(row), event=row["event"], attempts_log=[
                dict(a, at=a["at"].isoformat()) for a in repo.attempts_of(uow.session, delivery_id)])

    @rpc(expected_exceptions=EXPECTED)
    def redeliver(self, webhook_id, delivery_id):
        """Send a delivery again (whatever its status), with a fresh retry window."""
        self.caller.require(*MANAGERS)
        with self.db as uow:
            row = self._visible(uow, webhook_id, roles=MANAGERS)
            found = repo.delivery(uow.session, webhook_id, delivery_id) if _is_uuid(delivery_id) else None
            if found is None:
                raise NotFound(f"no delivery {delivery_id}")
            repo.requeue(uow.session, delivery_id, utcnow())
            uow.emit(WEBHOOK_REDELIVERED, {"webhook_id": webhook_id, "delivery_id": delivery_id,
                                           "event_id": found["event_id"]}, subject=webhook_id, entity=row["entity"])
            uow.commit()
            return log_entry(repo.delivery(uow.session, webhook_id, delivery_id))

    # -- taking events in and sending them ---------------------------------------------------------------------

    @timer(interval=POLL_SECONDS)
    def take_events(self):
        for _ in range(INTAKE_PAGES_PER_TICK):
            if not self._take_page():
                return

    def _take_page(self):
        """Queue the deliveries of the next feed page and move the position past it, in one transaction; True when
        more are ready. The page is read before the position is locked (the audit service may be slow; creating a
        subscription waits for that lock), and dropped when another process moved the position meanwhile."""
        now = utcnow()
        with self.db as uow:
            after = repo.intake_position(uow.session, now)
            uow.commit()
        with eventlet.Timeout(min(INTAKE_TIMEOUT_SECONDS, settings().rpc_timeout),
                              TimeoutError("audit did not answer in time")):
            page = self.audit.events(after=after, limit=INTAKE_PAGE)
        with self.db as uow:
            if repo.lock_intake(uow.session) != after:
                return True
            subs = repo.active_subscriptions(uow.session)
            rows = [delivery_row(sub["id"], event, now) for event in page["events"] for sub in subs
                    if matches(sub, event)]
            repo.queue(uow.session, rows)
            if page["next_cursor"] != after:
                repo.move_intake(uow.session, page["next_cursor"], now)
            uow.commit()
        return page["has_more"]

    @timer(interval=POLL_SECONDS)
    def send_due(self):
        policy = self.policy
        with self.db as uow:
            due = repo.claim_due(uow.session, utcnow(), lambda count: retries.lease_seconds(
                count, SEND_CONCURRENCY, policy.timeout_seconds), SEND_BATCH)
            uow.commit()
        if not due:
            return
        pool = eventlet.GreenPool(SEND_CONCURRENCY)
        internal_secrets = settings().internal_secrets
        results = list(pool.imap(lambda d: (d, sender.send(d, policy, internal_secrets)), due))
        with self.db as uow:
            for delivery, (status_code, latency_ms, error) in results:
                self._settle(uow, delivery, status_code, latency_ms, error)
            uow.commit()

    @timer(interval=PRUNE_SECONDS)
    def prune_log(self):
        """Keep the delivery log to ECOC_WEBHOOK_LOG_DAYS: settled deliveries older than that are forgotten."""
        with self.db as uow:
            pruned = repo.prune(uow.session, utcnow() - timedelta(days=self.policy.log_days))
            uow.commit()
        if pruned:
            log.info("forgot %d settled deliveries older than %g days", pruned, self.policy.log_days)

    @timer(interval=PRUNE_SECONDS, eager=True)
    def reseal_secrets(self):
        """Signing secrets sealed under an earlier internal secret (ECOC_INTERNAL_SECRET_PREVIOUS) are sealed again
        under the current one, so the earlier one can be dropped; a replica doing the same at once changes nothing."""
        internal_secrets = settings().internal_secrets
        with self.db as uow:
            resealed = 0
            for webhook_id, token in repo.sealed_secrets(uow.session):
                fresh = sealing.reseal(token, internal_secrets)
                if fresh is not None:
                    resealed += repo.replace_secret(uow.session, webhook_id, token, fresh)
            uow.commit()
        if resealed:
            log.info("sealed %d webhook signing secret(s) again under the current ECOC_INTERNAL_SECRET", resealed)

    def _settle(self, uow, delivery, status_code, latency_ms, error):
        now = utcnow()
        if error is None:
            outcome = {"status": "delivered", "next_attempt_at": None}
            repo.mark_success(uow.session, delivery["subscription_id"])
        else:
            later = retries.next_attempt(delivery["queued_at"], now, delivery["attempts"] + 1, self.policy)
            outcome = {"status": "pending", "next_attempt_at": later} if later else {"status": "failed",
                                                                                     "next_attempt_at": None}
            state = repo.mark_failure(uow.session, delivery["subscription_id"], now)
            if state is not None and state.active and retries.should_disable(state.failing_since, now, self.policy):
                self._disable(uow, delivery, state.failing_since, error)
        repo.record_attempt(uow.session, delivery["id"], now, status_code, latency_ms, error, outcome)
        metrics.WEBHOOK_ATTEMPTS.labels("retry" if outcome["status"] == "pending" else outcome["status"]).inc()
        metrics.WEBHOOK_SECONDS.observe(latency_ms / 1000)

    def _disable(self, uow, delivery, failing_since, error):
        sub = repo.lock_subscription(uow.session, delivery["subscription_id"])
        reason = f"every delivery failed since {failing_since.isoformat()} (last: {error})"[:1000]
        repo.update_subscription(uow.session, sub["id"], {"active": False, "disabled_reason": reason,
                                                          "revision": sub["revision"] + 1, "updated_at": utcnow()})
        uow.emit(WEBHOOK_DISABLED, {"webhook_id": sub["id"], "reason": reason,
                                    "failing_since": failing_since.isoformat()}, subject=sub["id"],
                 entity=sub["entity"])
        metrics.WEBHOOKS_DISABLED.inc()
        log.warning("webhook %s disabled: %s", sub["id"], reason)

    # -- helpers ------------------------------------------------------------------------------------------------

    def _visible(self, uow, webhook_id, lock=False, roles=()):
        """The subscription, if the caller acts for its entity (NotFound otherwise, as for a missing one)."""
        row = None
        if _is_uuid(webhook_id):
            row = (repo.lock_subscription(uow.session, webhook_id) if lock
                   else repo.subscription(uow.session, webhook_id))
        if row is None:
            self.caller.require(*roles)
            raise NotFound(f"no webhook {webhook_id}")
        self.caller.scope(row["entity"], f"webhook {webhook_id}", *roles)
        return row

    def _check(self, data):
        errors = targets.url_errors(data["url"], self.policy.insecure_targets) + type_errors(data["event_types"])
        if errors:
            raise InvalidInput("The webhook has invalid fields.", errors)


def _unique(types):
    return None if types is None else list(dict.fromkeys(types))


def _limit(limit):
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("Invalid limit.", [{"field": "limit", "message": f"an integer from 1 to {MAX_PAGE}"}])
    return limit


def _is_uuid(value):
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def _seq_cursor(cursor):
    if cursor in (None, ""):
        return None
    if isinstance(cursor, str) and cursor.isascii() and cursor.isdigit() and len(cursor) <= 18:
        return int(cursor)
    raise InvalidInput("Invalid cursor.", [{"field": "cursor", "message": "use next_cursor of the previous page"}])
