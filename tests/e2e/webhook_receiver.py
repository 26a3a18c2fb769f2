"""A webhook receiver as an integrator would write one, run as its own process by tests/e2e/test_webhooks.py
(which kills and restarts it) and tests/faults/test_webhooks_killed.py:
`python webhook_receiver.py PORT SECRET FILE [CERT KEY [DELAY]]` (HTTPS with CERT and KEY; DELAY seconds of
work before each answer, so that deliveries are under way when a test strikes).

Every POST is checked with the verification snippet of docs/webhooks.md (standard library only), appended to FILE
as a JSON line `{"event": ..., "valid": ..., "headers": {...}}` and flushed to disk before the 200 goes out, so
what was answered is never lost with the process. `ReceiverProcess` is how the tests run it.
"""
import hashlib
import hmac
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class ReceiverProcess:
    """The receiver as a process of its own: `start()` (returns once it listens), `kill()` (SIGKILL),
    `received()` (every record written so far)."""

    def __init__(self, port, secret, path, tls, delay=0.0):
        self.port, self.secret, self.path, self.tls, self.delay, self.process = port, secret, path, tls, delay, None

    def start(self):
        self.process = subprocess.Popen([sys.executable, str(Path(__file__)), str(self.port), self.secret,
                                         str(self.path), self.tls["cert"], self.tls["key"], str(self.delay)],
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "listening"

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def received(self):
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]


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


def main(port, secret, path, cert=None, key=None, delay="0"):
    out = open(path, "a", encoding="utf-8")
    delay = float(delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if delay:
                time.sleep(delay)  # the receiver's own work on the event
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
