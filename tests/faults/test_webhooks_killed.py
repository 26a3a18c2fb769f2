"""Fault: the webhooks service's own process is killed with SIGKILL while it delivers events to a receiver, and
started again.

docs/webhooks.md promises delivery at least once, not ordered, deduplicated by `Ecoc-Event-Id`. So after the
restart: every event of the entity's feed after the webhook's creation reaches the receiver, signed (nothing
lost); an event arriving more than once is the same delivery of the same event (same `Ecoc-Delivery-Id`, same
body), and only deliveries the killed process had leased can arrive again (at most one batch); the delivery log
holds each event once, delivered.

The receiver (tests/e2e/webhook_receiver.py) takes a second over each delivery, so deliveries are under way when
the process dies: the test kills it once the receiver has answered part of a leased batch (which the process had
not yet recorded) while the rest is still being sent."""
import pytest

from cli import demo_data
from services.webhooks.service import SEND_BATCH
from tests.e2e.webhook_receiver import ReceiverProcess
from tests.support import feed_after, free_port, query, register_demo_manufacturer, wait_until

pytestmark = [pytest.mark.fault, pytest.mark.slow]

IMPORTS, PER_IMPORT, SEED = 20, 2, 9100
DELAY = 1.0  # seconds the receiver works on each delivery
WAIT = 300


def test_webhooks_killed_while_delivering(fault_stack, scratch):
    stack = fault_stack
    register_demo_manufacturer(stack)
    entity = [demo_data.ENTITY]
    steward, reader = stack.client("wendy", ["data_steward"], entity), stack.client("walt", ["viewer"], entity)
    _, before = feed_after(reader, None)  # the stack's earlier tests made events of their own
    port = free_port()
    hook = steward.post("/v1/webhooks", {"entity": demo_data.ENTITY, "url": f"https://127.0.0.1:{port}/hook"})
    receiver = ReceiverProcess(port, hook["secret"], scratch / "received.jsonl", stack.webhook_tls, delay=DELAY)
    receiver.start()
    try:
        vins = []
        for n in range(IMPORTS):  # an import a request: a few events each (changed, validated, status)
            vehicles = demo_data.vehicles(PER_IMPORT, seed=SEED + n)
            vins += [v["vin"] for v in vehicles]
            assert steward.post("/v1/vehicles/import", {"vehicles": vehicles})["accepted"] == PER_IMPORT

        def under_way():  # a leased batch is being sent: the receiver has answered part of it, not all
            leased = {r["id"] for r in query(stack.database_url("webhooks"), "SELECT id FROM deliveries WHERE "
                      "subscription_id = :hook AND status = 'pending' AND attempts = 0 AND next_attempt_at > now()",
                      hook=hook["id"])}
            answered = {r["headers"]["Ecoc-Delivery-Id"] for r in receiver.received()}
            return leased if leased & answered and leased - answered else None

        leased = len(wait_until(under_way, WAIT, "deliveries under way", interval=0.1))
        stack.processes.kill("webhooks")  # SIGKILL: its leased deliveries are neither settled nor released
        held = {r["id"] for r in query(stack.database_url("webhooks"), "SELECT id FROM deliveries WHERE "
                                       "subscription_id = :hook AND status = 'pending' AND next_attempt_at > now()",
                                       hook=hook["id"])}  # until the lease ends
        stack.processes.restart("webhooks")
        stack.processes.wait_healthy(stack.settings.gateway_url, timeout=90)

        def settled():
            created = next((e for e in feed_after(reader, before)[0]
                            if e["type"] == "webhook_created" and e["data"]["webhook_id"] == hook["id"]), None)
            if created is None:
                return None
            expected = feed_after(reader, created["id"])[0]
            judged = {v["vin"] for e in expected if e["type"] == "vehicle_status_changed"
                      for v in e["data"]["vehicles"] if v["status"] in ("valid", "blocked")}
            pending = query(stack.database_url("webhooks"), "SELECT count(*) AS n FROM deliveries WHERE "
                            "subscription_id = :hook AND status <> 'delivered'", hook=hook["id"])[0]["n"]
            got = {r["event"]["id"] for r in receiver.received()}
            done = judged >= set(vins) and pending == 0 and {e["id"] for e in expected} <= got
            return expected if done else None

        expected = wait_until(settled, WAIT, "every event delivered after the restart", interval=1.0)
    finally:
        receiver.kill()

    records = receiver.received()
    assert all(r["valid"] for r in records), "a delivery failed the documented signature check"
    feed = {e["id"]: e for e in feed_after(reader, None)[0]}
    assert all(feed[r["event"]["id"]] == r["event"] for r in records)  # each as the feed shows it
    by_event = {}
    for record in records:
        by_event.setdefault(record["event"]["id"], []).append(record)
    assert {e["id"] for e in expected} <= set(by_event)  # nothing lost

    # more than once only as the same delivery of the same event, and only what the killed process had leased
    again = {event_id: copies for event_id, copies in by_event.items() if len(copies) > 1}
    for copies in again.values():
        assert len({c["headers"]["Ecoc-Delivery-Id"] for c in copies}) == 1
        assert all(c["event"] == copies[0]["event"] for c in copies)
    assert len(again) <= SEND_BATCH
    assert {copies[0]["headers"]["Ecoc-Delivery-Id"] for copies in again.values()} <= held

    # the log: one delivery per event, delivered
    log = query(stack.database_url("webhooks"), "SELECT event_id, status FROM deliveries WHERE "
                "subscription_id = :hook", hook=hook["id"])
    assert sorted(r["event_id"] for r in log) == sorted(by_event)
    assert {r["status"] for r in log} == {"delivered"}
    print(f"\nwebhooks killed with {leased} deliveries leased ({len(held)} held at the kill); "
          f"{len(records)} received for {len(by_event)} events, {len(again)} more than once")
