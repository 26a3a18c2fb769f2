"""`Idempotency-Key` on POST (docs/api.md): a replay returns the first response; the same key with another
body is 422; keys are per caller; duplicates sent at once run once; a failed request does not hold its key."""
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from cli import demo_data

pytestmark = pytest.mark.e2e

SEEDS = iter(range(7400, 7500))


def _key():
    return f"test-{uuid.uuid4()}"


def _import(client, vehicles, key, **kwargs):
    return client.request("POST", "/v1/vehicles/import", json={"vehicles": vehicles}, expect=None,
                          headers={"Idempotency-Key": key}, **kwargs)


@pytest.fixture()
def steward(stack, nordwind):
    return stack.client("ida", ["data_steward"], [demo_data.ENTITY])


def test_a_replay_returns_the_first_response_without_running_again(steward):
    vehicles, key = demo_data.vehicles(2, seed=next(SEEDS)), _key()
    first = _import(steward, vehicles, key)
    assert first.status_code == 200, first.text
    assert first.json()["accepted"] == 2 and "Idempotent-Replayed" not in first.headers

    replay = _import(steward, vehicles, key)
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()  # run again, the import would answer "unchanged: 2"
    assert replay.headers["Content-Type"] == first.headers["Content-Type"]

    without_key = steward.request("POST", "/v1/vehicles/import", json={"vehicles": vehicles}, expect=None)
    assert without_key.json()["unchanged"] == 2  # what running it again really answers


def test_the_same_key_with_another_body_is_422_naming_the_header(steward):
    key = _key()
    assert _import(steward, demo_data.vehicles(1, seed=next(SEEDS)), key).status_code == 200
    other = _import(steward, demo_data.vehicles(1, seed=next(SEEDS)), key)
    assert other.status_code == 422
    assert other.headers["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in other.json()["errors"]] == ["Idempotency-Key"]


def test_keys_are_scoped_per_caller(stack, steward):
    vehicles, key = demo_data.vehicles(1, seed=next(SEEDS)), _key()
    assert _import(steward, vehicles, key).json()["accepted"] == 1
    other_caller = stack.client("ivo", ["data_steward"], [demo_data.ENTITY])
    theirs = _import(other_caller, vehicles, key)
    assert theirs.status_code == 200 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["unchanged"] == 1  # ran for the other caller: not ida's kept answer


def test_duplicates_sent_at_once_run_once(stack, steward):
    vehicles, key = demo_data.vehicles(3, seed=next(SEEDS)), _key()
    clients = [stack.client("ida", ["data_steward"], [demo_data.ENTITY]) for _ in range(6)]
    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(lambda c: _import(c, vehicles, key), clients))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {200, 409}, [(a.status_code, a.text) for a in answers]
    bodies = [a.json() for a in answers if a.status_code == 200]
    assert bodies and all(b == {"accepted": 3, "unchanged": 0, "rejected": []} for b in bodies), bodies
    assert sum("Idempotent-Replayed" not in a.headers for a in answers if a.status_code == 200) == 1


def test_a_failed_request_does_not_keep_its_key(steward):
    key = _key()
    bad = steward.request("POST", "/v1/vehicles/import", json={"vehicles": [], "surprise": 1}, expect=None,
                          headers={"Idempotency-Key": key})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"surprise"}
    good = _import(steward, demo_data.vehicles(1, seed=next(SEEDS)), key)
    assert good.status_code == 200 and good.json()["accepted"] == 1 and "Idempotent-Replayed" not in good.headers


def test_a_malformed_key_is_422(steward):
    answer = _import(steward, demo_data.vehicles(1, seed=next(SEEDS)), "x" * 256)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "Idempotency-Key"


def test_the_contract_documents_the_header_on_every_post(stack):
    import requests

    doc = requests.get(stack.url("/openapi.json"), timeout=10).json()
    posts = [(path, op) for path, item in doc["paths"].items() for method, op in item.items() if method == "post"]
    assert len(posts) >= 10
    for path, operation in posts:
        names = [p.get("name") for p in operation.get("parameters", [])]
        assert "Idempotency-Key" in names, path
