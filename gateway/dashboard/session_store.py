"""Dashboard sessions and OIDC sign-ins under way, kept in the gateway's own database.

The browser holds a random session id in a cookie; the table holds only its SHA-256, with who signed in, the
CSRF token of the session's forms, and two clocks: a session ends after `idle` without a page and after `limit`
in any case (the ID token's or pasted token's own expiry when that comes first). Signing out deletes the row. A
sign-in under way (state, PKCE verifier, nonce) is taken exactly once, and only within `LOGIN_SECONDS`."""
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from nameko import config
from nameko.extensions import DependencyProvider
from sqlalchemy import delete, select, update

from common.db import make_engine
from gateway.models import dashboard_sessions as sessions, oidc_logins as logins

LOGIN_SECONDS = 600  # from leaving for the issuer to coming back


def digest(value):
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _now():
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Session:
    identity: dict
    csrf: str
    via: str

    def csrf_matches(self, value):
        return isinstance(value, str) and hmac.compare_digest(value.encode("utf-8"), self.csrf.encode("utf-8"))


class SessionStore:
    def __init__(self, engine, idle, limit, clock=_now):
        self.engine, self.idle, self.limit, self.clock = engine, idle, limit, clock

    def create(self, identity, via, not_after=None):
        """A new session for `identity`: (cookie value, seconds it may live at most)."""
        now = self.clock()
        expires = now + self.limit
        if not_after is not None:
            expires = min(expires, not_after)
        session_id = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < now))
            conn.execute(sessions.insert().values(
                id_hash=digest(session_id), sub=identity["sub"], roles=list(identity["roles"]),
                entities=list(identity["entities"]), groups=list(identity.get("groups") or []), csrf=secrets.token_urlsafe(32), via=via, created_at=now,
                last_seen_at=now, expires_at=expires))
        return session_id, max(0, int((expires - now).total_seconds()))

    def touch(self, session_id):
        """The live session of this cookie value, its idle clock restarted; None when there is none (never was,
        signed out, idle too long, or past its absolute end: the row is then deleted)."""
        if not session_id or len(session_id) > 100:
            return None
        now = self.clock()
        key = digest(session_id)
        with self.engine.begin() as conn:
            row = conn.execute(select(sessions).where(sessions.c.id_hash == key).with_for_update()).first()
            if row is None:
                return None
            if now >= row.expires_at or now - row.last_seen_at >= self.idle:
                conn.execute(delete(sessions).where(sessions.c.id_hash == key))
                return None
            conn.execute(update(sessions).where(sessions.c.id_hash == key).values(last_seen_at=now))
        return Session({"sub": row.sub, "roles": list(row.roles), "entities": list(row.entities),
                        "groups": list(row.groups)}, row.csrf, row.via)

    def end(self, session_id):
        if session_id:
            with self.engine.begin() as conn:
                conn.execute(delete(sessions).where(sessions.c.id_hash == digest(session_id)))

    def begin_login(self, code_verifier, nonce):
        """A sign-in leaving for the issuer: (state, browser binding cookie value)."""
        now = self.clock()
        state, browser = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(delete(logins).where(logins.c.created_at < now - dt.timedelta(seconds=LOGIN_SECONDS)))
            conn.execute(logins.insert().values(state=state, browser_hash=digest(browser), code_verifier=code_verifier,
                                                nonce=nonce, created_at=now))
        return state, browser

    def take_login(self, state, browser):
        """(code_verifier, nonce) of the sign-in `state` names, when this browser began it and in time; used up
        either way. None otherwise."""
        if not state or len(state) > 64:
            return None
        with self.engine.begin() as conn:
            row = conn.execute(delete(logins).where(logins.c.state == state).returning(
                logins.c.browser_hash, logins.c.code_verifier, logins.c.nonce, logins.c.created_at)).first()
        if row is None or not browser or not hmac.compare_digest(row.browser_hash, digest(browser)):
            return None
        if self.clock() - row.created_at > dt.timedelta(seconds=LOGIN_SECONDS):
            return None
        return row.code_verifier, row.nonce


class DashboardSessions(DependencyProvider):
    """Hands workers the gateway's `SessionStore`."""

    def setup(self):
        from common.config import settings

        s = settings()
        engine = make_engine(config["DATABASE_URL"], pool_size=5)
        self.store = SessionStore(engine, dt.timedelta(minutes=s.session_idle_minutes),
                                  dt.timedelta(hours=s.session_max_hours))

    def get_dependency(self, worker_ctx):
        return self.store

    @property
    def engine(self):
        return self.store.engine

    def stop(self):
        self.store.engine.dispose()

    def kill(self):
        self.stop()
