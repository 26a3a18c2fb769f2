"""The audit service in a real nameko container on real RabbitMQ and PostgreSQL.

Each test runs the service under a unique name (so its event queues are its own and are deleted
afterwards) on a throwaway database, on the module's throwaway vhost (tests/integration/conftest.py).
The probe events use the event type `audit_probe`, which only the audit service's catch-all bindings
take: publishing a real type such as `vehicle_changed` would also land in the queues of other services'
consumers where the broker is shared (no rights to make a vhost).
"""
import hashlib
import json
import time
import uuid

import psycopg
import pytest
from kombu import Connection, Queue
from nameko.events import EventHandler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from sqlalchemy.engine import make_url

from common.contracts.events import EVENTS_BY_SOURCE
from common.authz import passport
from common.config import settings
from common.dependencies import IDENTITY_KEY
from common.errors import Forbidden, InvalidInput
from common.events import ATTEMPT_HEADER, ERROR_HEADER
from common.outbox import Outbox
from common.topology import dead_queue_name, event_queue_name, failure_queues, parse_delays
from services.audit.domain import chain, checkpoints
from services.audit.service import AuditService
from tests.support import take

pytestmark = pytest.mark.integration

PROBE = "audit_probe"
VIN_A = "WVWZZZ1JZXW000001"
VIN_B = "WVWZZZ1JZXW000002"
WAIT = 15
RETRY_DELAYS = "0.5,0.5"


@pytest.fixture
def db_url(service_db):
    url = service_db("audit")
    yield url
    # the writer role of migration 0002 is server-wide: drop it with its throwaway database
    role = writer_role(url)
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')


def libpq(url):
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def writer_role(url):
    return f"{make_url(url).database}_writer"


@pytest.fixture
def sql(db_url):
    """A raw autocommit connection to the service's database, as an intruder would have."""
    conn = psycopg.connect(libpq(db_url), autocommit=True)
    yield conn
    conn.close()


@pytest.fixture
def audit(container_factory, service_config, db_url, tmp_path):
    service_cls = type("AuditUnderTest", (AuditService,), {"name": f"audit_test_{uuid.uuid4().hex[:8]}"})
    config = service_config("audit", db_url, KEYS_DIR=str(tmp_path / "keys"), EVENT_RETRY_DELAYS=RETRY_DELAYS)
    container = container_factory(service_cls, config)
    container.start()
    yield container
    container.stop()
    queues = [ext.queue.name for ext in container.entrypoints if isinstance(ext, EventHandler)]
    queues += [q.name for name in queues for q in failure_queues(name, parse_delays(RETRY_DELAYS))]
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
        def is_this_event(worker_ctx, result, exc_info):  # handlers take batches of envelopes
            return envelope["event_id"] in {e["event_id"] for e in worker_ctx.args[0]}

        with entrypoint_waiter(audit, f"on_{envelope['source']}_event", timeout=WAIT, callback=is_this_event) as got:
            publish_event(envelope)
        got.get()  # re-raises if the handler failed
        return envelope

    return send


def envelope(subject, source="vehicles", subjects=None, **data):
    return Outbox(source, None).envelope(
        PROBE, data or {"vin": subject}, subject=subject, subjects=subjects,
        entity="ACME", actor="steward@example.eu", roles=["data_steward"])


def rows(sql):
    cur = sql.cursor(row_factory=psycopg.rows.dict_row)
    return cur.execute("SELECT * FROM audit_entries ORDER BY seq").fetchall()


def identity_context(sub, roles):
    """Context data as the gateway sends it (the caller's passport)."""
    return {IDENTITY_KEY: passport({"sub": sub, "roles": list(roles), "entities": ["*"]}, settings())}


def rpc(container, method, *args, **kwargs):
    """Call an RPC of the service as an auditor (the gateway's passport)."""
    with entrypoint_hook(container, method, context_data=identity_context("audrey", ["auditor"])) as call:
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
        assert entry["hash"] == chain.entry_hash(entry["prev_hash"], entry)
    assert stored[1]["payload"] == sent[1]
    assert stored[1]["event_type"] == PROBE and stored[1]["source"] == "vehicles"
    assert stored[1]["subjects"] == [VIN_A] and stored[1]["entity"] == "ACME"
    assert stored[1]["roles"] == ["data_steward"] and stored[1]["actor"] == "steward@example.eu"
    assert stored[1]["payload_digest"] == chain.payload_digest(stored[1]["payload"])


def test_trace_id_of_the_producer_is_recorded(audit, publish, sql):
    sent = envelope(VIN_A)
    sent["trace"] = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    publish(sent)
    assert rows(sql)[0]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"


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
        seen.extend(1 for e in worker_ctx.args[0] if e["event_id"] == event_id)
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
        "valid": True, "entries": 0, "head": None, "last_seq": None, "first_invalid_seq": None, "reason": None,
        "checkpoint": None, "scope": "since_checkpoint"}
    assert rpc(audit, "checkpoint") is None  # nothing to seal yet
    for i in range(3):
        publish(envelope(VIN_A, revision=i))
    sealed = rpc(audit, "checkpoint")
    stored = rows(sql)
    assert sealed["seq"] == stored[-1]["seq"] and sealed["head_hash"] == stored[-1]["hash"]
    assert rpc(audit, "checkpoint") == sealed  # the head did not move: no new checkpoint
    result = rpc(audit, "verify_chain", full=True)
    assert result == {"valid": True, "entries": 3, "head": stored[-1]["hash"], "last_seq": stored[-1]["seq"],
                      "first_invalid_seq": None, "reason": None, "checkpoint": sealed, "scope": "full"}
    publish(envelope(VIN_A, revision=3))
    quick = rpc(audit, "verify_chain")  # the entries after the newest checkpoint, on top of it
    assert quick == {"valid": True, "entries": 1, "head": rows(sql)[-1]["hash"], "last_seq": rows(sql)[-1]["seq"],
                     "first_invalid_seq": None, "reason": None, "checkpoint": sealed, "scope": "since_checkpoint"}
    with pytest.raises(InvalidInput):
        rpc(audit, "verify_chain", full="yes")
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


def test_the_service_role_may_only_insert_and_select(audit, publish, sql, db_url):
    publish(envelope(VIN_A))
    rpc(audit, "checkpoint")
    url = make_url(libpq(db_url)).set(username=writer_role(db_url)).render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as writer:
        assert writer.execute("SELECT current_user").fetchone()[0] == writer_role(db_url)
        assert writer.execute("SELECT count(*) FROM audit_entries").fetchone()[0] == 1
        for statement in ("UPDATE audit_entries SET actor = 'x'", "DELETE FROM audit_entries",
                          "TRUNCATE audit_entries", "DELETE FROM audit_checkpoints",
                          "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                writer.execute(statement)
    connected_as = sql.execute("SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = %s",
                               (make_url(db_url).database,)).fetchall()
    assert (writer_role(db_url),) in connected_as  # the running service uses the writer role


def test_deleted_tail_is_caught_by_the_checkpoint(audit, publish, sql):
    for i in range(4):
        publish(envelope(VIN_A, revision=i))
    sealed = rpc(audit, "checkpoint")
    stored = rows(sql)
    sql.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete")
    sql.execute("DELETE FROM audit_entries WHERE seq >= %s", (stored[2]["seq"],))
    sql.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete")
    result = rpc(audit, "verify_chain", full=True)
    assert result["valid"] is False and result["entries"] == 2  # the remaining chain itself is intact...
    assert result["first_invalid_seq"] == sealed["seq"] == stored[3]["seq"]  # ...but the sealed head is gone
    assert "removed from the tail" in result["reason"]
    quick = rpc(audit, "verify_chain")  # the default check finds it without re-hashing anything
    assert (quick["valid"], quick["scope"], quick["first_invalid_seq"]) == (False, "since_checkpoint", sealed["seq"])
    assert quick["reason"] == f"the entry sealed by the checkpoint at {sealed['seq']} is missing or was rewritten"


def test_forged_checkpoint_is_detected(audit, publish, sql):
    publish(envelope(VIN_A))
    sealed = rpc(audit, "checkpoint")
    sql.execute("INSERT INTO audit_checkpoints (seq, head_hash, at, key_id, signature) "
                "VALUES (%s, %s, now(), %s, %s)", (sealed["seq"], sealed["head_hash"], sealed["key_id"],
                                                   sealed["signature"][:-4] + "AAA="))
    result = rpc(audit, "verify_chain")
    assert result["valid"] is False and "not sealed by the audit key" in result["reason"]


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
    assert "payload was altered" in result["reason"]
    assert result["entries"] == 3


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
    stored = rows(sql)
    assert pack["subject"] == VIN_A
    assert pack["checkpoint"]["seq"] == stored[-1]["seq"] and pack["checkpoint"]["head_hash"] == stored[-1]["hash"]
    assert [e["shared"]["data"] for e in pack["entries"]] == [{"revision": 1}, {"revision": 2}]
    assert pack["index"]["seqs"] == [e["seq"] for e in pack["entries"]]
    assert checkpoints.index_valid(pack["public_key"], pack["index"])
    (run,) = pack["proof"]["segments"]
    assert run["checkpoint"] == pack["checkpoint"]
    assert [link["seq"] for link in run["links"]] == [stored[1]["seq"]]  # VIN_B's entry: a digest only
    assert VIN_B not in json.dumps(pack["proof"])
    assert head_of(pack, run) == pack["checkpoint"]["head_hash"]  # recomputed from the pack alone
    assert checkpoints.signature_valid(pack["public_key"], pack["checkpoint"])
    assert rpc(audit, "evidence", "NOBODY")["entries"] == []


def test_an_evidence_proof_runs_to_the_first_checkpoint_after_the_subjects_entries(audit, publish, sql):
    """The proof's cost is bounded by the entries between checkpoints, not by the history since the VIN's first
    entry: a run ends at the first checkpoint that seals it, and later history is not re-hashed."""
    publish(envelope(VIN_A, revision=1))
    publish(envelope(VIN_B))
    first = rpc(audit, "checkpoint")
    for revision in range(5):
        publish(envelope(VIN_B, revision=revision))
    second = rpc(audit, "checkpoint")
    publish(envelope(VIN_A, revision=2))
    publish(envelope(VIN_B, revision=9))

    pack = rpc(audit, "evidence", VIN_A)
    stored = rows(sql)
    assert [run["checkpoint"]["seq"] for run in pack["proof"]["segments"]] == [first["seq"], stored[-1]["seq"]]
    assert [[link["seq"] for link in run["links"]] for run in pack["proof"]["segments"]] == [
        [stored[1]["seq"]], [stored[-1]["seq"]]]  # the five entries sealed by `second` are not in the proof
    assert second["seq"] not in {link["seq"] for run in pack["proof"]["segments"] for link in run["links"]}
    assert [row["digest"] for row in stored] == [chain.entry_digest(row) for row in stored]


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def head_of(pack, run):
    """The chain head a proof run of an evidence pack re-hashes to, with nothing but hashlib and json."""
    links = sorted(pack["entries"] + run["links"], key=lambda item: item["seq"])
    current = run["prev_hash"]
    for item in links:
        if "digest" in item:
            digest = item["digest"]
        else:  # format 2: the VIN's leaf up its Merkle path to the root, then the header
            node = hashlib.sha256(canonical(item["item"])).hexdigest()
            for step in item["path"]:
                pair = (step["left"], node) if "left" in step else (node, step["right"])
                node = hashlib.sha256(b"\x01" + bytes.fromhex(pair[0]) + bytes.fromhex(pair[1])).hexdigest()
            header = {name: item[name] for name in pack["algorithm"]["format_2"]["entry_fields"]}
            header.update(format=2, shared_digest=hashlib.sha256(canonical(item["shared"])).hexdigest(),
                          items_root=node)
            digest = hashlib.sha256(canonical(header)).hexdigest()
        current = hashlib.sha256(bytes.fromhex(current) + bytes.fromhex(digest)).hexdigest()
    return current


def test_a_batch_entry_of_many_vehicles_stores_its_leaf_digests_and_its_packs_prove_from_them(audit, publish, sql):
    vins = [f"WVWZZZ1JZXW{n:06d}" for n in range(40)]
    publish(envelope(VIN_A, revision=1))
    publish(envelope("release-1", subjects=vins, vehicles=[{"vin": v, "status": "released"} for v in vins]))
    stored = rows(sql)
    assert stored[0]["leaf_digests"] is None  # one key: nothing to store
    assert len(stored[1]["leaf_digests"]) == 32 * (len(vins) + 1)  # a leaf per VIN and one for the release
    for vin in (vins[0], vins[17], vins[-1]):
        pack = rpc(audit, "evidence", vin)
        (run,) = pack["proof"]["segments"]
        assert [e["item"]["part"] for e in pack["entries"]] == [{"vehicles": [{"vin": vin, "status": "released"}]}]
        assert head_of(pack, run) == pack["checkpoint"]["head_hash"]
    assert rpc(audit, "verify_chain", True)["valid"]


def test_query_filters_by_actor_type_and_time_window(audit, publish, sql):
    early = envelope(VIN_A, revision=1)
    early["occurred_at"] = "2026-01-01T10:00:00+00:00"
    publish(early)
    other = envelope(VIN_B)
    other["actor"], other["event_type"] = "reviewer@example.eu", "audit_probe_other"
    publish(other)
    publish(envelope(VIN_A, revision=2))

    by_actor = rpc(audit, "query", actor="reviewer@example.eu")["entries"]
    assert [e["event_id"] for e in by_actor] == [other["event_id"]]
    assert [e["subject"] for e in rpc(audit, "query", event_type=PROBE)["entries"]] == [VIN_A, VIN_A]
    window = rpc(audit, "query", subject=VIN_A, since="2026-01-01T00:00:00Z", until="2026-01-02T00:00:00+00:00")
    assert [e["event_id"] for e in window["entries"]] == [early["event_id"]]
    assert len(rpc(audit, "query", since="2026-01-02T00:00:00Z")["entries"]) == 2
    assert rpc(audit, "query", subject=VIN_A, actor="reviewer@example.eu")["entries"] == []
    for bad in ({"since": "yesterday"}, {"until": "2026-01-01T00:00:00"}, {}, {"subject": "A\x00B"},
                {"actor": "x" * 501}, {"subject": VIN_A, "cursor": "9" * 19}, {"subject": VIN_A, "cursor": "١٢"}):
        with pytest.raises(InvalidInput):
            rpc(audit, "query", **bad)


def test_payload_is_hashed_as_postgresql_stores_it(audit, publish, sql):
    # jsonb gives 1e20 back as the integer 100000000000000000000; hashing the published form
    # instead would make a faithful entry look tampered with.
    publish(envelope(VIN_A, mass=1e20, ratio=1.10, note="Prüfung ✓ 認証"))
    stored = rows(sql)[0]
    assert stored["payload"]["data"]["mass"] == 10**20
    assert stored["payload"]["data"]["note"] == "Prüfung ✓ 認証"
    assert rpc(audit, "verify_chain")["valid"] is True


def test_only_auditors_read_the_log(audit, publish):
    publish(envelope(VIN_A))
    for method, args in (("query", (VIN_A,)), ("verify_chain", ()), ("evidence", (VIN_A,))):
        for context in ({}, identity_context("sam", ["data_steward"])):
            with entrypoint_hook(audit, method, context_data=context) as call, pytest.raises(Forbidden):
                call(*args)
    with entrypoint_hook(audit, "query", context_data=identity_context("ada", ["admin"])) as call:
        assert len(call(VIN_A)["entries"]) == 1


# -- batches and their failures -------------------------------------------------------------------------


def vehicles_queue(audit):
    return event_queue_name("vehicles", "#", audit.service_name, "on_vehicles_event")


def test_events_arriving_together_are_written_in_batches(audit, publish, sql):
    sizes = []

    def all_in(worker_ctx, result, exc_info):
        sizes.append(len(worker_ctx.args[0]))
        return sum(sizes) == 300

    with entrypoint_waiter(audit, "on_vehicles_event", timeout=60, callback=all_in):
        for i in range(300):
            publish(envelope(VIN_B, n=i), wait=False)
    assert max(sizes) > 1 and len(sizes) < 300, sizes  # fewer transactions than events
    assert wait_for_count(sql, 300) == 300
    assert [r["payload"]["data"]["n"] for r in rows(sql)] == list(range(300))  # in the order published
    assert rpc(audit, "verify_chain")["valid"]


def test_a_failed_batch_is_retried_and_recorded_once(audit, publish, sql, db_url, amqp_uri):
    role = writer_role(db_url)
    sql.execute(f'REVOKE INSERT ON audit_entries FROM "{role}"')  # the database refuses every append
    sent = envelope(VIN_A)
    try:
        with entrypoint_waiter(audit, "on_vehicles_event", timeout=WAIT,
                               callback=lambda ctx, result, exc_info: exc_info is not None) as failed:
            publish(sent, wait=False)
        with pytest.raises(Exception, match="permission denied"):
            failed.get()
    finally:
        sql.execute(f'GRANT INSERT ON audit_entries TO "{role}"')
    assert wait_for_count(sql, 1) == 1  # the retry after the back-off went through
    assert [str(r["event_id"]) for r in rows(sql)] == [sent["event_id"]]
    assert take(amqp_uri, dead_queue_name(vehicles_queue(audit)), 0) is None


def test_events_that_keep_failing_are_dead_lettered_not_dropped(audit, publish, sql, db_url, amqp_uri):
    role = writer_role(db_url)
    sql.execute(f'REVOKE INSERT ON audit_entries FROM "{role}"')
    sent = envelope(VIN_A)
    try:
        publish(sent, wait=False)
        dead = take(amqp_uri, dead_queue_name(vehicles_queue(audit)), timeout=WAIT)
    finally:
        sql.execute(f'GRANT INSERT ON audit_entries TO "{role}"')
    assert dead is not None, "the event never reached the dead-letter queue"
    assert json.loads(dead.body)["event_id"] == sent["event_id"]
    assert dead.headers[ATTEMPT_HEADER] == 3 and "permission denied" in dead.headers[ERROR_HEADER]
    assert rows(sql) == []


def test_a_malformed_envelope_is_dead_lettered_and_the_rest_recorded(audit, publish, publish_event, sql,
                                                                     amqp_uri):
    bad = envelope(VIN_A)
    del bad["subject"]
    good = envelope(VIN_B)
    publish_event(bad)
    publish(good)
    dead = take(amqp_uri, dead_queue_name(vehicles_queue(audit)), timeout=WAIT)
    assert dead is not None and "subject" in dead.headers[ERROR_HEADER]
    assert [str(r["event_id"]) for r in rows(sql)] == [good["event_id"]]


def test_one_event_the_database_refuses_fails_alone(audit, publish, sql, amqp_uri):
    bad = envelope(VIN_A, note="nul \u0000 byte")  # jsonb refuses U+0000: this event can never be stored
    good = [envelope(VIN_B, n=i) for i in range(20)]
    publish(bad, wait=False)
    for e in good:
        publish(e, wait=False)
    dead = take(amqp_uri, dead_queue_name(vehicles_queue(audit)), timeout=WAIT)
    assert dead is not None and json.loads(dead.body)["event_id"] == bad["event_id"]
    assert wait_for_count(sql, 20) == 20
    assert [str(r["event_id"]) for r in rows(sql)] == [e["event_id"] for e in good]
    assert rpc(audit, "verify_chain")["valid"]


def test_no_checkpoint_is_sealed_over_entries_altered_since_the_last_one(audit, publish, sql):
    """Sealing re-hashes what was appended since the last checkpoint (not the whole history) and refuses to seal
    over a broken chain; `ecoc_audit_chain_ok` says which."""
    from common.metrics import AUDIT_CHAIN_OK

    publish(envelope(VIN_A, revision=0))
    first = rpc(audit, "checkpoint")
    chain_ok = AUDIT_CHAIN_OK.labels(audit.service_name)._value
    assert first is not None and chain_ok.get() == 1
    for i in range(1, 3):
        publish(envelope(VIN_A, revision=i))
    target = rows(sql)[-1]["seq"]
    sql.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete")
    sql.execute("UPDATE audit_entries SET payload = jsonb_set(payload, '{data,revision}', '7') WHERE seq = %s",
                (target,))
    sql.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete")
    assert rpc(audit, "checkpoint") == first  # the head moved, but no checkpoint seals the altered entry
    assert chain_ok.get() == 0
    assert len(sql.execute("SELECT seq FROM audit_checkpoints").fetchall()) == 1


def test_the_check_before_sealing_reads_only_what_came_after_the_last_checkpoint(audit, publish, sql):
    """An entry before the last checkpoint altered is for `verify_chain` (the whole history) to find; sealing
    re-hashes only entries after the checkpoint, so it seals the new head."""
    for i in range(3):
        publish(envelope(VIN_A, revision=i))
    rpc(audit, "checkpoint")
    target = rows(sql)[0]["seq"]
    sql.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete")
    sql.execute("UPDATE audit_entries SET payload = jsonb_set(payload, '{data,revision}', '7') WHERE seq = %s",
                (target,))
    sql.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete")
    publish(envelope(VIN_A, revision=3))
    assert rpc(audit, "checkpoint")["seq"] == rows(sql)[-1]["seq"]
    assert rpc(audit, "verify_chain")["valid"]  # the default check costs new entries only, as sealing does
    assert rpc(audit, "verify_chain", full=True)["first_invalid_seq"] == target


def test_a_head_sealed_by_another_process_meanwhile_is_not_sealed_again(audit, publish, sql, monkeypatch):
    """Two audit processes: one seals the head between the other reading the newest checkpoint and taking the
    sealing lock. The latter sees that checkpoint and seals nothing: one checkpoint per head."""
    from common.outbox import utcnow
    from services.audit import repository
    from services.audit.dependencies import AuditDatabase, CheckpointKey

    for i in range(3):
        publish(envelope(VIN_A, revision=i))
    database = next(d for d in audit.dependencies if isinstance(d, AuditDatabase))
    key = next(d for d in audit.dependencies if isinstance(d, CheckpointKey)).key
    take_lock = repository.try_lock_sealing
    other_process = []

    def sealed_meanwhile(session):
        if not other_process:  # the other process seals the head and commits, in a transaction of its own
            with database.session_factory() as other:
                head = repository.head_entry(other)
                other_process.append(checkpoints.seal(key, head["seq"], head["hash"], utcnow()))
                repository.add_checkpoint(other, other_process[0])
                other.commit()
        return take_lock(session)

    monkeypatch.setattr(repository, "try_lock_sealing", sealed_meanwhile)
    assert rpc(audit, "checkpoint")["seq"] == other_process[0]["seq"]
    assert [r[0] for r in sql.execute("SELECT seq FROM audit_checkpoints").fetchall()] == [rows(sql)[-1]["seq"]]


def test_a_query_by_subject_answers_a_batch_entry_with_the_subjects_part(audit, publish):
    mixed = [{"vin": VIN_A, "revision": 1}, "note", {"vin": VIN_B, "revision": 4}, VIN_A, VIN_B, {"vin": 7}]
    publish(envelope(VIN_A, subjects=[VIN_A, VIN_B], release_id="R1", vins=[VIN_B, VIN_A], vehicles=mixed,
                     summary={"vehicles": 2}))
    (entry,) = rpc(audit, "query", subject=VIN_B)["entries"]
    assert entry["data"] == {"release_id": "R1", "vins": [VIN_B], "summary": {"vehicles": 2},
                             "vehicles": ["note", {"vin": VIN_B, "revision": 4}, VIN_B, {"vin": 7}]}
    (whole,) = rpc(audit, "query", event_type=PROBE)["entries"]
    assert whole["data"]["vehicles"] == mixed
    # the part is the one an evidence pack proves for that VIN (domain/items.py), shared items included
    (proven,) = rpc(audit, "evidence", VIN_B)["entries"]
    shared, part = proven["shared"]["data"], proven["item"]["part"]
    assert sorted(map(json.dumps, entry["data"]["vehicles"])) == sorted(
        map(json.dumps, shared["vehicles"] + part["vehicles"]))


def test_ecoc_audit_verify_rehashes_the_whole_chain_from_the_database(audit, publish, sql, db_url, tmp_path,
                                                                       capsys):
    """The operator's check over a long history (no RPC timeout): what `verify_chain(full=True)` finds."""
    from cli.main import main as ecoc

    for i in range(3):
        publish(envelope(VIN_A, revision=i))
    sealed = rpc(audit, "checkpoint")
    key = tmp_path / "audit.pem"
    key.write_text(rpc(audit, "evidence", VIN_A)["public_key"])
    assert ecoc(["audit", "verify", "--database-url", db_url, "--audit-public-key", str(key)]) == 0
    assert f"3 entries valid; the last checkpoint (entry {sealed['seq']}" in capsys.readouterr().out

    target = rows(sql)[0]["seq"]
    sql.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete")
    sql.execute("UPDATE audit_entries SET actor = 'intruder' WHERE seq = %s", (target,))
    sql.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete")
    assert ecoc(["audit", "verify", "--database-url", db_url, "--audit-public-key", str(key)]) == 1
    assert f"audit chain: FAIL at entry {target}: hash does not match" in capsys.readouterr().out
    other = tmp_path / "other.pem"
    other.write_text(checkpoints.public_pem(checkpoints.load_or_create_key(tmp_path / "other", local_mode=True)))
    sql.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete")
    sql.execute("UPDATE audit_entries SET actor = %s WHERE seq = %s", (rows(sql)[1]["actor"], target))
    sql.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete")
    assert ecoc(["audit", "verify", "--database-url", db_url, "--audit-public-key", str(other)]) == 1
    assert "is not signed by the audit key" in capsys.readouterr().out


# -- the change feed (GET /v1/events) ----------------------------------------------------------------------------

def record(db_url, *envelopes):
    """Append events to the log as the service does (one transaction), without the broker."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from common.outbox import utcnow
    from services.audit import repository as repo

    engine = create_engine(db_url, pool_size=1, max_overflow=0)
    try:
        with Session(engine) as session:
            repo.append_batch(session, list(envelopes), utcnow())
            session.commit()
    finally:
        engine.dispose()
    return envelopes


def event_of(source, event_type, entity, subject, data, subjects=None):
    return Outbox(source, None).envelope(event_type, data, subject=subject, subjects=subjects, entity=entity,
                                         actor="steward@example.eu", roles=["data_steward"])


def feed(container, entities, **kwargs):
    with entrypoint_hook(container, "events", context_data=identity_context_of("ivy", ["viewer"], entities)) as hook:
        return hook(**kwargs)


def identity_context_of(sub, roles, entities):
    return {IDENTITY_KEY: passport({"sub": sub, "roles": list(roles), "entities": list(entities)}, settings())}


def test_the_feed_serves_the_callers_events_in_order_with_small_payloads(audit, db_url):
    ours = [event_of("vehicles", "vehicle_status_changed", "ACME", VIN_A, {"vehicles": [{"vin": VIN_A,
                                                                                         "status": "valid"}]}),
            event_of("signing", "certificate_signed", "ACME", VIN_A, {"release_id": "r1", "certificates": [
                {"vin": VIN_A, "reference_id": "ref-1", "version_number": 1, "sha256": "f" * 64}]})]
    theirs = event_of("vehicles", "vehicle_status_changed", "NORDWIND", VIN_B,
                      {"vehicles": [{"vin": VIN_B, "status": "blocked"}]})
    record(db_url, ours[0], theirs)
    record(db_url, ours[1])

    page = feed(audit, ["ACME"])
    assert [e["id"] for e in page["events"]] == [e["event_id"] for e in ours]
    assert page["events"][1] == {
        "id": ours[1]["event_id"], "type": "certificate_signed", "source": "signing",
        "occurred_at": page["events"][1]["occurred_at"], "entity": "ACME", "subject": VIN_A, "subjects": [VIN_A],
        "actor": "steward@example.eu",
        "data": {"release_id": "r1", "certificates": [{"vin": VIN_A, "reference_id": "ref-1", "version_number": 1}]}}
    assert page["next_cursor"] == ours[1]["event_id"] and page["has_more"] is False
    assert [e["id"] for e in feed(audit, ["*"])["events"]] == [ours[0]["event_id"], theirs["event_id"],
                                                               ours[1]["event_id"]]

    first = feed(audit, ["ACME"], limit=1)
    assert [e["id"] for e in first["events"]] == [ours[0]["event_id"]] and first["has_more"] is True
    rest = feed(audit, ["ACME"], after=first["next_cursor"])
    assert [e["id"] for e in rest["events"]] == [ours[1]["event_id"]]
    # nothing new: the same cursor comes back, so a consumer can always store next_cursor
    assert feed(audit, ["ACME"], after=rest["next_cursor"]) == {"events": [], "next_cursor": rest["next_cursor"],
                                                                "has_more": False}
    assert [e["type"] for e in feed(audit, ["ACME"], types="certificate_signed")["events"]] == ["certificate_signed"]
    assert feed(audit, ["ACME"], types="certificate_signed", after=ours[1]["event_id"])["events"] == []


def test_a_feed_page_of_batches_of_thousands_of_vehicles_ends_early_and_reads_on(audit, db_url):
    def batch(n):
        vins = [f"WVWZZZ1JZ{n}{i:07d}" for i in range(3000)]
        return event_of("vehicles", "vehicle_status_changed", "ACME", f"r{n}", {"vehicles": [
            {"vin": v, "status": "valid"} for v in vins]}, subjects=[f"r{n}", *vins])

    batches = record(db_url, *(batch(n) for n in range(4)))
    seen, cursor = [], None
    while True:  # 3,001 subjects a batch: one a page, and every page says whether more are ready
        page = feed(audit, ["ACME"], after=cursor)
        seen.append([e["id"] for e in page["events"]])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [[b["event_id"]] for b in batches]
    assert len(feed(audit, ["ACME"], after=batches[0]["event_id"])["events"][0]["data"]["vehicles"]) == 3000


def test_a_feed_cursor_of_another_entity_is_refused_like_an_unknown_one(audit, db_url):
    theirs, = record(db_url, event_of("vehicles", "vehicle_status_changed", "NORDWIND", VIN_B,
                                      {"vehicles": [{"vin": VIN_B, "status": "blocked"}]}))
    errors = []
    for cursor in (theirs["event_id"], str(uuid.uuid4()), "not-a-cursor", "1"):
        with pytest.raises(InvalidInput) as raised:
            feed(audit, ["ACME"], after=cursor)
        errors.append((str(raised.value), raised.value.errors))
    assert len(set(map(repr, errors))) == 1 and errors[0][1][0]["field"] == "after"
    assert feed(audit, ["NORDWIND"], after=theirs["event_id"])["events"] == []
    with pytest.raises(InvalidInput) as raised:
        feed(audit, ["ACME"], types="vehicle_status_changed,nope")
    assert raised.value.errors[0]["field"] == "types"
    with pytest.raises(InvalidInput):
        feed(audit, ["ACME"], limit=0)


def test_an_append_that_commits_late_is_never_skipped_by_a_reader_that_moved_on(audit, db_url, sql):
    """The feed's position is an entry's seq. If a later append could commit (and be read) while an earlier one,
    holding a lower seq, was still open, a reader would move past that seq and never see the earlier entry. The
    chain lock, held until commit, is what prevents it: the second append waits, so a reader sees a prefix."""
    import threading

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from common.outbox import utcnow
    from services.audit import repository as repo

    first = event_of("vehicles", "vehicle_status_changed", "ACME", VIN_A, {"vehicles": [{"vin": VIN_A,
                                                                                        "status": "valid"}]})
    second = event_of("vehicles", "vehicle_status_changed", "ACME", VIN_B, {"vehicles": [{"vin": VIN_B,
                                                                                         "status": "valid"}]})
    engine = create_engine(db_url, pool_size=2, max_overflow=0)
    try:
        slow = Session(engine)
        repo.append_batch(slow, [first], utcnow())  # allocated its seq, not committed yet

        def append_second():
            with Session(engine) as session:
                repo.append_batch(session, [second], utcnow())
                session.commit()

        late = threading.Thread(target=append_second)
        late.start()
        # Wait until the second append is either done or waiting for the lock; either way a reader now sees what
        # it would see had the second append overtaken the first.
        deadline = time.monotonic() + WAIT
        while late.is_alive() and time.monotonic() < deadline:
            waiting = sql.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                  "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                                  ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.02)
        seen = feed(audit, ["ACME"])
        cursor = seen["next_cursor"]
        slow.commit()
        slow.close()
        late.join(WAIT)
        assert not late.is_alive()
    finally:
        engine.dispose()
    later = feed(audit, ["ACME"], after=cursor) if cursor else feed(audit, ["ACME"])
    read = [e["id"] for e in seen["events"] + later["events"]]
    assert read == [first["event_id"], second["event_id"]]
