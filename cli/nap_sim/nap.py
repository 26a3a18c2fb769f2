"""What the simulated National Access Point does with one submission (plain Python; the HTTP server is apart).

In order: the envelope (a soap:Client fault when it is not one), injected transient faults (soap:Server), the
reference id (identical bytes already accepted: ACCEPTED again as a duplicate with the first receipt; other bytes
under a used reference id: REJECTED), the official schema, the seal against the trusted seal certificates, the
header rules (IviVersionNumber = previous + 1 per VIN; the first version a NAP sees of a VIN is 1), the chosen
plausibility rules and finally injected rejections. Everything received is kept for `GET /received`.
"""
import hashlib
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from common.ivi.reader import safe_parser
from common.ivi.schema import IVI_NS
from services.delivery.domain.soap import EnvelopeError, extract_message, fault, submit_response
from services.signing.domain.verify import verify_document

NS = {"i": IVI_NS}
RULES = ("vin", "mass", "dates")
DEFAULT_RULES = ("vin", "mass")


@dataclass
class Received:
    receipt_id: str
    reference_id: str | None
    vin: str | None
    version_number: int | None
    status: str  # ACCEPTED | REJECTED
    sha256: str
    client: str | None
    received_at: str
    errors: list = field(default_factory=list)
    duplicate: bool = False

    def as_dict(self):
        return dict(self.__dict__)


class TrustedSeals:
    """The seal certificates the NAP trusts: PEM files, and every `*.cert.pem`/`*.pem` in directories (read again
    when a directory changes: local-mode entities get their seals while the simulator runs)."""

    def __init__(self, paths):
        self.paths = [Path(p) for p in paths]
        self._seen = None
        self._certs = []

    def certificates(self):
        files = []
        for path in self.paths:
            if path.is_dir():
                files.extend(sorted(p for p in path.glob("*.pem") if not p.name.endswith(".key.pem")))
            elif path.is_file():
                files.append(path)
        stamp = [(str(f), f.stat().st_mtime_ns) for f in files]
        if stamp != self._seen:
            certs = []
            for f in files:
                data = f.read_bytes()
                if b"BEGIN CERTIFICATE" in data:
                    certs.append(data)
            self._certs, self._seen = certs, stamp
        return self._certs


class Nap:
    def __init__(self, validator=None, seals=None, rules=DEFAULT_RULES, faults=None):
        unknown = [r for r in rules if r not in RULES]
        if unknown:
            raise ValueError(f"unknown rules {', '.join(unknown)}; choose from {', '.join(RULES)}")
        self.validator = validator
        self.seals = seals or TrustedSeals([])
        self.rules = tuple(rules)
        self.faults = faults
        self.received = []
        self._by_reference = {}  # reference id -> Received of the bytes that passed the header checks
        self._versions = {}  # VIN -> (highest version that passed the header checks, its reference id)
        self._attempts = {}
        self._lock = threading.Lock()

    def submit(self, body, client=None):
        """(HTTP status, response bytes) for one request body."""
        try:
            document = extract_message(body)
        except EnvelopeError as exc:
            return 500, fault("Client", str(exc))
        header = _header(document)
        reference_id, vin, version = header
        with self._lock:
            attempt = self._attempts[reference_id] = self._attempts.get(reference_id, 0) + 1
        if self.faults is not None:
            reason = self.faults.transient(reference_id, vin, version, attempt)
            if reason:
                return 503, fault("Server", reason)
            time.sleep(self.faults.delay(reference_id, attempt))
        digest = hashlib.sha256(document).hexdigest()
        with self._lock:
            earlier = self._by_reference.get(reference_id)
        if earlier is not None and earlier.sha256 == digest and earlier.status == "ACCEPTED":
            return self._answer(Received(**{**earlier.as_dict(), "duplicate": True, "client": client,
                                            "received_at": _now()}), keep=True)
        errors = self._content_errors(document, header)
        with self._lock:
            earlier = self._by_reference.get(reference_id)
            if earlier is not None and earlier.sha256 != digest:
                errors.insert(0, _error("REFERENCE_ID_REUSED", "Header/IviReferenceId",
                                        f"IviReferenceId {reference_id} was already received with other content"))
            elif earlier is None and reference_id and vin and version is not None:
                errors.extend(self._sequence_errors(vin, version, reference_id))
            if not errors and self.faults is not None:
                reason = self.faults.rejection(reference_id, vin, version)
                if reason:
                    errors.append(_error("INJECTED", "", reason))
            record = Received(
                receipt_id=str(uuid.uuid4()), reference_id=reference_id, vin=vin, version_number=version,
                status="REJECTED" if errors else "ACCEPTED", sha256=digest, client=client, received_at=_now(),
                errors=errors)
            if reference_id and not any(e["code"] in ("REFERENCE_ID_REUSED", "VERSION_SEQUENCE", "HEADER")
                                        for e in errors):
                self._by_reference[reference_id] = record
                if vin and version is not None and version > self._versions.get(vin, (0, None))[0]:
                    self._versions[vin] = (version, reference_id)
        return self._answer(record, keep=True)

    def _answer(self, record, keep):
        if keep:
            with self._lock:
                self.received.append(record)
        return 200, submit_response(record.status, record.receipt_id, record.errors, duplicate=record.duplicate)

    def _sequence_errors(self, vin, version, reference_id):
        previous, _ = self._versions.get(vin, (0, None))
        if version != previous + 1:
            expected = "1 (the first version of a VIN)" if previous == 0 else f"{previous + 1} (previous + 1)"
            return [_error("VERSION_SEQUENCE", "Header/IviVersionNumber",
                           f"IviVersionNumber {version} for VIN {vin}: expected {expected}")]
        return []

    def _content_errors(self, document, header):
        reference_id, vin, version = header
        errors = []
        if not reference_id or not vin or version is None:
            errors.append(_error("HEADER", "Header", "IviReferenceId, IviVersionNumber and the VIN are required"))
        if self.validator is not None:
            errors.extend(_error("SCHEMA", issue.path, issue.message)
                          for issue in self.validator.validate_signed(document))
        if not errors:
            verdict = verify_document(document, self.seals.certificates())
            errors.extend(_error("SEAL", "Signature", reason) for reason in verdict.errors)
        if not errors:
            errors.extend(plausibility(document, self.rules))
        return errors

    def listing(self, vin=None):
        with self._lock:
            return [r.as_dict() for r in self.received if vin is None or r.vin == vin]


def plausibility(document, rules):
    """Errors of the chosen plausibility rules (a subset of what the authorities' checking module applies)."""
    root = etree.fromstring(document, safe_parser())
    coc = root.find("i:CocDataGroup", NS)
    errors = []
    vin = coc.findtext("i:VehicleIdentificationNumber", namespaces=NS) or ""
    if "vin" in rules and re.search(r"[IOQ]", vin):
        errors.append(_error("VIN", "CocDataGroup/VehicleIdentificationNumber",
                             "a VIN never contains the letters I, O or Q"))
    if "mass" in rules:
        actual, running = (_number(coc, f"i:MassGroup/i:{n}") for n in ("ActualMass", "MassInRunningOrder"))
        if actual is not None and running is not None and actual < running:
            errors.append(_error("MASS", "CocDataGroup/MassGroup/ActualMass",
                                 f"actual mass {actual:g} is below the mass in running order {running:g}"))
    if "dates" in rules:
        made = coc.findtext("i:DateManufactureVehicle", namespaces=NS)
        signed = coc.findtext("i:SigningAuthorityTable/i:SigningAuthorityGroup/i:SignatureDate", namespaces=NS)
        if made and signed and made > signed:
            errors.append(_error("DATES", "CocDataGroup/DateManufactureVehicle",
                                 f"manufactured {made}, after the signature date {signed}"))
    return errors


def _number(coc, path):
    try:
        return float(coc.findtext(path, namespaces=NS))
    except (TypeError, ValueError):
        return None


def _header(document):
    """(reference id, VIN, version) as the document states them (None where missing)."""
    root = etree.fromstring(document, safe_parser())
    reference_id = (root.findtext("i:Header/i:IviReferenceId", namespaces=NS) or "").strip() or None
    vin = (root.findtext("i:CocDataGroup/i:VehicleIdentificationNumber", namespaces=NS) or "").strip() or None
    try:
        version = int(root.findtext("i:Header/i:IviVersionNumber", namespaces=NS))
    except (TypeError, ValueError):
        version = None
    return reference_id, vin, version


def _error(code, path, message):
    return {"code": code, "path": path, "message": message}


def _now():
    return datetime.now(timezone.utc).isoformat()
