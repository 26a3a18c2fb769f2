"""A webhook receiver as an integrator would write one, run as its own process by tests/e2e/test_webhooks.py
(which kills and restarts it): `python webhook_receiver.py PORT SECRET FILE [CERT KEY]` (HTTPS with CERT and KEY).

Every POST is checked with the verification snippet of docs/webhooks.md (standard library only), appended to FILE
as a JSON line `{"event": ..., "valid": ..., "headers": {...}}` and flushed to disk before the 200 goes out, so
what was answered is never lost with the process.
"""
import hashlib
import hmac
import json
import os
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """`header`: the Ecoc-Signature value; `body`: the raw request body, exactly as received."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:  # a replayed old request
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def main(port, secret, path, cert=None, key=None):
    out = open(path, "a", encoding="utf-8")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            valid = verify_signature(secret, self.headers.get("Ecoc-Signature", ""), body)
            record = {"event": json.loads(body), "valid": valid,
                      "headers": {k: v for k, v in self.headers.items() if k.lower().startswith("ecoc-")}}
            out.write(json.dumps(record) + "\n")
            out.flush()
            os.fsync(out.fileno())
            self.send_response(200 if valid else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), *sys.argv[2:])
