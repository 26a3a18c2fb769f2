"""The audit service in a real nameko container on real RabbitMQ and PostgreSQL.

Each test runs the service under a unique name (so its event queues are its own and are deleted
afterwards) on a throwaway database, on the module's throwaway vhost (tests/integration/conftest.py).
The probe events use the event type `audit_probe`, which only the audit service's catch-all bindings
take: publishing a real type such as `vehicle_changed` would also land in the queues of other services'
consumers where the broker is shared (no rights to make a vhost).
"""
import hashlib
import time
import uuid

import psycopg
import pytest
from kombu import Connection, Queue
from nameko.events import EventHandler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from sqlalchemy.engine import make_url

from common.contracts.events import EVENTS_BY_SOURCE
from common.errors import InvalidInput
from common.outbox import Outbox
from services.audit.domain import chain
from services.audit.service import AuditService

pytestmark = pytest.mark.integration

PROBE = "audit_probe"
VIN_A = "WVWZZZ1JZXW000001"
VIN_B = "WVWZZZ1JZXW000002"
WAIT = 15


@pytest.fixture
def db_url(service_db):
    return service_db("audit")


@pytest.fixture
def sql(db_url):
    """A raw autocommit connection to the service's database, as an intruder would have."""
    conn = psycopg.connect(
        make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True)
    yield conn
    conn.close()


@pytest.fixture
def audit(container_factory, service_config, db_url):
    service_cls = type("AuditUnderTest", (AuditService,), {"name": f"audit_test_{uuid.uuid4().hex[:8]}"})
    config = service_config("audit", db_url)
    container = container_factory(service_cls, config)
    container.start()
    yield container
    container.stop()
    queues = [ext.queue.name for ext in container.entrypoints if isinstance(ext, EventHandler)]
    queues.append(f"rpc-{container.service_name}")
    with Connection(config["AMQP_URI"]) as conn:
        channel = conn.channel()
        for name in queues:
            Queue(name).bind(channel).delete()


@pytest.fixture
def publish(audit, publish_event):
    def send(envelope, wait=True):
        """Publish an envelope to its source's events exchange; wait until the audit handler ran."""
        if not wait:
            publish_event(envelope)
            return None
        def is_this_event(worker_ctx, result, exc_info):
            return worker_ctx.args[0]["event_id"] == envelope["event_id"]

        with entrypoint_waiter(audit, f"on_{envelope['source']}_event", timeout=WAIT, callback=is_this_event) as got:
            publish_event(envelope)
        got.get()  # re-raises if the handler failed
        return envelope

    return send


def envelope(subject, source="vehicles", subjects=None, **data):
    return Outbox(source, None).envelope(
        PROBE, data or {"vin": subject}, subject=subject, subjects=subjects,
        entity="ACME", actor="steward@example.eu")


def rows(sql):
    cur = sql.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute("SELECT * FROM audit_entries ORDER BY seq").fetchall()


def rpc(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as call:
        return call(*args, **kwargs)


def wait_for_count(sql, n, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = sql.execute("SELECT count(*) FROM audit_entries").fetchone()[0]
        if count >= n:
            return count
        time.sleep(0.05)
    raise AssertionError(f"{count} audit entries after {timeout}s, expected {n}")


def test_there_is_one_catch_all_handler_per_event_source(audit):
    bound = {(ext.source_service, ext.event_type) for ext in audit.entrypoints if isinstance(ext, EventHandler)}
    assert bound == {(source, "#") for source in EVENTS_BY_SOURCE}
    names = {ext.queue.name for ext in audit.entrypoints if isinstance(ext, EventHandler)}
    assert f"evt-vehicles-#--{audit.service_name}.on_vehicles_event" in names


def test_events_are_chained_in_order(audit, publish, sql):
    sent = [publish(envelope(VIN_A, revision=i)) for i in (1, 2, 3)]
    stored = rows(sql)
    assert [str(r["event_id"]) for r in stored] == [e["event_id"] for e in sent]
    assert stored[0]["prev_hash"] == chain.GENESIS
    for before, entry in zip([None] + stored, stored):
        assert entry["prev_hash"] == (before["hash"] if before else chain.GENESIS)
        assert entry["hash"] == chain.entry_hash(entry["prev_hash"], chain.content_of(entry))
    assert stored[1]["payload"] == sent[1]
    assert stored[1]["event_type"] == PROBE and stored[1]["source"] == "vehicles"
    assert stored[1]["subjects"] == [VIN_A] and stored[1]["entity"] == "ACME"


def test_every_source_is_recorded(audit, publish, sql):
    for source in EVENTS_BY_SOURCE:
        publish(envelope(f"SUBJ-{source}", source=source))
    assert [r["source"] for r in rows(sql)] == list(EVENTS_BY_SOURCE)


def test_redelivered_event_is_not_recorded_twice(audit, publish, sql):
    first = publish(envelope(VIN_A))
    publish(first)  # the handler runs again and succeeds
    assert len(rows(sql)) == 1

    second = envelope(VIN_A)
    failures = []
    with entrypoint_waiter(audit, "on_vehicles_event", timeout=WAIT,
                           callback=_count_calls(second["event_id"], 5, failures)):
        for _ in range(5):  # delivered concurrently to several workers
            publish(second, wait=False)
    assert failures == []
    assert [str(r["event_id"]) for r in rows(sql)] == [first["event_id"], second["event_id"]]
    assert rpc(audit, "verify_chain")["valid"]


def _count_calls(event_id, n, failures):
    seen = []

    def callback(worker_ctx, result, exc_info):
        if exc_info is not None:
            failures.append(exc_info)
        if worker_ctx.args[0]["event_id"] == event_id:
            seen.append(1)
        return len(seen) == n

    return callback


def test_concurrent_events_do_not_fork_the_chain(audit, publish, sql):
    sources = list(EVENTS_BY_SOURCE)
    for i in range(40):
        publish(envelope(VIN_B, source=sources[i % len(sources)], n=i), wait=False)
    wait_for_count(sql, 40)
    result = rpc(audit, "verify_chain")
    assert result["valid"] and result["entries"] == 40
    assert len({r["prev_hash"] for r in rows(sql)}) == 40  # no two entries share a predecessor


def test_query_pages_through_a_subject(audit, publish):
    sent = [publish(envelope(VIN_A, revision=i)) for i in (1, 2, 3)]
    publish(envelope(VIN_B))
    publish(envelope("BATCH-9", subjects=["BATCH-9", VIN_A]))

    page = rpc(audit, "query", VIN_A)
    assert page["next_cursor"] is None
    entries = page["entries"]
    assert [e["event_id"] for e in entries[:3]] == [e["event_id"] for e in sent]
    assert len(entries) == 4 and entries[3]["subject"] == "BATCH-9"
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    first = entries[0]
    assert set(first) >= {"seq", "event_id", "event_type", "source", "occurred_at", "recorded_at", "actor",
                          "entity", "subject", "data", "hash", "prev_hash"}
    assert first["data"] == {"revision": 1} and first["actor"] == "steward@example.eu"
    assert first["prev_hash"] == chain.GENESIS

    one = rpc(audit, "query", VIN_A, limit=2)
    assert [e["seq"] for e in one["entries"]] == [e["seq"] for e in entries[:2]]
    assert one["next_cursor"] == str(entries[1]["seq"])
    two = rpc(audit, "query", VIN_A, limit=2, cursor=one["next_cursor"])
    assert [e["seq"] for e in two["entries"]] == [e["seq"] for e in entries[2:]]
    assert two["next_cursor"] is None

    assert rpc(audit, "query", "NOBODY") == {"entries": [], "next_cursor": None}
    with pytest.raises(InvalidInput):
        rpc(audit, "query", VIN_A, cursor="abc")
    with pytest.raises(InvalidInput):
        rpc(audit, "query", VIN_A, limit=0)


def test_verify_chain_on_empty_and_filled_log(audit, publish, sql):
    assert rpc(audit, "verify_chain") == {
        "valid": True, "entries": 0, "head": None, "first_invalid_seq": None, "reason": None}
    for i in range(3):
        publish(envelope(VIN_A, revision=i))
    result = rpc(audit, "verify_chain")
    assert result == {"valid": True, "entries": 3, "head": rows(sql)[-1]["hash"],
                      "first_invalid_seq": None, "reason": None}
    assert rpc(audit, "health") == {"service": audit.service_name, "ok": True}


def test_update_delete_and_truncate_are_refused(audit, publish, sql):
    publish(envelope(VIN_A))
    for statement in (
        "UPDATE audit_entries SET actor = 'intruder'",
        "UPDATE audit_entries SET payload = jsonb_set(payload, '{data,vin}', '\"X\"')",
        "DELETE FROM audit_entries",
        "TRUNCATE audit_entries",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="audit_entries is append-only"):
            sql.execute(statement)
    assert len(rows(sql)) == 1 and rows(sql)[0]["actor"] == "steward@example.eu"


def test_tampering_with_the_trigger_disabled_is_detected(audit, publish, sql):
    for i in range(3):
        publish(envelope(VIN_A, revision=i))
    target = rows(sql)[1]["seq"]
    sql.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete")
    sql.execute("UPDATE audit_entries SET payload = jsonb_set(payload, '{data,revision}', '7') WHERE seq = %s",
                (target,))
    sql.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete")

    result = rpc(audit, "verify_chain")
    assert result["valid"] is False
    assert result["first_invalid_seq"] == target
    assert "altered" in result["reason"]
    assert result["entries"] == 3

    evidence = rpc(audit, "evidence", VIN_A)
    assert evidence["chain"]["valid"] is False and evidence["chain"]["first_invalid_seq"] == target


def test_deleted_entry_is_detected(audit, publish, sql):
    for i in range(3):
        publish(envelope(VIN_A, revision=i))
    stored = rows(sql)
    sql.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete")
    sql.execute("DELETE FROM audit_entries WHERE seq = %s", (stored[1]["seq"],))
    sql.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete")
    result = rpc(audit, "verify_chain")
    assert not result["valid"] and result["first_invalid_seq"] == stored[2]["seq"]


def test_evidence_pack_can_be_checked_independently(audit, publish, sql):
    publish(envelope(VIN_A, revision=1))
    publish(envelope(VIN_B))
    publish(envelope(VIN_A, revision=2))

    pack = rpc(audit, "evidence", VIN_A)
    assert pack["subject"] == VIN_A
    assert pack["head"] == rows(sql)[-1]["hash"]
    assert pack["chain"]["valid"] is True and pack["chain"]["entries"] == 3
    assert [e["data"] for e in pack["entries"]] == [{"revision": 1}, {"revision": 2}]
    for entry in pack["entries"]:
        recomputed = hashlib.sha256(bytes.fromhex(entry["prev_hash"]) + entry["canonical"].encode("utf-8"))
        assert recomputed.hexdigest() == entry["hash"]
    assert rpc(audit, "evidence", "NOBODY")["entries"] == []


def test_payload_is_hashed_as_postgresql_stores_it(audit, publish, sql):
    # jsonb gives 1e20 back as the integer 100000000000000000000; hashing the published form
    # instead would make a faithful entry look tampered with.
    publish(envelope(VIN_A, mass=1e20, ratio=1.10, note="Prüfung ✓ 認証"))
    stored = rows(sql)[0]
    assert stored["payload"]["data"]["mass"] == 10**20
    assert stored["payload"]["data"]["note"] == "Prüfung ✓ 認証"
    assert rpc(audit, "verify_chain")["valid"] is True
