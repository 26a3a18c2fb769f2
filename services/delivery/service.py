"""delivery: hands sealed eCoCs to the National Access Points of each entity's targets, reliably and observably.

Released certificates are queued automatically (targets with `auto_deliver`) from `certificate_signed`; people
queue and re-queue by hand. A timer sends what is due, per target as many at once as its `concurrency`, each
delivery taken under a lease with SKIP LOCKED (replicas share the work; a crashed sender's delivery is taken again
once its lease lapses and re-sent byte for byte, which the NAP answers as a duplicate). Every attempt is
recorded; accepted, rejected and failed deliveries are events, and so audited.
"""
import base64
import binascii
import hashlib
import logging
import re
from datetime import datetime, timedelta, timezone

import eventlet
import eventlet.queue
from common.rpc import rpc
from nameko.timer import timer

from common.config import settings
from common.contracts.delivery import DeliverIn, TargetIn
from common.contracts.events import CERTIFICATE_SIGNED, DELIVERY_QUEUED, DELIVERY_TARGET_CHANGED
from common.dependencies import Database, Identity
from common.entity_code import code_problem
from common.errors import EXPECTED, Conflict, InvalidInput, NotFound, load_or_raise
from common.events import on_event
from common.health import Health
from common.ids import is_uuid
from common.ops import Ops
from common.rpc import ServiceRpc
from services.delivery import repository as repo
from services.delivery.delivery_metrics import deliveries_by_state
from services.delivery.dependencies import Senders
from services.delivery.domain.messages import intended_country
from services.delivery.domain.outcomes import after_attempt, ref
from services.delivery.domain.targets import choose_target, target_problems
from services.delivery.models import inbox, outbox, targets

log = logging.getLogger(__name__)
SETTINGS = settings()
LEASE_MARGIN = 10  # seconds a lease outlasts two timeouts (connect and read) of the target
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
WRITERS = ("data_steward", "signer")  # who may queue and re-queue deliveries (admin holds every role)


class DeliveryService(Health):
    name = "delivery"
    health_table = targets

    db = Database(outbox, inbox)
    caller = Identity()
    ops = Ops(collectors=[deliveries_by_state])
    senders = Senders()
    signing = ServiceRpc("signing")

    # -- targets -------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def targets(self, entity=None):
        entities = self.caller.entities()
        with self.db as uow:
            return repo.list_targets(uow.session, entities, entity)

    @rpc(expected_exceptions=EXPECTED)
    def target(self, entity, name):
        self.caller.scope(entity, f"delivery target {entity}/{name}")
        with self.db as uow:
            found = repo.load_target(uow.session, entity, name)
        if found is None:
            raise NotFound(f"no delivery target {entity}/{name}")
        return found

    @rpc(expected_exceptions=EXPECTED)
    def put_target(self, entity, name, body):
        """Create or change a target of `entity` (admin)."""
        caller = self.caller.require("admin")
        self.caller.scope(entity, f"legal entity {entity}")
        problems = []
        if code_problem(entity):
            problems.append({"field": "entity", "message": code_problem(entity)})
        if not isinstance(name, str) or not _valid_name(name):
            problems.append({"field": "name", "message": "letters, digits, '.', '_' and '-' (at most 64)"})
        if problems:
            raise InvalidInput("The target is not valid.", problems)
        data = load_or_raise(TargetIn(), body if isinstance(body, dict) else {})
        problems = target_problems(data)
        if problems:
            raise InvalidInput("The target is not valid.", problems)
        with self.db as uow:
            other = repo.country_taken(uow.session, entity, name, data["country"])
            if other:
                what = f"country {data['country']}" if data["country"] else "the default (no country)"
                raise Conflict(f"target {other} of {entity} already serves {what}",
                               [{"field": "country", "message": f"already served by target {other}"}])
            saved = repo.save_target(uow.session, entity, name, data, caller.get("sub"))
            uow.emit(DELIVERY_TARGET_CHANGED, {k: saved[k] for k in ("entity", "name", "revision", "endpoint",
                                                                       "profile", "enabled")},
                     subject=f"{entity}/{name}", entity=entity)
            uow.commit()
        return saved

    # -- queueing ------------------------------------------------------------------------------------

    @on_event("signing", CERTIFICATE_SIGNED)
    def on_certificate_signed(self, event):
        """Queue the released certificates of an entity whose target delivers automatically."""
        entity = event["entity"]
        with self.db as uow:
            known = repo.list_targets(uow.session, entity=entity)
        found = []
        if any(t["auto_deliver"] for t in known):
            refs = [c["reference_id"] for c in event["data"]["certificates"]]
            found = self.signing.for_delivery(reference_ids=refs)
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            rows, _ = self._rows(found, known, None, "auto", event["actor"])
            self._queue(uow, rows, "auto", entity)
            uow.commit()

    @rpc(expected_exceptions=EXPECTED)
    def deliver(self, vins, target=None):
        """Queue the current certificates of `vins` (to `target`, else by country or the default target):
        {queued: [delivery], skipped: [{vin, reason}]}."""
        caller = self.caller.require(*WRITERS)
        data = load_or_raise(DeliverIn(), {"vins": vins, "target": target})
        wanted = list(dict.fromkeys(data["vins"]))
        found = self.signing.for_delivery(vins=wanted)  # as the caller: other entities' VINs are not found
        entities = sorted({f["summary"]["entity"] for f in found})
        with self.db as uow:
            known = [t for e in entities for t in repo.list_targets(uow.session, entity=e)]
            rows, skipped = self._rows(found, known, data["target"], "manual", caller.get("sub"))
            have = {f["summary"]["vin"] for f in found}
            skipped += [{"vin": v, "reason": "no current certificate"} for v in wanted if v not in have]
            rows, busy = self._not_open(uow, rows)
            skipped += busy
            ids = self._queue(uow, rows, "manual", None)
            uow.commit()
            queued = repo.delivery_summaries(uow.session, ids)
        return {"queued": queued, "skipped": sorted(skipped, key=lambda s: s["vin"])}

    @rpc(expected_exceptions=EXPECTED)
    def redeliver(self, delivery_id):
        """Send a delivery's certificate version again (same bytes, same target) as a new delivery."""
        caller = self.caller.require(*WRITERS)
        with self.db as uow:
            old = repo.load_delivery(uow.session, delivery_id, with_document=True)
            if old is not None:
                self.caller.scope(old["entity"], f"delivery {delivery_id}")
            if old is None:
                raise NotFound(f"no delivery {delivery_id}")
            if repo.open_delivery(uow.session, old["reference_id"], old["target_id"]):
                raise Conflict("this certificate version is already queued or being sent to this target",
                               [{"field": "id", "message": "wait for the open delivery to finish"}])
            target = repo.target_by_id(uow.session, old["target_id"])
            row = _row_of(old["entity"], old["vin"], old["reference_id"], old["version_number"], old["sha256"],
                          old["document"], target, "redelivery", caller.get("sub"), self.senders.retry_for)
            ids = self._queue(uow, [row], "redelivery", old["entity"])
            uow.commit()
            [queued] = repo.delivery_summaries(uow.session, ids)
        return queued

    def _rows(self, found, known_targets, target_name, trigger, requester):
        """Delivery rows for sealed certificates `found` ({summary, document}); (rows, skipped)."""
        rows, skipped = [], []
        for item in found:
            summary = item["summary"]
            document = item["document"].encode("utf-8")
            if hashlib.sha256(document).hexdigest() != summary["sha256"]:
                log.error("certificate %s of %s: the bytes signing handed over do not match its sha256; not "
                          "delivered", summary["reference_id"], summary["vin"])
                skipped.append({"vin": summary["vin"], "reason": "the sealed bytes do not match their digest"})
                continue
            own = [t for t in known_targets if t["entity"] == summary["entity"]]
            if target_name:
                chosen = next((t for t in own if t["name"] == target_name), None)
            else:
                chosen = choose_target(own, intended_country(document))
            if chosen is None:
                wanted = f"target {target_name}" if target_name else "target"
                skipped.append({"vin": summary["vin"], "reason": f"no {wanted} for entity {summary['entity']}"})
                continue
            if trigger == "auto" and not chosen["auto_deliver"]:
                continue  # the certificate's target is delivered to by hand only
            rows.append(_row_of(summary["entity"], summary["vin"], summary["reference_id"],
                                summary["version_number"], summary["sha256"], document, chosen, trigger, requester,
                                self.senders.retry_for))
        return rows, skipped

    def _not_open(self, uow, rows):
        keep, busy = [], []
        for row in rows:
            if repo.open_delivery(uow.session, row["reference_id"], row["target_id"]):
                busy.append({"vin": row["vin"], "reason": "already queued or being sent to this target"})
            else:
                keep.append(row)
        return keep, busy

    def _queue(self, uow, rows, trigger, entity):
        ids = repo.add_deliveries(uow.session, rows)
        if ids:
            queued = repo.delivery_summaries(uow.session, ids)
            for owner_entity in sorted({q["entity"] for q in queued}):
                mine = [ref(q) for q in queued if q["entity"] == owner_entity]
                uow.emit(DELIVERY_QUEUED, {"deliveries": mine, "trigger": trigger}, subject=mine[0]["vin"],
                         subjects=sorted({m["vin"] for m in mine}), entity=owner_entity)
        return ids

    # -- sending -------------------------------------------------------------------------------------

    @timer(interval=SETTINGS.delivery_poll_seconds, eager=True)
    def dispatch(self):
        """Send what is due, every enabled target at once (`_drain` each)."""
        with self.db as uow:
            due = [repo.target_by_id(uow.session, t) for t in repo.due_targets(uow.session)]
        pool = eventlet.GreenPool()
        for target in due:
            if target is not None and target["enabled"]:
                pool.spawn(self._drain, target)
        pool.waitall()

    def _drain(self, target):
        """Keep up to `concurrency` messages of the target in flight until none is due: whenever answers come
        back, they are recorded together in one transaction and as many due deliveries are taken in another (a
        slow answer holds up only its own slot)."""
        lease = 2 * target["timeout_seconds"] + LEASE_MARGIN
        concurrency = target["concurrency"]
        answers = eventlet.queue.LightQueue()
        senders = eventlet.GreenPool(concurrency)
        in_flight = 0

        def send(delivery):
            answers.put((delivery, self.senders.transports.send(target, delivery["document"])))

        try:
            while True:
                if in_flight < concurrency:
                    with self.db.fork() as uow:  # the worker's green threads: a unit of work each
                        claimed = repo.claim(uow.session, target["id"], lease, concurrency - in_flight)
                        uow.commit()
                    for delivery in claimed:
                        senders.spawn(send, delivery)
                    in_flight += len(claimed)
                if in_flight == 0:
                    return
                done = [answers.get()]
                while not answers.empty():
                    done.append(answers.get_nowait())
                in_flight -= len(done)
                self._record(done)
        except Exception:  # taken deliveries stay `sending` and are taken again when their lease lapses
            log.exception("delivery to target %s/%s failed inside ecoc", target["entity"], target["name"])
        finally:
            senders.waitall()

    def _record(self, done):
        now = datetime.now(timezone.utc)
        with self.db.fork() as uow:
            for delivery, sent in done:
                step = after_attempt(delivery, sent, now, self.senders.backoff)
                if not repo.finish(uow.session, delivery, delivery["attempts"], step.attempt, step.values):
                    log.warning("delivery %s: attempt %d answered after its lease lapsed; the answer is kept only "
                                "in this log (%s)", delivery["id"], delivery["attempts"], sent.outcome.kind)
                    continue
                if step.event:
                    uow.emit(step.event, step.data, subject=delivery["vin"], entity=delivery["entity"])
                if sent.outcome.kind != "accepted":
                    log.info("delivery %s of %s v%d: attempt %d %s (%s)", delivery["id"], delivery["vin"],
                             delivery["version_number"], delivery["attempts"], sent.outcome.kind,
                             sent.outcome.detail)
            uow.commit()

    # -- reading -------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list(self, state=None, entity=None, vin=None, limit=100, cursor=None):
        entities = self.caller.entities()
        with self.db as uow:
            items, following = repo.list_deliveries(uow.session, entities, entity, state, vin, limit,
                                                    _read_cursor(cursor))
        return {"items": items, "next_cursor": _cursor(following)}

    @rpc(expected_exceptions=EXPECTED)
    def get(self, delivery_id):
        self.caller.require()
        with self.db as uow:
            found = repo.load_delivery(uow.session, delivery_id)
            if found is not None:
                self.caller.scope(found["entity"], f"delivery {delivery_id}")
            if found is None:
                raise NotFound(f"no delivery {delivery_id}")
            found["attempt_log"] = repo.attempts_of(uow.session, [delivery_id]).get(delivery_id, [])
        return found

    @rpc(expected_exceptions=EXPECTED)
    def of_vehicle(self, vin):
        """Every delivery of the VIN's certificate versions, oldest version first, with their attempts."""
        entities = self.caller.entities()
        with self.db as uow:
            items, _ = repo.list_deliveries(uow.session, entities, None, None, vin, 1000, None)
            log_by_id = repo.attempts_of(uow.session, [i["id"] for i in items])
        for item in items:
            item["attempt_log"] = log_by_id.get(item["id"], [])
        return sorted(items, key=lambda i: (i["version_number"], i["queued_at"]))

    @rpc(expected_exceptions=EXPECTED)
    def exceptions(self, entity=None, limit=20):
        """Rejected and failed deliveries still to be acted on (the dashboard), of the caller's entities."""
        entities = self.caller.entities()
        with self.db as uow:
            return repo.exceptions(uow.session, entities, entity, max(1, min(int(limit), 1000)))

    @rpc(expected_exceptions=EXPECTED)
    def counts(self):
        """Deliveries per entity and state, of the caller's entities (the dashboard)."""
        entities = self.caller.entities()
        with self.db as uow:
            return repo.counts_by_state(uow.session, entities)


def _row_of(entity, vin, reference_id, version_number, sha256, document, target, trigger, requester, retry_for):
    now = datetime.now(timezone.utc)
    return {"entity": entity, "vin": vin, "reference_id": reference_id, "version_number": version_number,
            "sha256": sha256, "document": document, "target_id": target["id"], "target_name": target["name"],
            "trigger": trigger, "requested_by": requester, "owner": requester,
            "deadline_at": now + timedelta(seconds=retry_for)}


def _valid_name(name):
    return re.match(NAME, name) is not None


def _cursor(position):
    if position is None:
        return None
    at, last_id = position
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{last_id}".encode()).decode().rstrip("=")


def _read_cursor(cursor):
    if not cursor:
        return None
    try:
        at, last_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        at = datetime.fromisoformat(at)
        if at.tzinfo is not None and is_uuid(last_id):
            return at, last_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise InvalidInput("Invalid cursor.", [{"field": "cursor", "message": "use next_cursor of the previous page"}])
