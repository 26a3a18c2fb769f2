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


@pytest.mark.parametrize("token, reason", [
    (None, "bearer token is required"),
    ("not-a-jwt", "invalid token"),
    (jwt.encode(claims(exp=int(time.time()) - 3600), S.jwt_secret, algorithm="HS256"), "expired"),
    (jwt.encode(claims(), "another-secret-of-enough-length-32b", algorithm="HS256"), "Signature verification"),
    (jwt.encode(claims(aud="someone-else"), S.jwt_secret, algorithm="HS256"), "audience"),
    (jwt.encode(claims(iss="evil"), S.jwt_secret, algorithm="HS256"), "issuer"),
    (jwt.encode(claims(), None, algorithm="none"), "invalid token"),
    (jwt.encode(claims(roles=None), S.jwt_secret, algorithm="HS256"), "roles"),
])
def test_bad_tokens_are_401(token, reason):
    with pytest.raises(HttpProblem) as caught:
        authenticate(request_with(token), S)
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
