"""The `soap11-embedded` NAP profile on the wire: the request envelope, the answer and how an answer is judged.

Both sides use this module: the delivery service (`envelope`, `judge`) and the NAP simulator (`extract_message`,
`submit_response`, `fault`). The sealed `InitialVehicleInformation` element travels exactly as sealed (same bytes,
without the XML declaration) inside the SOAP 1.1 Body; the receiver lifts it into a document of its own with
only the namespaces it declares itself, because inclusive C14N would otherwise pick up the envelope's
declarations and break the seal's digest (see the domain notes on SOAP envelopes).
"""
import re
from dataclasses import dataclass, field

from lxml import etree

from common.ivi.reader import ROOT_TAG, safe_parser

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
NAP_NS = "urn:ecoc:nap:1"
SOAP_ACTION = '"submitInitialVehicleInformation"'
CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_ERRORS = 50

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")
_BOM = b"\xef\xbb\xbf"


class EnvelopeError(ValueError):
    """A request that is not a SOAP 1.1 envelope carrying one InitialVehicleInformation element."""


@dataclass
class Outcome:
    """What one attempt came to: `accepted`, `rejected` (the authority said no: work for a person) or `transient`
    (try again later). `duplicate`: the NAP already had these exact bytes (counts as accepted)."""

    kind: str
    receipt_id: str | None = None
    errors: list = field(default_factory=list)
    detail: str | None = None
    duplicate: bool = False


def message_bytes(document):
    """The sealed document as it goes into the Body: same bytes, without BOM and XML declaration."""
    data = bytes(document)
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    return _DECLARATION.sub(b"", data, count=1)


def envelope(document):
    """The SOAP 1.1 request for one sealed eCoC (bytes)."""
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<soap:Envelope xmlns:soap="' + SOAP_NS.encode() + b'"><soap:Body>'
            + message_bytes(document) + b"</soap:Body></soap:Envelope>")


def extract_message(body):
    """The InitialVehicleInformation of a request envelope as a document of its own (bytes), with only the
    namespace declarations it carries itself. EnvelopeError when the request is not such an envelope."""
    try:
        root = etree.fromstring(bytes(body), safe_parser(keep_bytes=True))
    except etree.XMLSyntaxError as exc:
        raise EnvelopeError(f"not well-formed XML: {exc}") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise EnvelopeError("a DOCTYPE is not allowed")
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise EnvelopeError(f"the root must be a SOAP 1.1 Envelope ({SOAP_NS}), not {root.tag}")
    body_el = root.find(f"{{{SOAP_NS}}}Body")
    children = [c for c in body_el if isinstance(c.tag, str)] if body_el is not None else []
    if len(children) != 1 or children[0].tag != ROOT_TAG:
        raise EnvelopeError("the Body must hold exactly one InitialVehicleInformation element")
    element = children[0]
    parent_ns = element.getparent().nsmap
    own = [prefix for prefix, uri in element.nsmap.items() if parent_ns.get(prefix) != uri]
    lifted = etree.fromstring(etree.tostring(element), safe_parser(keep_bytes=True))
    # what the element inherited from the envelope is dropped; what it declares itself stays (DOM import)
    etree.cleanup_namespaces(lifted, keep_ns_prefixes=[p for p in own if p is not None])
    return etree.tostring(lifted)


def submit_response(status, receipt_id=None, errors=(), duplicate=False):
    """The NAP's answer: Body/SubmitResponse {Status, ReceiptId, Duplicate, Errors/Error{Code, Path, Message}}."""
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    response = etree.SubElement(etree.SubElement(env, f"{{{SOAP_NS}}}Body"), f"{{{NAP_NS}}}SubmitResponse",
                                nsmap={None: NAP_NS})
    etree.SubElement(response, f"{{{NAP_NS}}}Status").text = status
    if receipt_id:
        etree.SubElement(response, f"{{{NAP_NS}}}ReceiptId").text = receipt_id
    if duplicate:
        etree.SubElement(response, f"{{{NAP_NS}}}Duplicate").text = "true"
    if errors:
        box = etree.SubElement(response, f"{{{NAP_NS}}}Errors")
        for error in errors:
            item = etree.SubElement(box, f"{{{NAP_NS}}}Error")
            for name in ("Code", "Path", "Message"):
                etree.SubElement(item, f"{{{NAP_NS}}}{name}").text = str(error.get(name.lower()) or "")
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def fault(code, message):
    """A SOAP 1.1 fault; `code` is `Client` (a rejection) or `Server` (transient)."""
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    item = etree.SubElement(etree.SubElement(env, f"{{{SOAP_NS}}}Body"), f"{{{SOAP_NS}}}Fault")
    etree.SubElement(item, "faultcode").text = f"soap:{code}"
    etree.SubElement(item, "faultstring").text = message
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def judge(http_status, body):
    """The outcome of one answer to a submission: HTTP status and body (bytes)."""
    root = None
    if body:
        try:
            root = etree.fromstring(bytes(body), safe_parser())
        except etree.XMLSyntaxError:
            root = None
    found = root.find(f"{{{SOAP_NS}}}Body") if root is not None and root.tag == f"{{{SOAP_NS}}}Envelope" else None
    if found is not None:
        failure = found.find(f"{{{SOAP_NS}}}Fault")
        if failure is not None:
            code = (failure.findtext("faultcode") or "").strip()
            text = (failure.findtext("faultstring") or "").strip()[:1000]
            if code.split(":")[-1].startswith("Client"):
                return Outcome("rejected", errors=[{"code": "soap:Client", "path": None, "message": text}],
                               detail=f"HTTP {http_status}: SOAP Client fault")
            return Outcome("transient", detail=f"HTTP {http_status}: SOAP fault {code or '?'}: {text}")
        response = found.find(f"{{{NAP_NS}}}SubmitResponse")
        if response is not None and 200 <= http_status < 300:
            return response_outcome(response, http_status)
    if http_status >= 500 or http_status in (408, 429):
        return Outcome("transient", detail=f"HTTP {http_status}")
    return Outcome("transient", detail=f"HTTP {http_status}: the answer is no SubmitResponse")


def response_outcome(response, http_status=200):
    """The outcome of a SubmitResponse element."""
    status = (response.findtext(f"{{{NAP_NS}}}Status") or "").strip().upper()
    receipt = (response.findtext(f"{{{NAP_NS}}}ReceiptId") or "").strip() or None
    duplicate = (response.findtext(f"{{{NAP_NS}}}Duplicate") or "").strip().lower() == "true"
    errors = [{"code": (e.findtext(f"{{{NAP_NS}}}Code") or "").strip()[:100],
               "path": (e.findtext(f"{{{NAP_NS}}}Path") or "").strip()[:500] or None,
               "message": (e.findtext(f"{{{NAP_NS}}}Message") or "").strip()[:1000]}
              for e in response.iterfind(f"{{{NAP_NS}}}Errors/{{{NAP_NS}}}Error")][:MAX_ERRORS]
    if status == "ACCEPTED":
        return Outcome("accepted", receipt_id=receipt, errors=errors, duplicate=duplicate)
    if status == "REJECTED" and errors and all(e["code"].upper() == "DUPLICATE" for e in errors):
        return Outcome("accepted", receipt_id=receipt, duplicate=True)  # the NAP has these exact bytes
    if status == "REJECTED":
        return Outcome("rejected", receipt_id=receipt, errors=errors, detail=f"HTTP {http_status}: REJECTED")
    return Outcome("transient", detail=f"HTTP {http_status}: unknown Status {status!r}")
