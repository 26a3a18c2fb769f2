"""Reading what the legacy system issued: one eCoC, or a zip of many, as exact bytes.

`unpack(data)` gives `[(name, bytes)]`: a zip's XML members (bounded in number and size: the input is untrusted),
or the single document. `read_document(name, data, schema, ivi111)` tells IVI 2.0 from IVI 1.11 by the root
element's namespace and gives a `LegacyDocument`: the CoC in IVI 2.0 terms (an IVI 1.11 message is converted, with
its conversion report), the header facts (reference id, version number) and the seal check. The bytes are never
changed: what is stored is exactly what was received.

The seal of a legacy document need not be one this installation trusts (the old system sealed with its own key):
`seal_of` checks it against the certificate embedded in it, which proves the bytes are intact since sealing, and
records `trusted: false` with the signer it names. A document without a signature is recorded as `absent`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import zipfile
from dataclasses import dataclass, field

from cryptography import x509
from lxml import etree

from common.ivi import IVI_NS, IviFormatError, read_ivi
from common.ivi.reader import parse_untrusted
from common.ivi.schema import DS_NS

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"


class LegacyInputError(ValueError):
    """A document or archive that cannot be taken; `field` names where (e.g. the zip member)."""

    def __init__(self, message, field="_body"):
        super().__init__(message)
        self.field = field


@dataclass
class LegacyDocument:
    name: str
    data: bytes
    format: str  # "ivi2.0" | "ivi1.11"
    vin: str
    header: dict
    coc: dict
    seal: dict
    conversion: dict | None = None
    sha256: str = field(init=False)

    def __post_init__(self):
        self.sha256 = hashlib.sha256(self.data).hexdigest()

    @property
    def reference_id(self):
        return self.header.get("IviReferenceId")

    @property
    def version_number(self):
        number = self.header.get("IviVersionNumber")
        return number if isinstance(number, int) else None


def unpack(data: bytes):
    """`[(name, bytes)]` of a zip's `.xml` members, or `[("document.xml", data)]` for a single document."""
    if not data:
        raise LegacyInputError("The body is empty: send an eCoC XML document or a zip of them.")
    if not data.startswith(ZIP_MAGIC):
        return [("document.xml", bytes(data))]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except zipfile.BadZipFile as exc:
        raise LegacyInputError(f"The zip archive cannot be read: {exc}") from None
    if len(members) > MAX_MEMBERS:
        raise LegacyInputError(f"The zip holds {len(members)} files; at most {MAX_MEMBERS} per request.")
    if sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
        raise LegacyInputError(f"The zip unpacks to more than {MAX_TOTAL_BYTES} bytes.")
    out = []
    for member in members:
        if not member.filename.lower().endswith(".xml"):
            raise LegacyInputError("only .xml files belong in the archive", member.filename)
        if member.file_size > MAX_MEMBER_BYTES:
            raise LegacyInputError(f"larger than {MAX_MEMBER_BYTES} bytes", member.filename)
        with archive.open(member) as handle:
            content = handle.read(MAX_MEMBER_BYTES + 1)  # the size in the directory may lie
        if len(content) > MAX_MEMBER_BYTES:
            raise LegacyInputError(f"larger than {MAX_MEMBER_BYTES} bytes", member.filename)
        out.append((member.filename, content))
    if not out:
        raise LegacyInputError("The zip holds no XML document.")
    return out


def read_document(name, data, schema, convert_111=None, seal_check=None):
    """The `LegacyDocument` of one received document; LegacyInputError naming `name` when it is not one.

    `convert_111(data) -> (header, coc, report)` reads an IVI 1.11 message (None: 1.11 is refused);
    `seal_check(data) -> dict` checks an IVI 2.0 seal (None: recorded as not checked)."""
    try:
        root = parse_untrusted(data).getroot()
    except IviFormatError as exc:
        raise LegacyInputError(str(exc), name) from None
    qname = etree.QName(root)
    if qname.localname != "InitialVehicleInformation":
        raise LegacyInputError(f"the root element is {qname.localname}, not InitialVehicleInformation", name)
    if qname.namespace == IVI_NS:
        try:
            message = read_ivi(data, schema)
        except IviFormatError as exc:
            raise LegacyInputError(f"not a readable IVI 2.0 message: {exc}", name) from None
        header, coc, conversion, fmt = message["header"], message["coc"], None, "ivi2.0"
        seal = seal_check(data) if seal_check else {"status": "not_checked", "trusted": False, "errors": []}
    elif qname.namespace is None:
        if convert_111 is None:
            raise LegacyInputError("IVI 1.11 messages cannot be converted here: no 1.11 schema is configured", name)
        header, coc, conversion = convert_111(data, name)
        fmt = "ivi1.11"
        has_signature = root.find(f"{{{DS_NS}}}Signature") is not None
        seal = {"status": "not_checked" if has_signature else "absent", "trusted": False, "errors": [],
                "note": "IVI 1.11 seals are not checked: the EUCARIS profile applies to IVI 2.0"}
    else:
        raise LegacyInputError(f"unknown IVI namespace {qname.namespace}", name)
    vin = coc.get("VehicleIdentificationNumber")
    if not isinstance(vin, str) or len(vin) != 17:
        raise LegacyInputError("the document names no 17-character VehicleIdentificationNumber", name)
    return LegacyDocument(name=name, data=bytes(data), format=fmt, vin=vin, header=header, coc=coc, seal=seal,
                          conversion=conversion)


def seal_of(data, schema_validator=None):
    """The legacy seal checked against its own embedded certificate (intact bytes), never trusted."""
    from services.signing.domain.verify import verify_document  # signing's one verifier of the EUCARIS profile

    root = parse_untrusted(data).getroot()
    if root.find(f"{{{DS_NS}}}Signature") is None:
        return {"status": "absent", "trusted": False, "errors": ["the document carries no ds:Signature"]}
    text = root.findtext(f"{{{DS_NS}}}Signature/{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode("".join((text or "").split()), validate=True))
    except (ValueError, binascii.Error):
        return {"status": "broken", "trusted": False, "errors": ["the embedded X509Certificate cannot be read"]}
    result = verify_document(data, [certificate], schema_validator)
    signer = result.signer
    return {"status": "intact" if result.valid else "broken", "trusted": False, "errors": result.errors,
            "signer": {"organisation": signer.organisation, "common_name": signer.common_name,
                       "fingerprint_sha256": signer.fingerprint_sha256} if signer else None}
