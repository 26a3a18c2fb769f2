"""Gateway authentication and roles, without a broker."""
import json
import time
from dataclasses import replace

import jwt
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from common import authz
from common.config import BUILT_IN_INTERNAL_SECRET, BUILT_IN_JWT_SECRET, Settings
from common.errors import Forbidden, NotFound
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
    assert identity == {"sub": "dana", "roles": ["data_steward"], "entities": ["NORDWIND"], "groups": []}


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
    (lambda: hs256(sub="s" * 201), "`sub` must be 1 to 200 printable characters"),
    (lambda: hs256(sub="da\x00na"), "`sub` must be 1 to 200 printable characters"),
    (lambda: hs256(sub=""), "`sub` must be"),
    (lambda: hs256(entities=["NORDWIND", "\ud800"]), "printable strings"),
], ids=["missing", "garbage", "expired", "wrong-secret", "audience", "issuer", "alg-none", "no-roles", "long-sub",
        "nul-sub", "empty-sub", "surrogate-entity"])
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


def test_not_yet_valid_and_tampered_tokens_are_401():
    early = hs256(nbf=int(time.time()) + 3600)
    with pytest.raises(HttpProblem, match="not yet valid"):
        authenticate(request_with(early), S)
    header, _, signature = hs256().split(".")
    payload = jwt.utils.base64url_encode(json.dumps(claims(roles=["admin"], entities=["*"])).encode()).decode()
    with pytest.raises(HttpProblem) as caught:
        authenticate(request_with(f"{header}.{payload}.{signature}"), S)
    assert caught.value.status == 401 and "signature verification failed" in caught.value.detail.lower()


def test_algorithms_are_pinned_by_configuration(monkeypatch):
    monkeypatch.setenv("ECOC_JWT_JWKS_URL", "https://idp.example.test/certs")
    assert Settings().jwt_algorithms == ("RS256", "ES256")  # OIDC mode: the issuer's asymmetric keys only
    monkeypatch.setenv("ECOC_JWT_ALGORITHMS", "RS256,HS256")
    with pytest.raises(ValueError, match="HS256 cannot be accepted"):
        Settings()
    monkeypatch.setenv("ECOC_JWT_ALGORITHMS", "none")
    with pytest.raises(ValueError, match="none not accepted"):
        Settings()
    monkeypatch.delenv("ECOC_JWT_JWKS_URL")
    monkeypatch.setenv("ECOC_JWT_ALGORITHMS", "RS256")
    with pytest.raises(ValueError, match="need ECOC_JWT_JWKS_URL"):
        Settings()
    # a local HS256 token is refused once the gateway runs against an issuer
    oidc = replace(S, jwt_jwks_url="https://idp.example.test/certs", jwt_algorithms=("RS256", "ES256"))
    with pytest.raises(HttpProblem, match="algorithm 'HS256' is not accepted"):
        authenticate(request_with(hs256()), oidc)


def test_production_mode_names_the_built_in_secrets():
    production = replace(S, local_mode=False, jwt_secret=BUILT_IN_JWT_SECRET, internal_secret=BUILT_IN_INTERNAL_SECRET)
    assert [p.split()[0] for p in production.production_problems("gateway")] == [
        "ECOC_JWT_SECRET", "ECOC_INTERNAL_SECRET"]
    assert [p.split()[0] for p in production.production_problems("signing")] == ["ECOC_INTERNAL_SECRET"]
    assert replace(production, jwt_secret="own", internal_secret="own").production_problems("gateway") == []
    assert replace(production, local_mode=True).production_problems("gateway") == []
    # the dashboard's OIDC sign-in needs its client; only the gateway signs people in
    half = replace(production, jwt_secret="own", internal_secret="own", oidc_issuer="https://login.example.com",
                   oidc_client_id="ecoc-dashboard", oidc_client_secret="")
    assert [p.split()[0] for p in half.production_problems("gateway")] == ["ECOC_OIDC_ISSUER"]
    assert half.production_problems("vehicles") == []
    assert replace(half, oidc_client_secret="s").production_problems("gateway") == []


# -- the passport every service re-checks ---------------------------------------------------------------

def test_a_passport_carries_the_identity_and_only_a_signed_one_is_believed():
    identity = {"sub": "rita", "roles": ["reviewer"], "entities": ["NORDWIND"], "groups": ["gent"]}
    assert authz.read_passport(authz.passport(identity, S), S) == identity
    forged = jwt.encode({"sub": "rita", "roles": ["admin"], "entities": ["*"], "iss": authz.PASSPORT_ISSUER,
                         "aud": authz.PASSPORT_AUDIENCE, "exp": int(time.time()) + 60},
                        "a-guessed-secret-of-enough-length-00", algorithm="HS256")
    for bad in (forged, json.dumps(identity), None, jwt.encode(dict(identity, exp=1), None, algorithm="none"),
                authz.passport(identity, replace(S, passport_ttl=-60))):
        with pytest.raises(authz.BadPassport):
            authz.read_passport(bad, S)
    # a user token is no passport (other issuer and audience, other secret)
    with pytest.raises(authz.BadPassport):
        authz.read_passport(issue_token(S, "rita", ["admin"], ["*"]), S)


def test_while_the_internal_secret_is_rotated_passports_of_the_earlier_one_still_verify():
    identity = {"sub": "rita", "roles": ["reviewer"], "entities": ["NORDWIND"], "groups": []}
    old = replace(S, internal_secret="the-old-internal-secret-0123456789abcdef")
    rolling = replace(S, internal_secret="the-new-internal-secret-0123456789abcdef",
                      internal_secrets_previous=(old.internal_secret,))
    assert authz.read_passport(authz.passport(identity, old), rolling) == identity  # a process not yet rolled
    assert authz.read_passport(authz.passport(identity, rolling), rolling) == identity
    with pytest.raises(authz.BadPassport, match="Signature verification failed"):
        authz.read_passport(authz.passport(identity, old), replace(rolling, internal_secrets_previous=()))
    expired = authz.passport(identity, replace(old, passport_ttl=-60))
    with pytest.raises(authz.BadPassport, match="expired"):
        authz.read_passport(expired, rolling)  # an earlier secret verifies nothing more than the current one


def test_production_refuses_the_built_in_internal_secret_among_the_earlier_ones():
    from common.config import BUILT_IN_INTERNAL_SECRET
    prod = replace(S, local_mode=False, internal_secret="a-secret-of-our-own-0123456789abcdefgh",
                   internal_secrets_previous=(BUILT_IN_INTERNAL_SECRET,))
    assert any("ECOC_INTERNAL_SECRET_PREVIOUS" in p for p in prod.production_problems("vehicles"))


def test_service_rules_from_the_passport():
    rita = {"sub": "rita", "roles": ["reviewer"], "entities": ["NORDWIND"]}
    assert authz.require(rita, "reviewer") is rita and authz.require(rita) is rita
    with pytest.raises(Forbidden, match="needs the role data_steward"):
        authz.require(rita, "data_steward")
    with pytest.raises(Forbidden, match="verified identity"):
        authz.require({}, "reviewer")
    service = authz.read_passport(authz.service_passport("signing", S), S)
    assert service["sub"] == "service:signing"
    assert authz.require(service, service=True) is service
    with pytest.raises(Forbidden):
        authz.require(service)  # a service is no user: user entrypoints refuse it
    with pytest.raises(NotFound, match="no release"):
        authz.scope(rita, "OTHERCO", "release 1")
    assert authz.entities_of(rita) == ["NORDWIND"] and authz.entities_of({"entities": ["*"]}) is None
    entity = {"code": "NORDWIND", "signatories": [{"sub": "sam", "name": "SAM"}]}
    assert authz.check_signatory(entity, "sam")["name"] == "SAM"
    with pytest.raises(Forbidden, match="not an authorised signatory of NORDWIND"):
        authz.check_signatory(entity, "rita")


def test_roles_and_entities_are_read_where_the_issuer_puts_them():
    keycloak = replace(S, jwt_roles_claim="realm_access.roles", jwt_entities_claim="ecoc_entities",
                       jwt_role_prefix="ecoc-", jwt_groups_claim="ecoc_groups")
    token = hs256(roles=None, entities=None, realm_access={"roles": ["offline_access", "ecoc-signer", "signer",
                                                                    "ecoc-reviewer", "ecoc-nobody"]},
                  ecoc_entities="NORDWIND OTHERCO", ecoc_groups=["homologation", "gent", "homologation"])
    identity = authenticate(request_with(token), keycloak)
    assert identity == {"sub": "dana", "roles": ["signer", "reviewer"], "entities": ["NORDWIND", "OTHERCO"],
                        "groups": ["gent", "homologation"]}
    # the groups travel to the services in the passport
    assert authz.read_passport(authz.passport(identity, S), S)["groups"] == ["gent", "homologation"]
    with pytest.raises(HttpProblem) as caught:  # a groups claim that is not a list of names
        authenticate(request_with(hs256(realm_access={"roles": ["ecoc-signer"]}, ecoc_entities=["NORDWIND"],
                                        ecoc_groups=[{"id": 1}])), keycloak)
    assert caught.value.status == 401 and "`ecoc_groups`" in caught.value.detail

    with pytest.raises(HttpProblem) as caught:  # the default claims are not where this issuer puts them
        authenticate(request_with(token), S)
    assert caught.value.status == 401 and "`roles`" in caught.value.detail
    with pytest.raises(HttpProblem) as caught:
        authenticate(request_with(hs256(realm_access={"roles": [1, 2]}, ecoc_entities=["NORDWIND"])), keycloak)
    assert caught.value.status == 401 and "`realm_access.roles`" in caught.value.detail
