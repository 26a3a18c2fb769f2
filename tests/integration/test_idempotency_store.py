"""The gateway's Idempotency-Key store on a real PostgreSQL database (its own migration): replay, another
request under the same key, a key still running, an abandoned key, expiry."""
import datetime as dt

import pytest
from sqlalchemy import text, update
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from common.db import make_engine
from gateway.idempotency import IdempotencyStore, fingerprint
from gateway.models import idempotency_keys
from gateway.problems import HttpProblem

pytestmark = pytest.mark.integration


def _request(body, path="/v1/releases"):
    return EnvironBuilder(method="POST", path=path, data=body, content_type="application/json").get_request()


class Counter:
    """A route body that counts its runs and answers 201 with the run number."""

    def __init__(self, status=201):
        self.runs, self.status = 0, status

    def __call__(self):
        self.runs += 1
        return Response(f'{{"run": {self.runs}}}', status=self.status, mimetype="application/json",
                        headers={"ETag": '"7"', "X-Other": "not kept"})


@pytest.fixture()
def store(service_db):
    engine = make_engine(service_db("gateway"), pool_size=2)
    yield IdempotencyStore(engine, ttl=dt.timedelta(hours=1), wait_seconds=0.3)
    engine.dispose()


def test_a_replay_returns_the_kept_answer(store):
    run = Counter()
    first = store.run("ida", "k1", _request(b'{"a": 1}'), run)
    again = store.run("ida", "k1", _request(b'{"a": 1}'), run)
    assert run.runs == 1
    assert (again.status_code, again.get_data(), again.headers["ETag"]) == (201, b'{"run": 1}', '"7"')
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["Idempotent-Replayed"] == "true" and "X-Other" not in again.headers


def test_another_request_under_the_key_is_422_and_another_caller_runs(store):
    run = Counter()
    store.run("ida", "k2", _request(b'{"a": 1}'), run)
    with pytest.raises(HttpProblem) as refused:
        store.run("ida", "k2", _request(b'{"a": 2}'), run)
    assert refused.value.status == 422 and refused.value.errors[0]["field"] == "Idempotency-Key"
    with pytest.raises(HttpProblem):
        store.run("ida", "k2", _request(b'{"a": 1}', path="/v1/approvals"), run)
    store.run("ivo", "k2", _request(b'{"a": 2}'), run)
    assert run.runs == 2


def test_a_failed_answer_frees_the_key(store):
    failing, run = Counter(status=409), Counter()
    assert store.run("ida", "k3", _request(b"{}"), failing).status_code == 409
    with pytest.raises(RuntimeError):
        store.run("ida", "k3", _request(b"{}"), lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert store.run("ida", "k3", _request(b"{}"), run).status_code == 201
    assert run.runs == 1


def test_a_key_still_running_is_409_until_abandoned(store):
    store._claim_or_read("ida", "k4", fingerprint(_request(b"{}")))  # still running, or its gateway died
    run = Counter()
    with pytest.raises(HttpProblem) as busy:
        store.run("ida", "k4", _request(b"{}"), run)
    assert busy.value.status == 409 and run.runs == 0
    _age(store, "k4", store.abandoned + dt.timedelta(seconds=1))
    assert store.run("ida", "k4", _request(b"{}"), run).status_code == 201  # the abandoned claim is taken over
    assert run.runs == 1


def test_keys_expire(store):
    run = Counter()
    store.run("ida", "k5", _request(b'{"a": 1}'), run)
    _age(store, "k5", store.ttl + dt.timedelta(seconds=1))
    store.run("ida", "k5", _request(b'{"a": 2}'), run)  # the old answer expired: another body runs
    assert run.runs == 2
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM idempotency_keys WHERE key = 'k5'")).scalar() == 1


def _age(store, key, by):
    with store.engine.begin() as conn:
        conn.execute(update(idempotency_keys).where(idempotency_keys.c.key == key)
                     .values(claimed_at=idempotency_keys.c.claimed_at - by))
