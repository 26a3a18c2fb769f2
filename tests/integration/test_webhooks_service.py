"""The webhooks service in a real nameko container on real RabbitMQ and PostgreSQL, delivering to a real HTTP
receiver in the test process.

The audit service's change feed, where the webhooks take their events from, is swapped for a list the test
appends to, answering `events(after, limit)` as the audit service does (tests/e2e/test_webhooks.py runs the real
one). The delivery policy is in seconds, not hours, so back-off and disabling happen within a test.
"""
import json
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from nameko.testing.services import replace_dependencies
from sqlalchemy import create_engine, text

from common.contracts.events import WEBHOOK_CREATED, WEBHOOK_DISABLED
from common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.webhooks.domain import signatures
from services.webhooks.service import WebhooksService
from tests.support import wait_until

pytestmark = pytest.mark.integration

WAIT = 20
VIN = "WVWZZZ1JZXW000001"
STEWARD = ("sam", ["data_steward"], ["ACME"])


class Feed:
    """The audit service's `events` RPC over a list: events after the one named, in order, at most `limit`."""

    def __init__(self):
        self.items = []

    def add(self, event_type, entity, data, subject=VIN):
        event = {"id": str(uuid.uuid4()), "type": event_type, "source": "vehicles",
                 "occurred_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"), "entity": entity,
                 "subject": subject, "subjects": [subject], "actor": "sam", "data": data}
        self.items.append(event)
        return event

    def events(self, after=None, types=None, limit=100):
        ids = [e["id"] for e in self.items]
        start = ids.index(after) + 1 if after else 0
        page = self.items[start:start + limit]
        return {"events": page, "next_cursor": page[-1]["id"] if page else after,
                "has_more": start + limit < len(self.items)}


class Receiver:
    """An HTTP receiver: records every request; answers each with the next of `statuses` (then 200). (HTTPS is
    tested end to end, tests/e2e/test_webhooks.py: in this process `ssl` was imported before eventlet patched it.)"""

    def __init__(self):
        self.requests, self.statuses = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self):
        return [json.loads(r["body"]) for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def db_url(service_db):
    return service_db("webhooks")


def start(container_factory, service_config, db_url, **policy):
    """The service with a policy in seconds (`policy` overrides it); the databases must outlive the container, so
    tests ask for their databases before `container_factory`."""
    policy = {"WEBHOOK_RETRY_BASE_SECONDS": 0.2, "WEBHOOK_RETRY_MAX_SECONDS": 0.5, "WEBHOOK_RETRY_HOURS": 1,
              "WEBHOOK_DISABLE_AFTER_HOURS": 1, "WEBHOOK_TIMEOUT_SECONDS": 5, "WEBHOOK_INSECURE_TARGETS": True,
              **policy}
    config = service_config("webhooks", db_url, **policy)
    container = container_factory(WebhooksService, config)
    feed = Feed()
    audit = replace_dependencies(container, "audit")
    audit.events.side_effect = feed.events
    container.start()
    container.feed, container.audit = feed, audit
    return container


@pytest.fixture
def webhooks(db_url, container_factory, service_config):
    return start(container_factory, service_config, db_url)


@pytest.fixture
def rpc(call, as_user):
    def run(container, method, *args, user=STEWARD, **kwargs):
        return call(container, method, *args, context_data=as_user(*user), **kwargs)

    return run


def test_a_subscription_shows_its_secret_once_and_only_to_its_entity(webhooks, rpc, receiver, outbox_rows, db_url,
                                                                    db_rows):
    created = rpc(webhooks, "create", {"entity": "ACME", "url": receiver.url, "event_types": ["certificate_signed"]})
    assert created["secret"].startswith("whsec_") and created["active"] is True
    assert created["event_types"] == ["certificate_signed"] and created["created_by"] == "sam"
    shown = rpc(webhooks, "get", created["id"])
    assert "secret" not in shown and shown["deliveries"] == {"pending": 0, "delivered": 0, "failed": 0}
    assert [w["id"] for w in rpc(webhooks, "list")["items"]] == [created["id"]]
    assert "secret" not in rpc(webhooks, "list")["items"][0]
    [stored] = db_rows(db_url, "SELECT secret FROM subscriptions")
    assert created["secret"] not in stored["secret"]  # sealed at rest: a dump alone cannot forge deliveries
    [event] = outbox_rows(db_url, WEBHOOK_CREATED)
    assert event["entity"] == "ACME" and event["actor"] == "sam" and "secret" not in json.dumps(event)

    other = ("nina", ["data_steward"], ["NORDWIND"])
    assert rpc(webhooks, "list", user=other)["items"] == []
    for method, args in (("get", ()), ("update", ({"active": False},)), ("delete", ()), ("ping", ()),
                         ("deliveries", ())):
        unknown = str(uuid.uuid4())
        with pytest.raises(NotFound) as foreign:
            rpc(webhooks, method, created["id"], *args, user=other)
        with pytest.raises(NotFound) as missing:
            rpc(webhooks, method, unknown, *args, user=other)
        assert str(foreign.value).replace(created["id"], unknown) == str(missing.value), method
    # as every creating route: another entity's code is refused naming the field, exactly like an unknown one
    with pytest.raises(InvalidInput) as foreign:
        rpc(webhooks, "create", {"entity": "ACME", "url": receiver.url}, user=other)
    with pytest.raises(InvalidInput) as missing:
        rpc(webhooks, "create", {"entity": "NOPE", "url": receiver.url}, user=other)
    assert foreign.value.errors == [{"field": "entity", "message": "no legal entity ACME"}]
    assert (foreign.value.detail, missing.value.errors) == (missing.value.detail, [
        {"field": "entity", "message": "no legal entity NOPE"}])
    with pytest.raises(Forbidden):
        rpc(webhooks, "create", {"entity": "ACME", "url": receiver.url}, user=("vic", ["viewer"], ["ACME"]))


def test_bad_subscriptions_are_refused_naming_the_field(service_db, webhooks, rpc, container_factory,
                                                        service_config):
    cases = [({"entity": "ACME", "url": "ftp://example.eu/x"}, "url"),
             ({"entity": "ACME", "url": "https://user:pw@example.eu/x"}, "url"),
             ({"entity": "ACME", "url": "https://example.eu/x", "event_types": ["nope"]}, "event_types"),
             ({"entity": "ACME", "url": "https://example.eu/x", "extra": 1}, "extra"),
             ({"url": "https://example.eu/x"}, "entity")]
    for payload, field in cases:
        with pytest.raises(InvalidInput) as raised:
            rpc(webhooks, "create", payload)
        assert field in [e["field"] for e in raised.value.errors], payload
    strict = start(container_factory, service_config, service_db("webhooks", "strict"),
                   WEBHOOK_INSECURE_TARGETS=False)
    for url in ("http://example.eu/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://localhost/x"):
        with pytest.raises(InvalidInput) as raised:
            rpc(strict, "create", {"entity": "ACME", "url": url})
        assert raised.value.errors[0]["field"] == "url", url
    assert rpc(strict, "create", {"entity": "ACME", "url": "https://erp.example.eu/hook"})["active"]


def test_events_of_the_entity_and_types_are_delivered_signed(webhooks, rpc, receiver):
    hook = rpc(webhooks, "create", {"entity": "ACME", "url": receiver.url,
                                    "event_types": ["certificate_signed", "vehicle_status_changed"]})
    feed = webhooks.feed
    wanted = [feed.add("vehicle_status_changed", "ACME", {"vehicles": [{"vin": VIN, "status": "valid"}]}),
              feed.add("certificate_signed", "ACME", {"release_id": "r1", "certificates": [
                  {"vin": VIN, "reference_id": "ref", "version_number": 1}]})]
    feed.add("vehicle_status_changed", "NORDWIND", {"vehicles": [{"vin": "X", "status": "valid"}]})
    feed.add("release_requested", "ACME", {"release_id": "r1", "vins": [VIN]})

    wait_until(lambda: len(receiver.requests) >= 2, WAIT, what="two deliveries")
    assert sorted(e["id"] for e in receiver.events()) == sorted(e["id"] for e in wanted)
    for request in receiver.requests:
        headers = request["headers"]
        assert signatures.verify(hook["secret"], headers["Ecoc-Signature"], request["body"])
        assert not signatures.verify("whsec_other", headers["Ecoc-Signature"], request["body"])
        assert not signatures.verify(hook["secret"], headers["Ecoc-Signature"], request["body"] + b" ")
        assert headers["Ecoc-Webhook-Id"] == hook["id"] and headers["Content-Type"] == "application/json"
        assert headers["Ecoc-Event-Id"] == json.loads(request["body"])["id"]
    assert {e["id"]: e for e in receiver.events()} == {e["id"]: e for e in wanted}

    def settled():
        items = rpc(webhooks, "deliveries", hook["id"])["items"]
        return items if all(d["status"] == "delivered" for d in items) else None

    log = wait_until(settled, WAIT, what="a settled log")
    assert len(log) == 2 and all(d["last_attempt"]["status_code"] == 200 for d in log)
    assert all(isinstance(d["last_attempt"]["latency_ms"], int) for d in log)
    # the other entity's event and the type not asked for were never queued
    assert rpc(webhooks, "get", hook["id"])["deliveries"] == {"pending": 0, "delivered": 2, "failed": 0}


def test_failures_are_retried_with_back_off_until_delivered(webhooks, rpc, receiver):
    hook = rpc(webhooks, "create", {"entity": "ACME", "url": receiver.url})
    receiver.statuses = [500, 503]
    event = webhooks.feed.add("release_approved", "ACME", {"release_id": "r1", "vins": [VIN]})
    delivered = wait_until(lambda: rpc(webhooks, "deliveries", hook["id"], status="delivered")["items"], WAIT,
                           what="the delivery after two failures")
    detail = rpc(webhooks, "delivery", hook["id"], delivered[0]["id"])
    assert detail["attempts"] == 3 and [a["status_code"] for a in detail["attempts_log"]] == [500, 503, 200]
    assert detail["attempts_log"][0]["error"] == "HTTP 500" and detail["event"]["id"] == event["id"]
    at = [datetime.fromisoformat(a["at"]) for a in detail["attempts_log"]]
    assert at == sorted(at)  # how long each wait is, is the domain's rule (tests/unit/test_webhooks_domain.py)
    assert [e["id"] for e in receiver.events()] == [event["id"]] * 3


def test_redeliver_and_ping(webhooks, rpc, receiver, outbox_rows, db_url):
    hook = rpc(webhooks, "create", {"entity": "ACME", "url": receiver.url})
    event = webhooks.feed.add("release_approved", "ACME", {"release_id": "r1", "vins": [VIN]})
    first = wait_until(lambda: rpc(webhooks, "deliveries", hook["id"], status="delivered")["items"], WAIT,
                       what="delivery")[0]
    again = rpc(webhooks, "redeliver", hook["id"], first["id"])
    assert again["status"] == "pending"
    wait_until(lambda: len(receiver.requests) == 2, WAIT, what="the redelivery")
    assert [e["id"] for e in receiver.events()] == [event["id"], event["id"]]
    with pytest.raises(NotFound):
        rpc(webhooks, "redeliver", hook["id"], str(uuid.uuid4()))

    ping = rpc(webhooks, "ping", hook["id"])
    assert ping["event_type"] == "webhook_ping"
    wait_until(lambda: len(receiver.requests) == 3, WAIT, what="the ping")
    assert receiver.events()[2]["type"] == "webhook_ping" and receiver.events()[2]["entity"] == "ACME"
    types = [e["event_type"] for e in outbox_rows(db_url)]
    assert types == ["webhook_created", "webhook_redelivered", "webhook_pinged"]


def test_a_subscription_failing_for_too_long_is_disabled_with_an_event(db_url, container_factory, service_config,
                                                                     rpc, receiver, outbox_rows):
    webhooks = start(container_factory, service_config, db_url, WEBHOOK_DISABLE_AFTER_HOURS=1 / 3600)
    hook = rpc(webhooks, "create", {"entity": "ACME", "url": receiver.url})
    receiver.statuses = [500] * 1000
    webhooks.feed.add("release_approved", "ACME", {"release_id": "r1", "vins": [VIN]})
    wait_until(lambda: not rpc(webhooks, "get", hook["id"])["active"], WAIT, what="the webhook disabled")
    shown = rpc(webhooks, "get", hook["id"])
    assert "every delivery failed since" in shown["disabled_reason"] and "HTTP 500" in shown["disabled_reason"]
    [disabled] = outbox_rows(db_url, WEBHOOK_DISABLED)
    assert disabled["data"]["webhook_id"] == hook["id"] and disabled["entity"] == "ACME"
    with pytest.raises(Conflict):
        rpc(webhooks, "ping", hook["id"])

    # Enabled again, the pending delivery resumes and goes out once the receiver answers.
    received = len(receiver.requests)
    receiver.statuses = []
    assert rpc(webhooks, "update", hook["id"], {"active": True})["active"] is True
    wait_until(lambda: rpc(webhooks, "deliveries", hook["id"], status="delivered")["items"], WAIT,
               what="the delivery")
    assert len(receiver.requests) > received


def test_a_new_subscription_gets_the_events_taken_in_after_it_not_before(webhooks, rpc, receiver, db_rows, db_url):
    old = webhooks.feed.add("release_approved", "ACME", {"release_id": "r0", "vins": [VIN]})
    wait_until(lambda: db_rows(db_url, "SELECT after_event FROM intake WHERE after_event = :e", e=old["id"]), WAIT,
               what="the intake to take the first event in")
    hook = rpc(webhooks, "create", {"entity": "ACME", "url": receiver.url})
    new = webhooks.feed.add("release_approved", "ACME", {"release_id": "r1", "vins": [VIN]})
    wait_until(lambda: rpc(webhooks, "deliveries", hook["id"], status="delivered")["items"], WAIT, what="delivery")
    assert [e["id"] for e in receiver.events()] == [new["id"]]



def test_settled_deliveries_older_than_the_log_keeps_are_forgotten(db_url, container_factory, service_config, rpc,
                                                                   call, receiver, db_rows):
    webhooks = start(container_factory, service_config, db_url, WEBHOOK_LOG_DAYS=1)
    hook = rpc(webhooks, "create", {"entity": "ACME", "url": receiver.url})
    for n in (1, 2):
        webhooks.feed.add("release_approved", "ACME", {"release_id": f"r{n}", "vins": [VIN]})
    settled = wait_until(lambda: (lambda items: items if len(items) == 2 else None)(
        rpc(webhooks, "deliveries", hook["id"], status="delivered")["items"]), WAIT, what="two deliveries")
    engine = create_engine(db_url, pool_size=1, max_overflow=0)
    with engine.begin() as conn:  # the older one, two days back
        conn.execute(text("UPDATE deliveries SET queued_at = now() - interval '2 days' WHERE id = :id"),
                     {"id": settled[1]["id"]})
    engine.dispose()
    call(webhooks, "prune_log")
    assert [d["id"] for d in rpc(webhooks, "deliveries", hook["id"])["items"]] == [settled[0]["id"]]
    assert db_rows(db_url, "SELECT count(*) AS n FROM attempts")[0]["n"] == 1


def test_rotating_the_internal_secret_keeps_webhooks_signing_and_reseals_their_secrets(
        webhooks, rpc, call, receiver, db_rows, db_url, monkeypatch):
    from common.config import settings
    from services.webhooks.domain import sealing

    hook = rpc(webhooks, "create", {"entity": "ACME", "url": receiver.url})
    old = settings().internal_secret
    sealed = db_rows(db_url, "SELECT secret FROM subscriptions")[0]["secret"]
    # every process now runs with a new internal secret and the old one as the earlier one
    monkeypatch.setenv("ECOC_INTERNAL_SECRET", "a-new-internal-secret-0123456789abcdefgh")
    monkeypatch.setenv("ECOC_INTERNAL_SECRET_PREVIOUS", old)

    def delivered(n):
        wait_until(lambda: len(receiver.requests) >= n, WAIT, what=f"{n} deliveries")
        assert signatures.verify(hook["secret"], receiver.requests[n - 1]["headers"]["Ecoc-Signature"],
                                 receiver.requests[n - 1]["body"])

    webhooks.feed.add("release_approved", "ACME", {"release_id": "r1", "vins": [VIN]})
    delivered(1)  # read with the earlier secret
    call(webhooks, "reseal_secrets")
    resealed = db_rows(db_url, "SELECT secret FROM subscriptions")[0]["secret"]
    assert resealed != sealed
    assert sealing.unseal(resealed, ("a-new-internal-secret-0123456789abcdefgh",)) == hook["secret"]
    monkeypatch.delenv("ECOC_INTERNAL_SECRET_PREVIOUS")  # the earlier secret is dropped everywhere
    webhooks.feed.add("release_approved", "ACME", {"release_id": "r2", "vins": [VIN]})
    delivered(2)
    call(webhooks, "reseal_secrets")
    assert db_rows(db_url, "SELECT secret FROM subscriptions")[0]["secret"] == resealed  # nothing more to do


def test_a_process_told_to_stop_does_not_wait_out_the_rpc_timeout_for_an_intake_read(db_url, container_factory,
                                                                                      service_config):
    """An audit process stopping at the same time never answers the read under way: the webhooks process stops
    once that read gives up (INTAKE_TIMEOUT_SECONDS), not after the RPC timeout (30 s): a rolling update or a
    test teardown does not wait for it, nor does Kubernetes have to kill it."""
    import eventlet

    webhooks = start(container_factory, service_config, db_url)
    reading = eventlet.event.Event()

    def unanswered(*args, **kwargs):
        if not reading.ready():
            reading.send(True)
        eventlet.sleep(120)  # the audit service went away with the request

    webhooks.audit.events.side_effect = unanswered
    with eventlet.Timeout(60):
        reading.wait()
    with eventlet.Timeout(15, AssertionError("the process waited for the RPC timeout before stopping")):
        webhooks.stop()
