"""OIDC tokens (RS256/ES256) verified with the keys a real local HTTP server publishes as a JWKS."""
import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from common.config import Settings
from gateway.auth import authenticate
from gateway.jwks import JwksKeys
from gateway.problems import HttpProblem

ISSUER, AUDIENCE = "https://idp.example.test/realms/ecoc", "ecoc-api"


class Issuer:
    """An OIDC issuer's JWKS endpoint: serves whatever `keys` holds now and counts the requests."""

    def __init__(self):
        self.keys = {}  # kid → private key
        self.requests = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                issuer.requests += 1
                body = json.dumps({"keys": [issuer.jwk(kid) for kid in issuer.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/protocol/openid-connect/certs"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def jwk(self, kid):
        key = self.keys[kid]
        if isinstance(key, rsa.RSAPrivateKey):
            data, alg = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "RS256"
        else:
            data, alg = ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "ES256"
        return dict(data, kid=kid, use="sig", alg=alg)

    def add(self, kid, kind):
        self.keys[kid] = rsa.generate_private_key(65537, 2048) if kind == "RSA" else ec.generate_private_key(
            ec.SECP256R1())
        return self.keys[kid]

    def token(self, kid, alg=None, key=None, **overrides):
        now = int(time.time())
        claims = {"sub": "oidc-user", "roles": ["viewer"], "entities": ["NORDWIND"], "iss": ISSUER, "aud": AUDIENCE,
                  "iat": now, "nbf": now, "exp": now + 300}
        claims.update(overrides)
        private = key or self.keys[kid]
        alg = alg or ("RS256" if isinstance(private, rsa.RSAPrivateKey) else "ES256")
        return jwt.encode(claims, private, algorithm=alg, headers={"kid": kid})


@pytest.fixture
def issuer():
    server = Issuer()
    server.add("rsa-1", "RSA")
    server.add("ec-1", "EC")
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def oidc(issuer):
    settings = replace(Settings(), jwt_jwks_url=issuer.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                       jwt_algorithms=("RS256", "ES256"))
    clock = Clock()
    keys = JwksKeys(issuer.url, max_age=300, min_refresh=10, clock=clock)
    return lambda token: authenticate(request_with(token), settings, keys=keys), keys, clock


class Clock:
    """The cache's clock, moved by the test: no test depends on how fast this machine is."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def request_with(token):
    return Request(EnvironBuilder(path="/v1/x", headers={"Authorization": f"Bearer {token}"}).get_environ())


def refused(check, token):
    with pytest.raises(HttpProblem) as caught:
        check(token)
    assert caught.value.status == 401
    return caught.value.detail


def test_rs256_and_es256_tokens_of_the_issuer_authenticate(issuer, oidc):
    check, keys, clock = oidc
    assert check(issuer.token("rsa-1")) == {"sub": "oidc-user", "roles": ["viewer"], "entities": ["NORDWIND"],
                                             "groups": []}
    assert check(issuer.token("ec-1", roles=["reviewer", "unknown-role"]))["roles"] == ["reviewer"]
    assert issuer.requests == 1 and keys.fetches == 1  # the keys are fetched once and kept


def test_a_rotated_key_is_fetched_once_and_an_unknown_kid_is_401(issuer, oidc):
    check, keys, clock = oidc
    check(issuer.token("rsa-1"))
    issuer.add("rsa-2", "RSA")  # the issuer rotates: a token names a key the cache does not hold yet
    clock.now += 11
    assert check(issuer.token("rsa-2"))["sub"] == "oidc-user"
    assert issuer.requests == 2
    stranger = rsa.generate_private_key(65537, 2048)
    assert "no signing key 'made-up'" in refused(check, issuer.token("made-up", key=stranger))
    assert issuer.requests == 2  # just refreshed: within min_refresh an unknown kid asks nobody
    clock.now += 11
    assert "no signing key 'made-up'" in refused(check, issuer.token("made-up", key=stranger))
    assert "no signing key 'made-up'" in refused(check, issuer.token("made-up", key=stranger))
    assert issuer.requests == 3  # one early refresh for the unknown kid; the repeat within min_refresh asks nobody


def test_keys_are_refreshed_when_the_cache_is_old(issuer):
    now = [0.0]
    keys = JwksKeys(issuer.url, max_age=60, clock=lambda: now[0])
    keys.key_for("rsa-1", "RS256")
    keys.key_for("ec-1", "ES256")
    assert issuer.requests == 1
    now[0] = 61.0
    del issuer.keys["rsa-1"]  # retired by the issuer
    keys.key_for("ec-1", "ES256")
    assert issuer.requests == 2
    with pytest.raises(Exception, match="no signing key 'rsa-1'"):
        keys.key_for("rsa-1", "RS256")


def test_algorithm_confusion_is_refused(issuer, oidc):
    check, _, _ = oidc
    public_pem = issuer.keys["rsa-1"].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    claims = {"sub": "mallory", "roles": ["admin"], "entities": ["*"], "iss": ISSUER, "aud": AUDIENCE,
              "exp": now + 300}
    # HS256 "signed" with the issuer's public key as the HMAC secret: the classic confusion attack
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': 'rsa-1'}).encode())}." \
                    f"{b64(json.dumps(claims).encode())}"
    forged = f"{signing_input}.{b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())}"
    assert "algorithm 'HS256' is not accepted" in refused(check, forged)
    assert "algorithm 'none' is not accepted" in refused(check, jwt.encode(claims, None, algorithm="none"))
    # an RSA key id with an ES256 header, an EC key id with RS256
    assert "does not verify ES256" in refused(check, issuer.token("rsa-1", alg="ES256", key=issuer.keys["ec-1"]))
    assert "does not verify RS256" in refused(check, issuer.token("ec-1", alg="RS256", key=issuer.keys["rsa-1"]))


@pytest.mark.parametrize("overrides, reason", [
    ({"exp": int(time.time()) - 3600}, "expired"),
    ({"nbf": int(time.time()) + 3600}, "not yet valid"),
    ({"iss": "https://evil.example.test"}, "issuer"),
    ({"aud": "another-api"}, "audience"),
], ids=["expired", "not-yet-valid", "issuer", "audience"])
def test_claims_are_checked(issuer, oidc, overrides, reason):
    check, _, _ = oidc
    assert reason in refused(check, issuer.token("rsa-1", **overrides)).lower()


def test_a_token_of_another_key_or_tampered_is_401(issuer, oidc):
    check, _, _ = oidc
    impostor = issuer.token("rsa-1", key=rsa.generate_private_key(65537, 2048))
    assert "signature verification failed" in refused(check, impostor).lower()
    header, payload, signature = issuer.token("ec-1").split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["roles"] = ["admin"]
    tampered = f"{header}.{jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()}.{signature}"
    assert "signature verification failed" in refused(check, tampered).lower()


def test_an_unreachable_issuer_is_401_not_500():
    keys = JwksKeys("http://127.0.0.1:9/nothing-here", timeout=0.5)
    settings = replace(Settings(), jwt_jwks_url=keys.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                       jwt_algorithms=("RS256",))
    token = jwt.encode({"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60},
                       rsa.generate_private_key(65537, 2048), algorithm="RS256", headers={"kid": "k"})
    with pytest.raises(HttpProblem) as caught:
        authenticate(request_with(token), settings, keys=keys)
    assert caught.value.status == 401 and "cannot be read" in caught.value.detail
