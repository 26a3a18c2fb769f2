"""The audit hash chain: linking, verification and what it detects."""
import copy
import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.audit.domain import chain
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
        "data": {"vin": subject, "revision": n, "note": "Prüfung ✓"},
        "trace": {},
    }


def build(n):
    entries, prev = [], chain.GENESIS
    for i in range(1, n + 1):
        entry = chain.link(prev, content_from_envelope(envelope(i), recorded_at=T0 + timedelta(minutes=i)))
        entry["seq"] = i * 10  # seq values need not be contiguous (identity gaps after rollbacks)
        entries.append(entry)
        prev = entry["hash"]
    return entries


def test_genesis_is_64_zeros_and_first_entry_links_to_it():
    assert chain.GENESIS == "0" * 64
    first = build(1)[0]
    assert first["prev_hash"] == chain.GENESIS
    expected = hashlib.sha256(bytes(32) + chain.canonical_json(chain.content_of(first)).encode()).hexdigest()
    assert first["hash"] == expected


def test_empty_chain_is_valid_with_no_head():
    assert chain.verify(iter(())) == {
        "valid": True, "entries": 0, "head": None, "first_invalid_seq": None, "reason": None}


def test_three_appended_entries_verify():
    entries = build(3)
    assert [e["prev_hash"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    result = chain.verify(e for e in entries)  # a generator: verify reads the chain once
    assert result == {"valid": True, "entries": 3, "head": entries[-1]["hash"],
                      "first_invalid_seq": None, "reason": None}


def test_tampered_payload_is_invalid_at_that_entry():
    entries = build(3)
    entries[1]["payload"]["data"]["revision"] = 99
    result = chain.verify(entries)
    assert not result["valid"]
    assert result["first_invalid_seq"] == 20
    assert "altered" in result["reason"]
    assert result["entries"] == 3 and result["head"] == entries[-1]["hash"]


@pytest.mark.parametrize("field,value", [
    ("actor", "someone-else"), ("subjects", ["OTHER"]), ("occurred_at", T0 - timedelta(days=1)),
])
def test_tampered_column_is_invalid(field, value):
    entries = build(3)
    entries[2][field] = value
    assert chain.verify(entries)["first_invalid_seq"] == 30


def test_tampered_and_rehashed_entry_breaks_the_next_link():
    entries = build(3)
    entries[0]["payload"]["data"]["revision"] = 99
    entries[0]["hash"] = chain.entry_hash(entries[0]["prev_hash"], chain.content_of(entries[0]))
    result = chain.verify(entries)
    assert result["first_invalid_seq"] == 20
    assert "prev_hash" in result["reason"]


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
