"""The audit hash chain: linking, verification and what it detects."""
import copy
import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.audit.domain import chain, items
from services.audit.domain.entries import content_from_envelope

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def envelope(n, subject="WVWZZZ1JZXW000001"):
    return {
        "event_id": str(uuid.UUID(int=n)),
        "event_type": "vehicle_changed",
        "source": "vehicles",
        "occurred_at": (T0 + timedelta(seconds=n)).isoformat(),
        "actor": "steward@example.eu",
        "entity": "ACME",
        "subject": subject,
        "subjects": [subject],
        "roles": ["reviewer", "data_steward"],
        "data": {"vin": subject, "revision": n, "note": "Prüfung ✓"},
        "trace": {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    }


def build(n, format=1):
    """A chain of n entries; format 1 by default, as entries recorded before format 2 are (they keep verifying)."""
    entries, prev = [], chain.GENESIS
    for i in range(1, n + 1):
        content = dict(content_from_envelope(envelope(i), recorded_at=T0 + timedelta(minutes=i)), format=format)
        entry = chain.link(prev, content)
        entry["seq"] = i * 10  # seq values need not be contiguous (identity gaps after rollbacks)
        entries.append(entry)
        prev = entry["hash"]
    return entries


def test_genesis_is_64_zeros_and_first_entry_links_to_it():
    assert chain.GENESIS == "0" * 64
    first = build(1)[0]
    assert first["prev_hash"] == chain.GENESIS
    digest = hashlib.sha256(chain.canonical_json(chain.content_of(first)).encode()).digest()
    assert first["hash"] == hashlib.sha256(bytes(32) + digest).hexdigest()
    assert first["payload_digest"] == hashlib.sha256(chain.canonical_json(first["payload"]).encode()).hexdigest()


def test_empty_chain_is_valid_with_no_head():
    assert chain.verify(iter(())) == {
        "valid": True, "entries": 0, "head": None, "last_seq": None, "first_invalid_seq": None, "reason": None}


@pytest.mark.parametrize("format", [1, 2])
def test_three_appended_entries_verify(format):
    entries = build(3, format)
    assert [e["prev_hash"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    result = chain.verify(e for e in entries)  # a generator: verify reads the chain once
    assert result == {"valid": True, "entries": 3, "head": entries[-1]["hash"], "last_seq": 30,
                      "first_invalid_seq": None, "reason": None}


def test_tampered_payload_is_invalid_at_that_entry():
    entries = build(3)
    entries[1]["payload"]["data"]["revision"] = 99
    result = chain.verify(entries)
    assert not result["valid"]
    assert result["first_invalid_seq"] == 20
    assert "payload was altered" in result["reason"]
    assert result["entries"] == 3 and result["head"] == entries[-1]["hash"]


@pytest.mark.parametrize("field,value", [
    ("actor", "someone-else"), ("subjects", ["OTHER"]), ("occurred_at", T0 - timedelta(days=1)),
    ("roles", ["admin"]), ("trace_id", "f" * 32), ("payload_digest", "0" * 64),
])
@pytest.mark.parametrize("format", [1, 2])
def test_tampered_column_is_invalid(field, value, format):
    entries = build(3, format)
    entries[2][field] = value
    assert chain.verify(entries)["first_invalid_seq"] == 30


def test_tampered_and_rehashed_entry_breaks_the_next_link():
    entries = build(3)
    entries[0]["payload"]["data"]["revision"] = 99
    entries[0]["payload_digest"] = chain.payload_digest(entries[0]["payload"])
    entries[0]["digest"] = chain.entry_digest(chain.content_of(entries[0]))
    entries[0]["hash"] = chain.entry_hash(entries[0]["prev_hash"], chain.content_of(entries[0]))
    result = chain.verify(entries)
    assert result["first_invalid_seq"] == 20
    assert "prev_hash" in result["reason"]


@pytest.mark.parametrize("format", [1, 2])
def test_a_stored_digest_that_is_not_the_entrys_is_reported(format):
    entries = build(3, format)
    assert all(e["digest"] == chain.entry_digest(e) for e in entries)
    entries[1]["digest"] = "1" * 64  # evidence packs of other VINs prove through this entry's stored digest
    result = chain.verify(entries)
    assert result["first_invalid_seq"] == 20 and "stored digest" in result["reason"]
    entries[1]["digest"] = None  # an entry written before digests were stored
    assert chain.verify(entries)["valid"]


def test_removed_entry_is_invalid():
    entries = build(3)
    del entries[1]
    result = chain.verify(entries)
    assert not result["valid"] and result["first_invalid_seq"] == 30


def test_removed_first_entry_is_invalid():
    entries = build(3)
    del entries[0]
    result = chain.verify(entries)
    assert result["first_invalid_seq"] == 20
    assert "genesis" in result["reason"]


def test_reordered_entries_are_invalid():
    entries = build(3)
    entries[1], entries[2] = entries[2], entries[1]
    assert chain.verify(entries)["first_invalid_seq"] == 30


def test_swapped_contents_keeping_seq_are_invalid():
    entries = build(3)
    a, b = entries[1], entries[2]
    entries[1], entries[2] = dict(b, seq=a["seq"]), dict(a, seq=b["seq"])
    assert chain.verify(entries)["first_invalid_seq"] == 20


def test_canonical_json_is_deterministic_and_utf8():
    two_hours_east = timezone(timedelta(hours=2))
    content = {"b": 1, "a": {"y": "✓", "x": [1, 2]}, "t": datetime(2026, 3, 1, 10, 0, tzinfo=two_hours_east)}
    text = chain.canonical_json(content)
    assert text == '{"a":{"x":[1,2],"y":"✓"},"b":1,"t":"2026-03-01T08:00:00.000000+00:00"}'
    assert chain.canonical_json(dict(reversed(list(content.items())))) == text


def test_same_instant_in_another_zone_hashes_the_same():
    entry = build(1)[0]
    moved = copy.deepcopy(entry)
    moved["occurred_at"] = entry["occurred_at"].astimezone(timezone(timedelta(hours=-5)))
    assert chain.entry_hash(chain.GENESIS, chain.content_of(moved)) == entry["hash"]


def test_naive_timestamps_cannot_be_hashed():
    entry = build(1)[0]
    entry["recorded_at"] = entry["recorded_at"].replace(tzinfo=None)
    with pytest.raises(ValueError):
        chain.entry_hash(chain.GENESIS, chain.content_of(entry))


def test_content_from_envelope_normalises_ids_and_subjects():
    env = envelope(7)
    env["event_id"] = env["event_id"].upper()
    env["subjects"] = ["BATCH-1"]
    content = content_from_envelope(env, recorded_at=T0)
    assert content["event_id"] == str(uuid.UUID(int=7))
    assert content["subjects"] == ["BATCH-1", env["subject"]]
    assert content["occurred_at"] == T0 + timedelta(seconds=7)
    assert content["payload"] is env
    assert content["payload_digest"] == chain.payload_digest(env)
    assert content["roles"] == ["data_steward", "reviewer"]
    assert content["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_envelope_without_roles_or_trace_is_recorded_with_none():
    env = envelope(3)
    del env["roles"]
    env["trace"] = {"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}
    content = content_from_envelope(env, recorded_at=T0)
    assert content["roles"] is None and content["trace_id"] is None


def test_checkpoint_truncated_tail_is_detected():
    entries = build(4)
    sealed = [{"seq": 40, "head_hash": entries[3]["hash"]}]
    assert chain.verify(entries, sealed)["valid"]
    result = chain.verify(entries[:2], sealed)
    assert not result["valid"] and result["first_invalid_seq"] == 40
    assert "removed from the tail" in result["reason"] and "ends at 20" in result["reason"]


def test_checkpoint_of_a_rewritten_chain_is_detected():
    entries = build(3)
    rewritten = [dict(e) for e in entries[:2]]
    other = chain.link(rewritten[1]["hash"], content_from_envelope(envelope(99), recorded_at=T0))
    rewritten.append(dict(other, seq=30))
    result = chain.verify(rewritten, [{"seq": 30, "head_hash": entries[2]["hash"]}])
    assert not result["valid"] and result["first_invalid_seq"] == 30 and "rewritten" in result["reason"]


def test_span_recomputes_from_digests_and_full_entries():
    entries = build(5)
    links = [entries[1], {"seq": 30, "digest": chain.entry_digest(entries[2])}, entries[3],
             {"seq": 50, "digest": chain.entry_digest(entries[4])}]
    end, hashes, problem = chain.verify_span(entries[1]["prev_hash"], links)
    assert problem is None and end == entries[4]["hash"] and hashes[40] == entries[3]["hash"]

    links[1] = {"seq": 30, "digest": "1" * 64}  # a changed entry someone else's: the end moves
    end, _, problem = chain.verify_span(entries[1]["prev_hash"], links)
    assert end != entries[4]["hash"]

    tampered = dict(entries[3], actor="someone-else")
    _, _, problem = chain.verify_span(entries[1]["prev_hash"],
                                      [entries[1], {"seq": 30, "digest": chain.entry_digest(entries[2])}, tampered])
    assert problem == "entry 40 does not hash to its recorded hash"


def test_only_payloads_with_floats_need_jsonb_normalising():
    from services.audit.domain.entries import has_float

    assert not has_float({"a": [1, "2", None, True, {"b": 10**30}]})
    assert has_float({"a": [1, {"b": 1e20}]}) and has_float(2.5)


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_format_2_proves_each_subjects_part_of_a_batch_alone(count):
    vins = [f"WVWZZZ1JZXW{n:06d}" for n in range(count)]
    batch = dict(envelope(1, vins[0]), subjects=vins, data={"vehicles": [{"vin": v, "revision": 1} for v in vins]})
    entry = dict(chain.link(chain.GENESIS, content_from_envelope(batch, T0)), seq=1)
    assert entry["format"] == items.FORMAT and chain.verify([entry])["valid"]
    for vin in vins:
        proven = dict({n: entry[n] for n in items.ENTRY_FIELDS}, **items.proof_of(entry, vin))
        assert items.proven_digest(proven) == chain.entry_digest(entry)
        assert items.data_of(proven) == {"vehicles": [{"vin": vin, "revision": 1}]}
        assert not {v for v in vins if v != vin} & set(chain.canonical_json(proven).split('"'))
        changed = copy.deepcopy(proven)
        changed["item"]["part"]["vehicles"][0]["revision"] = 2
        assert items.proven_digest(changed) != chain.entry_digest(entry)


def test_a_batch_of_many_keys_stores_its_leaf_digests_and_proves_a_key_from_them_alone():
    count = items.STORED_LEAVES + 9
    vins = [f"WVWZZZ1JZXW{n:06d}" for n in range(count)]
    batch = dict(envelope(1, vins[0]), subjects=vins, data={"vehicles": [{"vin": v, "revision": 1} for v in vins]})
    entry = dict(chain.link(chain.GENESIS, content_from_envelope(batch, T0)), seq=1)
    assert len(entry["leaf_digests"]) == 32 * count and chain.verify([entry])["valid"]
    few = dict(envelope(2, vins[0]), subjects=vins[:3], data={"vehicles": [{"vin": v} for v in vins[:3]]})
    assert chain.link(chain.GENESIS, content_from_envelope(few, T0))["leaf_digests"] is None

    computed = dict(entry, leaf_digests=None)
    for vin in (vins[0], vins[11], vins[-1]):
        proof = items.proof_of(entry, vin)
        assert proof == items.proof_of(computed, vin)  # the stored digests are the computed ones
        assert items.proven_digest(dict({n: entry[n] for n in items.ENTRY_FIELDS}, **proof)) == entry["digest"]

    # a stored digest that does not match its leaf: the chain check says so, and a pack through it does not prove
    # (its own leaf is computed from the payload whatever is stored)
    stored = bytearray(entry["leaf_digests"])
    stored[32 * 11] ^= 1
    altered = dict(entry, leaf_digests=bytes(stored))
    result = chain.verify([altered])
    assert not result["valid"] and "leaf digests" in result["reason"]
    other = dict({n: entry[n] for n in items.ENTRY_FIELDS}, **items.proof_of(altered, vins[12]))
    assert items.proven_digest(other) != entry["digest"]
    own = dict({n: entry[n] for n in items.ENTRY_FIELDS}, **items.proof_of(altered, vins[11]))
    assert items.proven_digest(own) == entry["digest"]
