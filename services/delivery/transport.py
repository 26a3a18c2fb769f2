"""Sending one sealed eCoC to a NAP target over mutual TLS, by the target's profile.

`soap11-embedded` posts the envelope of `domain.soap` with `urllib3` (one TLS context and connection pool per
target: `requests` set its TLS up again for every message, several times the cost of the message itself); `wsdl`
lets `zeep` read the target's
published WSDL (endpoint, binding, SOAPAction, the answer's shape) and swaps the sealed element, exactly as
sealed, into the request zeep builds. Either way a refused connection, a timeout, a TLS failure, an HTTP 5xx or
a soap:Server fault is `transient`; a soap:Client fault or a REJECTED answer is `rejected`.

Pools (and zeep clients) are kept per target revision: connections are reused between messages, and a
changed target gets new ones. Client certificates and CAs are files the target names in
ECOC_DELIVERY_CREDENTIALS_DIR (never outside it).
"""
import logging
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import urllib3
from lxml import etree

from common.ivi.reader import safe_parser
from services.delivery.domain.soap import CONTENT_TYPE, SOAP_ACTION, Outcome, envelope, judge, message_bytes

log = logging.getLogger(__name__)


@dataclass
class Sent:
    outcome: Outcome
    http_status: int | None
    latency_ms: float


class CredentialsMissing(Exception):
    pass


def credential(directory, reference):
    """The file `reference` names inside the credentials directory (never outside it: a target names files the
    operator put there, not any file the delivery process can read)."""
    root = Path(directory).resolve()
    path = (root / reference).resolve()
    if root not in path.parents:
        raise CredentialsMissing(f"{reference} is not a file in the credentials directory")
    if not path.is_file():
        raise CredentialsMissing(f"{path} does not exist")
    return str(path)


class Transports:
    """The senders of every target this process delivers to, one per target revision."""

    def __init__(self, credentials_dir):
        self.credentials_dir = credentials_dir
        self._senders = {}
        self._lock = threading.Lock()

    def send(self, target, document):
        started = time.monotonic()
        try:
            sender = self._sender(target)
            outcome, status = sender.send(document)
        except CredentialsMissing as exc:
            outcome, status = Outcome("transient", detail=f"credentials of target {target['name']}: {exc}"), None
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            outcome, status = Outcome("transient", detail=_short(f"{type(exc).__name__}: {exc}")), None
        return Sent(outcome, status, round((time.monotonic() - started) * 1000, 1))

    def _sender(self, target):
        revision = (target["id"], target["revision"])
        with self._lock:
            sender = self._senders.get(revision)
        if sender is None:
            cert = credential(self.credentials_dir, target["client_cert"])
            private_key = credential(self.credentials_dir, target["client_key"])
            ca = credential(self.credentials_dir, target["ca_cert"]) if target.get("ca_cert") else None
            if target["profile"] == "wsdl":
                session = requests.Session()
                session.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the target's CA
                session.cert, session.verify = (cert, private_key), ca or True
                session.mount("https://", requests.adapters.HTTPAdapter(
                    pool_connections=1, pool_maxsize=max(target["concurrency"], 1)))
                sender = WsdlSender(target, session)
            else:
                context = ssl.create_default_context(cafile=ca)  # None: the system's CAs
                context.load_cert_chain(cert, private_key)
                sender = EmbeddedSender(target, urllib3.PoolManager(
                    num_pools=2, maxsize=max(target["concurrency"], 1), ssl_context=context, retries=False,
                    timeout=urllib3.Timeout(connect=target["timeout_seconds"], read=target["timeout_seconds"])))
            with self._lock:
                stale = [k for k in self._senders if k[0] == target["id"] and k != revision]
                for k in stale:
                    self._senders.pop(k).close()
                self._senders[revision] = sender
        return sender

    def close(self):
        with self._lock:
            for sender in self._senders.values():
                sender.close()
            self._senders.clear()


class EmbeddedSender:
    """The default profile: POST the SOAP 1.1 envelope with the sealed element in its Body."""

    def __init__(self, target, pool):
        self.target = target
        self.pool = pool

    def send(self, document):
        answer = self.pool.request("POST", self.target["endpoint"], body=envelope(document),
                                   headers={"Content-Type": CONTENT_TYPE, "SOAPAction": SOAP_ACTION})
        return judge(answer.status, answer.data), answer.status

    def close(self):
        self.pool.clear()


class WsdlSender:
    """A target driven by its WSDL through zeep (read once per target revision)."""

    OPERATION = "submitInitialVehicleInformation"

    def __init__(self, target, session):
        from zeep import Client, Settings
        from zeep.transports import Transport

        self.target = target
        self.session = session
        transport = Transport(session=session, timeout=target["timeout_seconds"],
                              operation_timeout=target["timeout_seconds"])
        self.client = Client(target["wsdl"], transport=transport,
                             settings=Settings(strict=False, xml_huge_tree=False, forbid_dtd=True,
                                               forbid_entities=True, forbid_external=True))
        self.service = self.client.create_service(self._binding_name(), target["endpoint"])

    def _binding_name(self):
        for service in self.client.wsdl.services.values():
            for port in service.ports.values():
                if self.OPERATION in port.binding._operations:
                    return port.binding.name.text
        raise requests.exceptions.InvalidSchema(f"the WSDL has no operation {self.OPERATION}")

    def send(self, document):
        from zeep.exceptions import Fault, TransportError

        binding, options = self.service._binding, self.service._binding_options
        # zeep builds the request from the WSDL (binding, SOAPAction, headers); its Body then carries the sealed
        # element itself, parsed from the exact bytes, instead of what zeep rendered
        request, headers = binding._create(self.OPERATION, (), {}, client=self.client,
                                           options=options)
        body = request.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
        body[:] = [etree.fromstring(message_bytes(document), safe_parser(keep_bytes=True))]
        answer = self.client.transport.post_xml(options["address"], request, headers)
        try:
            response = binding.process_reply(self.client, binding.get(self.OPERATION), answer)
        except Fault as fault:
            code = str(fault.code or "")
            if code.split(":")[-1].startswith("Client"):
                return Outcome("rejected", errors=[{"code": "soap:Client", "path": None,
                                                    "message": _short(fault.message or "")}],
                               detail="SOAP Client fault"), answer.status_code
            return Outcome("transient", detail=_short(f"SOAP fault {code}: {fault.message}")), answer.status_code
        except TransportError:
            return Outcome("transient", detail=f"HTTP {answer.status_code}"), answer.status_code
        if answer.status_code >= 300:
            return Outcome("transient", detail=f"HTTP {answer.status_code}"), answer.status_code
        return _outcome_of(response), answer.status_code

    def close(self):
        self.session.close()


def _outcome_of(response):
    status = str(getattr(response, "Status", "") or "").strip().upper()
    receipt = getattr(response, "ReceiptId", None)
    duplicate = bool(getattr(response, "Duplicate", False))
    box = getattr(response, "Errors", None)
    errors = [{"code": str(e.Code or ""), "path": e.Path or None, "message": _short(str(e.Message or ""))}
              for e in (getattr(box, "Error", None) or [])]
    if status == "ACCEPTED":
        return Outcome("accepted", receipt_id=receipt, errors=errors, duplicate=duplicate)
    if status == "REJECTED" and errors and all(e["code"].upper() == "DUPLICATE" for e in errors):
        return Outcome("accepted", receipt_id=receipt, duplicate=True)
    if status == "REJECTED":
        return Outcome("rejected", receipt_id=receipt, errors=errors, detail="REJECTED")
    return Outcome("transient", detail=f"unknown Status {status!r}")


def _short(text, limit=1000):
    return text if len(text) <= limit else text[:limit] + "…"
