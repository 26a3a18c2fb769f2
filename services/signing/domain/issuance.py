"""Issuing eCoCs: compose a vehicle's CoC, build the IVI 2.0 message, check it against the schema, seal it
(the sealer rechecks its own seal, `seal_recheck`).

Plain Python and CPU-bound: the service runs `issue_batch` off the eventlet hub.
"""
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from common.approval_number import parse_approval_number
from common.composition import compose_coc
from common.ivi.writer import build_message
from services.signing.domain.seal import SealError, sha256_hex
from services.signing.domain.seal_checks import check_certificate


@dataclass
class Issued:
    vin: str
    reference_id: str
    version_number: int
    document: bytes
    sha256: str
    vehicle_revision: int
    approval_number: str
    approval_revision: int
    findings: list = field(default_factory=list)  # warnings about the seal, e.g. its certificate expires soon


@dataclass
class Failed:
    vin: str
    reason: str


@dataclass
class BatchResult:
    issued: list = field(default_factory=list)
    failed: list = field(default_factory=list)

    @property
    def warnings(self):
        """The distinct warning messages of the batch (for the log)."""
        return sorted({f["message"] for i in self.issued for f in i.findings})


def organisations_named(coc):
    """The manufacturer(s) and EU representative named in the type-level data."""
    names = [g.get("ManufacturerName") for g in coc.get("ManufacturerTable", []) if g.get("ManufacturerName")]
    rep = (coc.get("EURepresentativeGroup") or {}).get("EURepresentativeName")
    return names + ([rep] if rep else [])


def header_for(vehicle, approval_number, version_number, now):
    """The IVI header of a new message: a new reference id, the version number it gets, the moment as the
    samples write it (milliseconds and offset, e.g. 2024-02-01T13:35:10.500+02:00); the intended country
    only when the vehicle names one; the approval authority from section 1 of the approval number."""
    return {
        "IviReferenceId": str(uuid.uuid4()),
        "IviVersionNumberXsd": "2.0",
        "IviVersionNumber": version_number,
        "IviVersionDateTime": now.isoformat(timespec="milliseconds"),
        "IntendedCountryRegistration": vehicle.get("intended_country") or None,
        "DesignatedTypeApprovalCountry": parse_approval_number(approval_number).member_state,
    }


def signing_authority(signatory, today):
    return [{"SignerName": signatory["name"], "SignerPosition": signatory["position"],
             "SignatureLocation": signatory["location"], "SignatureDate": today.isoformat()}]


def issue_batch(schema, validator, sealer, vehicles, resolved, signatory, next_versions, now=None):
    """Seal one certificate per vehicle.

    `resolved[i]` is the approvals service's resolution for `vehicles[i]`; `next_versions[vin]` the
    IviVersionNumber the new certificate gets. Each vehicle either gets an `Issued` or a `Failed` reason.
    """
    now = now or datetime.now(timezone.utc)
    result = BatchResult()
    cert = sealer.seal_key.certificate
    judged = {}  # organisations named -> (errors, warnings as dicts): the certificate is judged once per set
    for vehicle, resolution in zip(vehicles, resolved):
        vin = vehicle["vin"]
        if not resolution.get("ok"):
            result.failed.append(Failed(vin, f"approval: {resolution.get('message')}"))
            continue
        organisations = organisations_named(resolution["coc"])
        key = tuple(organisations)
        if key not in judged:
            findings = check_certificate(cert, now, organisations)
            judged[key] = ([f.message for f in findings if f.severity == "error"],
                           [asdict(f) for f in findings if f.severity == "warning"])
        errors, warnings = judged[key]
        if errors:
            result.failed.append(Failed(vin, "seal certificate: " + "; ".join(errors)))
            continue
        coc = compose_coc(resolution["coc"], vehicle, share=True)
        coc["SigningAuthorityTable"] = signing_authority(signatory, now.date())
        header = header_for(vehicle, resolution["number"], next_versions[vin], now)
        try:
            root = build_message(schema, header, coc)
        except ValueError as exc:
            result.failed.append(Failed(vin, f"data: {exc}"))
            continue
        if validator is not None:
            draft_issues = validator.validate_draft(root)
            if draft_issues:
                result.failed.append(Failed(vin, "schema: " + "; ".join(i.message for i in draft_issues[:5])))
                continue
        try:
            document = sealer.seal(root)
        except SealError as exc:
            result.failed.append(Failed(vin, f"seal: {exc}"))
            continue
        result.issued.append(Issued(
            vin=vin, reference_id=header["IviReferenceId"], version_number=header["IviVersionNumber"],
            document=document, sha256=sha256_hex(document), vehicle_revision=vehicle["revision"],
            approval_number=resolution["number"], approval_revision=resolution["revision"],
            findings=[dict(w) for w in warnings],
        ))
    return result

