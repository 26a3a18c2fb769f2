"""Issuing eCoCs: compose a vehicle's CoC, build the IVI 2.0 message, check it against the schema, seal it
(the sealer rechecks its own seal, `seal_recheck`).

A vehicle of a release carries what its reviewers saw (`pinned`: approval id and revision, SHA-256 of the
composed content). It is composed from that approval revision and sealed only when the approval in force is
still that revision and the fresh composition has the same digest; otherwise it fails with the reason.

Plain Python and CPU-bound: the service runs `issue_batch` off the eventlet hub.
"""
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from common.approval_number import parse_approval_number
from common.composition import reviewed_content
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
    content_sha256: str  # of the composed content sealed (without the signing authority), as pinned for review
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


def pin_mismatch(pinned, resolution, digest):
    """Why a vehicle of a release must not be sealed as composed now, or None when it is what was reviewed."""
    if (resolution["approval_id"], resolution["revision"]) != (pinned["approval_id"], pinned["approval_revision"]):
        return (f"approval: revision {resolution['revision']} was resolved, revision {pinned['approval_revision']} "
                "was reviewed")
    if resolution.get("in_force_revision", resolution["revision"]) != pinned["approval_revision"]:
        return (f"approval: revision {resolution['in_force_revision']} of {resolution['number']} is in force since "
                f"the review of revision {pinned['approval_revision']}: the vehicle must be reviewed again")
    if digest != pinned["content_sha256"]:
        return (f"content: the composed CoC (sha256 {digest}) is not the content reviewed (sha256 "
                f"{pinned['content_sha256']}): the vehicle must be reviewed again")
    return None


def issue_batch(schema, validator, sealer, vehicles, resolved, signatory, next_versions, now=None,
                require_pin=False):
    """Seal one certificate per vehicle.

    `resolved[i]` is the approvals service's resolution for `vehicles[i]` (of its pinned revision, if any);
    `next_versions[vin]` the IviVersionNumber the new certificate gets; `require_pin`: a vehicle without a pin
    is refused (a release's). Each vehicle either gets an `Issued` or a `Failed` reason.
    """
    now = now or datetime.now(timezone.utc)
    result = BatchResult()
    cert = sealer.seal_key.certificate
    judged = {}  # organisations named -> (errors, warnings as dicts): the certificate is judged once per set
    for vehicle, resolution in zip(vehicles, resolved):
        vin = vehicle["vin"]
        pinned = vehicle.get("pinned")
        if pinned is None and require_pin:
            result.failed.append(Failed(vin, "content: no reviewed content is pinned for this vehicle"))
            continue
        if not resolution.get("ok"):
            result.failed.append(Failed(vin, f"approval: {resolution.get('message')}"))
            continue
        content, digest = reviewed_content(resolution["coc"], vehicle)
        mismatch = pin_mismatch(pinned, resolution, digest) if pinned is not None else None
        if mismatch:
            result.failed.append(Failed(vin, mismatch))
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
        coc = dict(content, SigningAuthorityTable=signing_authority(signatory, now.date()))
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
            approval_number=resolution["number"], approval_revision=resolution["revision"], content_sha256=digest,
            findings=[dict(w) for w in warnings],
        ))
    return result

