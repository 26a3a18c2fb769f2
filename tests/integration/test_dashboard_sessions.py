"""The dashboard's sessions in the gateway's own (migrated) database: the idle and absolute timeouts, signing
out, and a sign-in under way taken once, by the browser that began it, in time. The clock is the store's
parameter, so no test waits."""
import datetime as dt

import pytest

from common.db import make_engine
from gateway.dashboard.session_store import LOGIN_SECONDS, SessionStore
from tests.support import throwaway_database

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone.utc)
OLGA = {"sub": "olga", "roles": ["reviewer"], "entities": ["NORDWIND"], "groups": ["homologation"]}  # groups kept too


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += dt.timedelta(**delta)


@pytest.fixture(scope="module")
def engine():
    with throwaway_database("gateway", "sessions") as url:
        engine = make_engine(url, pool_size=2)
        yield engine
        engine.dispose()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(engine, clock):
    return SessionStore(engine, idle=dt.timedelta(minutes=30), limit=dt.timedelta(hours=10), clock=clock)


def test_a_session_lives_while_used_and_ends_when_idle(store, clock):
    session_id, max_age = store.create(OLGA, "oidc")
    assert max_age == 10 * 3600
    found = store.touch(session_id)
    assert found.identity == OLGA and found.via == "oidc" and found.csrf_matches(found.csrf)
    assert not found.csrf_matches("forged") and not found.csrf_matches(None)
    for _ in range(4):  # each page restarts the idle clock
        clock.advance(minutes=29)
        assert store.touch(session_id) is not None
    clock.advance(minutes=30)
    assert store.touch(session_id) is None
    clock.advance(minutes=-30)
    assert store.touch(session_id) is None  # gone for good, not just unseen


def test_a_session_ends_at_its_absolute_limit_however_busy(store, clock):
    session_id, _ = store.create(OLGA, "oidc")
    for _ in range(20):
        clock.advance(minutes=29)
        assert store.touch(session_id) is not None, clock.now
    clock.advance(minutes=21)  # 10 h 1 min after signing in
    assert store.touch(session_id) is None


def test_a_pasted_token_bounds_its_session(store, clock):
    session_id, max_age = store.create(OLGA, "token", not_after=T0 + dt.timedelta(minutes=5))
    assert max_age == 300
    clock.advance(minutes=5)
    assert store.touch(session_id) is None


def test_signing_out_ends_the_session_and_unknown_ids_name_nobody(store):
    session_id, _ = store.create(OLGA, "oidc")
    other, _ = store.create(dict(OLGA, sub="rita"), "oidc")
    store.end(session_id)
    assert store.touch(session_id) is None
    assert store.touch(other).identity["sub"] == "rita"
    assert store.touch("made-up") is None and store.touch(None) is None and store.touch("x" * 500) is None


def test_a_sign_in_under_way_is_taken_once_by_its_browser_in_time(store, clock):
    state, browser = store.begin_login("verifier-1", "nonce-1")
    assert store.take_login(state, "another-browser") is None
    assert store.take_login(state, browser) is None  # the wrong browser's attempt used it up
    state, browser = store.begin_login("verifier-2", "nonce-2")
    assert store.take_login(state, browser) == ("verifier-2", "nonce-2")
    assert store.take_login(state, browser) is None
    state, browser = store.begin_login("verifier-3", "nonce-3")
    clock.advance(seconds=LOGIN_SECONDS + 1)
    assert store.take_login(state, browser) is None
