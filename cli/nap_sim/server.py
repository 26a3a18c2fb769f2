"""`ecoc nap-sim`: the simulator's HTTPS server (client certificates required) around `cli.nap_sim.nap.Nap`.

Routes: `POST <path>` (the soap11-embedded profile), `GET <path>?wsdl`, `GET /received[?vin=]` (JSON of what it
received). Threads, not green threads: it runs on its own, outside the services. With `--down-seconds` it binds
its port only after that long (connections are refused meanwhile, like a NAP that is down).
"""
import json
import logging
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cli.nap_sim import pki
from cli.nap_sim.faults import FaultPlan
from cli.nap_sim.nap import DEFAULT_RULES, Nap, TrustedSeals
from cli.nap_sim.wsdl import wsdl
from services.delivery.domain.soap import CONTENT_TYPE

log = logging.getLogger("nap-sim")
MAX_BODY = 20 * 1024 * 1024
ENDPOINT_PATH = "/nap"


class NapServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, nap, tls, latency_ms=0, public_url=None):
        self.nap = nap
        self.latency = latency_ms / 1000.0
        super().__init__(address, Handler)
        self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.endpoint = public_url or f"https://{address[0]}:{self.server_address[1]}{ENDPOINT_PATH}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a delivery worker reuses its connection
    disable_nagle_algorithm = True  # headers and body go out as two writes: no delayed-ACK wait between them
    server_version = "ecoc-nap-sim"

    def setup(self):
        super().setup()
        self.connection.settimeout(60)

    def log_message(self, fmt, *args):
        log.debug("%s " + fmt, self.address_string(), *args)

    def _client(self):
        cert = self.connection.getpeercert() or {}
        for rdn in cert.get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return value
        return None

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == ENDPOINT_PATH and url.query.lower() == "wsdl":
            return self._send(200, wsdl(self.server.endpoint), "text/xml; charset=utf-8")
        if url.path == "/received":
            vin = (parse_qs(url.query).get("vin") or [None])[0]
            return self._send(200, json.dumps({"received": self.server.nap.listing(vin)}).encode(),
                              "application/json")
        return self._send(404, b'{"error": "not found"}', "application/json")

    def do_POST(self):
        if urlsplit(self.path).path != ENDPOINT_PATH:
            return self._send(404, b'{"error": "not found"}', "application/json")
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return self._send(413 if length > 0 else 411, b"", "text/plain")
        body = self.rfile.read(length)
        if self.server.latency:
            time.sleep(self.server.latency)
        status, answer = self.server.nap.submit(body, self._client())
        self._send(status, answer, CONTENT_TYPE)

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def tls_context(directory):
    """The server's TLS: its certificate from the simulator's CA, and client certificates of that CA required."""
    server, ca = pki.ensure_server(directory), pki.ensure_ca(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(server.cert, server.key)
    context.load_verify_locations(cafile=str(ca.cert))
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def build_nap(args):
    from common.ivi.xsd import SchemaValidator, schema_available

    validator = SchemaValidator(args.schema) if args.schema and schema_available(args.schema) else None
    if validator is None:
        log.warning("no IVI schema at %r: schema checks are off", args.schema)
    rules = tuple(r.strip() for r in args.rules.split(",") if r.strip()) if args.rules is not None else DEFAULT_RULES
    faults = FaultPlan(latency_ms=args.latency_ms, transient_rate=args.transient_rate,
                       transient_vin=args.transient_vin, reject_rate=args.reject_rate, reject_vin=args.reject_vin,
                       slow_rate=args.slow_rate, slow_ms=args.slow_ms, seed=args.seed)
    return Nap(validator, TrustedSeals(args.trust), rules, faults)


def serve(args):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s nap-sim %(levelname)s %(message)s")
    directory = Path(args.dir)
    pki.ensure_ca(directory)
    pki.ensure_server(directory, hosts=tuple(args.server_name or ("localhost", "127.0.0.1")))
    for name in args.client or ():
        pki.ensure_client(directory, name)
    try:
        nap = build_nap(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.down_seconds:
        log.info("down for %gs: connections are refused until then", args.down_seconds)
        time.sleep(args.down_seconds)
    server = NapServer((args.host, args.port), nap, tls_context(directory), args.latency_ms, args.public_url)
    log.info("listening at %s (WSDL at %s?wsdl, received at /received); CA %s", server.endpoint, server.endpoint,
             pki.ca_pair(directory).cert)
    print(f"nap-sim listening {server.endpoint}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def start_in_thread(nap, directory, host="127.0.0.1", port=0, latency_ms=0):
    """A running simulator in this process (tests, benchmarks, `ecoc demo`): (server, thread)."""
    server = NapServer((host, port), nap, tls_context(directory), latency_ms)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return server, thread
