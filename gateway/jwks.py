"""The OIDC issuer's signing keys, read from its JWKS URL and kept for `max_age` seconds.

A token naming a key id the cache does not hold makes one early refresh (the issuer rotated its keys),
at most once every `min_refresh` seconds, so a stream of made-up key ids cannot hammer the issuer."""
import json
import threading
import time
import urllib.request

from jwt import PyJWK, PyJWTError

KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}  # algorithm family → the JWK `kty` it verifies with


class KeyUnavailable(Exception):
    """No key of the issuer fits the token (unknown key id, wrong key type, or the JWKS cannot be read)."""


def fetch_json(url, timeout):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the operator's configured URL
        return json.loads(response.read().decode("utf-8"))


class JwksKeys:
    def __init__(self, url, max_age=300, min_refresh=10.0, timeout=5.0, fetch=fetch_json, clock=time.monotonic):
        self.url, self.max_age, self.min_refresh, self.timeout = url, max_age, min_refresh, timeout
        self._fetch, self._clock = fetch, clock
        self._keys = {}
        self._fetched_at = None
        self._lock = threading.Lock()
        self.fetches = 0

    def key_for(self, kid, algorithm):
        """The issuer's public key with id `kid` that verifies `algorithm` (kid None: the only key there is)."""
        key = self._find(kid, refresh=self._stale())
        if key is None and self._may_refresh():
            key = self._find(kid, refresh=True)
        if key is None:
            raise KeyUnavailable(f"the issuer has no signing key {kid!r}" if kid else
                                 "the token names no key id and the issuer has more than one key")
        jwk, declared = key
        if jwk.key_type != KEY_TYPES.get(algorithm[:2]) or declared not in (None, algorithm):
            raise KeyUnavailable(f"key {kid!r} of the issuer does not verify {algorithm}")
        return jwk.key

    def _stale(self):
        return self._fetched_at is None or self._clock() - self._fetched_at >= self.max_age

    def _may_refresh(self):
        return self._fetched_at is None or self._clock() - self._fetched_at >= self.min_refresh

    def _find(self, kid, refresh):
        if refresh:
            self._refresh()
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def _refresh(self):
        with self._lock:
            try:
                document = self._fetch(self.url, self.timeout)
            except (OSError, ValueError) as exc:
                if not self._keys:
                    raise KeyUnavailable(f"the issuer's keys cannot be read from {self.url}: {exc}") from None
                return  # keep the keys we have; try again at the next refresh
            finally:
                self._fetched_at = self._clock()
                self.fetches += 1
            self._keys = usable_keys(document)


def usable_keys(document):
    """Signature keys by key id, each as (PyJWK, the algorithm the issuer declared for it or None); symmetric (`oct`) and encryption keys are never used to verify a token."""
    keys = {}
    for index, data in enumerate(document.get("keys", []) if isinstance(document, dict) else []):
        if not isinstance(data, dict) or data.get("kty") not in ("RSA", "EC") or data.get("use", "sig") != "sig":
            continue
        try:
            keys[data.get("kid") or f"#{index}"] = (PyJWK(data), data.get("alg"))
        except PyJWTError:
            continue
    return keys
