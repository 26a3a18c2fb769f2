"""A small OpenID Connect issuer for the tests, run as a process of its own over HTTP: discovery, JWKS, an
authorization endpoint with a sign-in form, and a token endpoint. It does what a real issuer does for the
authorization code flow with PKCE and nothing more: one confidential client (id and secret, `client_secret_basic`
or `client_secret_post`), an exact redirect URI, S256 code challenges only, single-use codes that live 60 s,
and RS256 ID tokens carrying the nonce and the person's `roles` and `entities` claims (and `groups`, when the
person has any).

People are read from a JSON file at every sign-in (`{"sub": {"roles": [...], "entities": [...], "groups": [...]}}`), so a test can
add one while the issuer runs. Usage:

    python tests/oidc_issuer.py --port P --client-id ID --client-secret SECRET --redirect-uri URI --users FILE
"""
import argparse
import base64
import hashlib
import html
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CODE_SECONDS = 60
TOKEN_SECONDS = 300


class Issuer:
    def __init__(self, url, client_id, client_secret, redirect_uri, users_file):
        self.url, self.client_id, self.client_secret = url, client_id, client_secret
        self.redirect_uri, self.users_file = redirect_uri, users_file
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.codes = {}
        self.lock = threading.Lock()

    def users(self):
        with open(self.users_file, encoding="utf-8") as f:
            return json.load(f)

    def discovery(self):
        return {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": ["openid", "profile"], "grant_types_supported": ["authorization_code"]}

    def jwks(self):
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [dict(public, kid=self.kid, use="sig", alg="RS256")]}

    def check_authorization(self, params):
        """None when the authorization request is acceptable; else why not."""
        if params.get("client_id") != self.client_id:
            return "unknown client_id"
        if params.get("redirect_uri") != self.redirect_uri:
            return "redirect_uri is not the registered one"
        if params.get("response_type") != "code":
            return "response_type must be code"
        if "openid" not in (params.get("scope") or "").split():
            return "scope must include openid"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "a PKCE code_challenge with method S256 is required"
        return None

    def issue_code(self, params, sub):
        code = secrets.token_urlsafe(32)
        with self.lock:
            self.codes[code] = {"sub": sub, "challenge": params["code_challenge"], "nonce": params.get("nonce"),
                                "redirect_uri": params["redirect_uri"], "expires": time.time() + CODE_SECONDS}
        return code

    def exchange(self, form, authorization):
        """(status, JSON answer) of a token request."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode("utf-8").partition(":")
            client_id, secret = unquote_plus(client_id), unquote_plus(secret)  # RFC 6749 2.3.1: form-encoded
        if client_id != self.client_id or not hmac.compare_digest(secret or "", self.client_secret):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self.lock:
            granted = self.codes.pop(form.get("code") or "", None)  # single use, whatever follows
        if granted is None or granted["expires"] < time.time() or granted["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "unknown, used or expired code"}
        verifier = form.get("code_verifier") or ""
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
        if not hmac.compare_digest(challenge, granted["challenge"]):
            return 400, {"error": "invalid_grant", "error_description": "the code_verifier does not match"}
        person = self.users().get(granted["sub"], {})
        now = int(time.time())
        claims = {"iss": self.url, "sub": granted["sub"], "aud": self.client_id, "iat": now,
                  "exp": now + TOKEN_SECONDS, "roles": person.get("roles", []), "entities": person.get("entities", [])}
        if person.get("groups"):
            claims["groups"] = person["groups"]
        if granted["nonce"]:
            claims["nonce"] = granted["nonce"]
        id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
        return 200, {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": TOKEN_SECONDS,
                     "id_token": id_token}


def sign_in_form(params, error=""):
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in params.items() if k != "username")
    alert = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test issuer sign-in</title></head>'
            f'<body><main><h1>Test issuer</h1>{alert}<form method="post" action="/authorize">{hidden}'
            '<label for="username">User name</label> <input id="username" name="username" autocomplete="off">'
            ' <button type="submit" id="issuer-sign-in">Sign in</button></form></main></body></html>')


def handler_for(issuer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet: the test output is the log
            pass

        def _send(self, status, body, content_type="application/json", headers=()):
            data = (json.dumps(body) if content_type == "application/json" else body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _form(self):
            length = int(self.headers.get("Content-Length") or 0)
            return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8")).items()}

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/.well-known/openid-configuration":
                return self._send(200, issuer.discovery())
            if url.path == "/jwks":
                return self._send(200, issuer.jwks())
            if url.path == "/authorize":
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                problem = issuer.check_authorization(params)
                if problem:
                    return self._send(400, f"<p>{html.escape(problem)}</p>", "text/html")
                return self._send(200, sign_in_form(params), "text/html")
            return self._send(404, {"error": "not_found"})

        def do_POST(self):
            url = urlparse(self.path)
            form = self._form()
            if url.path == "/authorize":
                problem = issuer.check_authorization(form)
                if problem:
                    return self._send(400, f"<p>{html.escape(problem)}</p>", "text/html")
                sub = form.get("username", "")
                if sub not in issuer.users():
                    return self._send(200, sign_in_form(form, "Unknown user name."), "text/html")
                query = {"code": issuer.issue_code(form, sub)}
                if form.get("state"):
                    query["state"] = form["state"]
                return self._send(302, "", "text/html", [("Location", f"{form['redirect_uri']}?{urlencode(query)}")])
            if url.path == "/token":
                status, body = issuer.exchange(form, self.headers.get("Authorization", ""))
                return self._send(status, body)
            return self._send(404, {"error": "not_found"})

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", required=True)
    parser.add_argument("--users", required=True)
    args = parser.parse_args()
    issuer = Issuer(f"http://127.0.0.1:{args.port}", args.client_id, args.client_secret, args.redirect_uri,
                    args.users)
    ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(issuer)).serve_forever()


if __name__ == "__main__":
    main()
