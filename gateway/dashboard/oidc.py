"""Signing in to the dashboard through the organisation's OIDC issuer: authorization code flow with PKCE (S256),
the client authenticated with its secret at the token endpoint (authlib does the OAuth 2.0 part).

The issuer's discovery document names its endpoints; its ID token is verified with the keys of its JWKS (the
cache of `gateway.jwks`, as for API tokens): signature, issuer, audience (our client id), expiry and the nonce of
this sign-in. Roles and entities are read from it with the same claim mapping as API tokens
(`gateway.auth.identity_from_claims`)."""
import threading
import time

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client import OAuthError

from common.config import ASYMMETRIC_DEFAULT, TOKEN_ALGORITHMS
from gateway.auth import identity_from_claims
from gateway.jwks import JwksKeys, KeyUnavailable
from gateway.problems import HttpProblem, unauthorized

DISCOVERY_MAX_AGE = 300
TIMEOUT = 10


def unavailable(detail):
    return HttpProblem(503, "urn:ecoc:problem:unavailable", "Sign-in unavailable", detail)


class OidcClient:
    """One per gateway process: the issuer's discovery document and keys are cached between sign-ins."""

    def __init__(self, settings):
        self.settings = settings
        self.issuer = settings.oidc_issuer.rstrip("/")
        self._discovery, self._fetched_at, self._keys = None, None, None
        self._lock = threading.Lock()

    def discovery(self):
        with self._lock:
            if self._discovery is None or time.monotonic() - self._fetched_at > DISCOVERY_MAX_AGE:
                url = f"{self.issuer}/.well-known/openid-configuration"
                try:
                    response = requests.get(url, timeout=TIMEOUT)
                    response.raise_for_status()
                    document = response.json()
                except (requests.RequestException, ValueError) as exc:
                    raise unavailable(f"the OIDC issuer's discovery document cannot be read: {exc}") from None
                if document.get("issuer", "").rstrip("/") != self.issuer:
                    raise unavailable(f"the discovery document names issuer {document.get('issuer')!r}, "
                                      f"not {self.issuer!r}")
                missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(k)]
                if missing:
                    raise unavailable(f"the discovery document lacks {', '.join(missing)}")
                if self._keys is None or self._keys.url != document["jwks_uri"]:
                    self._keys = JwksKeys(document["jwks_uri"], max_age=self.settings.jwks_max_age)
                self._discovery, self._fetched_at = document, time.monotonic()
            return self._discovery

    def _client(self):
        s = self.settings
        return OAuth2Session(s.oidc_client_id, s.oidc_client_secret, scope=s.oidc_scopes,
                             redirect_uri=s.oidc_redirect_url, code_challenge_method="S256")

    def authorization_url(self, state, code_verifier, nonce):
        """Where the browser goes to sign in (the S256 challenge of `code_verifier` goes with it)."""
        url, _ = self._client().create_authorization_url(self.discovery()["authorization_endpoint"], state=state,
                                                         code_verifier=code_verifier, nonce=nonce)
        return url

    def identity(self, code, code_verifier, nonce):
        """The signed-in person `{sub, roles, entities}` and the ID token's expiry (epoch seconds), from the
        authorization `code`; 401 when the issuer refuses the code or its ID token does not verify."""
        endpoint = self.discovery()["token_endpoint"]
        try:
            with self._client() as client:
                token = client.fetch_token(endpoint, code=code, code_verifier=code_verifier, timeout=TIMEOUT)
        except OAuthError as exc:
            raise unauthorized(f"the issuer refused the sign-in: {exc.error}") from None
        except (requests.RequestException, ValueError) as exc:
            raise unavailable(f"the issuer's token endpoint cannot be reached: {exc}") from None
        id_token = token.get("id_token")
        if not id_token:
            raise unauthorized("the issuer answered without an ID token (is `openid` in ECOC_OIDC_SCOPES?)")
        claims = self.verify(id_token, nonce)
        return identity_from_claims(claims, self.settings), claims["exp"]

    def verify(self, id_token, nonce):
        try:
            algorithm = jwt.get_unverified_header(id_token).get("alg")
            offered = self.discovery().get("id_token_signing_alg_values_supported") or ASYMMETRIC_DEFAULT
            if algorithm not in offered or algorithm not in TOKEN_ALGORITHMS or algorithm.startswith("HS"):
                raise unauthorized(f"the ID token's algorithm {algorithm!r} is not accepted")
            key = self._keys.key_for(jwt.get_unverified_header(id_token).get("kid"), algorithm)
            claims = jwt.decode(id_token, key, algorithms=[algorithm], audience=self.settings.oidc_client_id,
                                issuer=self.discovery()["issuer"], leeway=self.settings.jwt_leeway,
                                options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        except (jwt.PyJWTError, KeyUnavailable) as exc:
            raise unauthorized(f"the issuer's ID token does not verify: {exc}") from None
        if claims.get("nonce") != nonce:
            raise unauthorized("the ID token is not the answer to this sign-in (nonce)")
        return claims


_clients = {}


def client_for(settings):
    if settings.oidc_issuer not in _clients:
        _clients[settings.oidc_issuer] = OidcClient(settings)
    return _clients[settings.oidc_issuer]
