"""Gateway authentication and roles, without a broker."""
import time

import jwt
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from common.config import Settings
from gateway.auth import authenticate, issue_token, may_see, require
from gateway.problems import HttpProblem

S = Settings()


def request_with(token):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return Request(EnvironBuilder(path="/v1/x", headers=headers).get_environ())


def claims(**overrides):
    now = int(time.time())
    base = {"sub": "dana", "roles": ["data_steward"], "entities": ["NORDWIND"], "iss": S.jwt_issuer,
            "aud": S.jwt_audience, "iat": now, "exp": now + 60}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_a_token_from_ecoc_token_authenticates():
    identity = authenticate(request_with(issue_token(S, "dana", ["data_steward"], ["NORDWIND"])), S)
    assert identity == {"sub": "dana", "roles": ["data_steward"], "entities": ["NORDWIND"]}


def hs256(secret=None, **overrides):
    return jwt.encode(claims(**overrides), S.jwt_secret if secret is None else secret, algorithm="HS256")


# tokens are made when the test runs, not at collection: a slow suite must not expire them
@pytest.mark.parametrize("make_token, reason", [
    (lambda: None, "bearer token is required"),
    (lambda: "not-a-jwt", "invalid token"),
    (lambda: hs256(exp=int(time.time()) - 3600), "expired"),
    (lambda: hs256(secret="another-secret-of-enough-length-32b"), "Signature verification"),
    (lambda: hs256(aud="someone-else"), "audience"),
    (lambda: hs256(iss="evil"), "issuer"),
    (lambda: jwt.encode(claims(), None, algorithm="none"), "invalid token"),
    (lambda: hs256(roles=None), "roles"),
], ids=["missing", "garbage", "expired", "wrong-secret", "audience", "issuer", "alg-none", "no-roles"])
def test_bad_tokens_are_401(make_token, reason):
    with pytest.raises(HttpProblem) as caught:
        authenticate(request_with(make_token()), S)
    assert caught.value.status == 401
    assert reason.lower() in caught.value.detail.lower()


def test_roles_and_admin():
    steward = {"sub": "dana", "roles": ["data_steward"], "entities": ["A"]}
    assert require(steward, "data_steward") is steward
    assert require(steward) is steward  # reading needs any role
    with pytest.raises(HttpProblem) as caught:
        require(steward, "reviewer")
    assert caught.value.status == 403 and caught.value.problem == "urn:ecoc:problem:forbidden"
    admin = {"sub": "ada", "roles": ["admin"], "entities": ["*"]}
    assert require(admin, "signer") is admin
    nobody = {"sub": "x", "roles": [], "entities": ["A"]}
    with pytest.raises(HttpProblem):
        require(nobody)


def test_entity_scope():
    assert may_see({"entities": ["*"]}, "ANY")
    assert may_see({"entities": ["A"]}, "A")
    assert not may_see({"entities": ["A"]}, "B")
