"""The EUCARIS seal profile as structural rules: the sealer asserts its own output with them, the verifier
judges a received document with them before any cryptography.

Plain profile: one ``ds:Reference URI=""`` with only the enveloped-signature transform, no ``ds:Object``.
XAdES baseline-B: that same document reference first, then same-document references to this signature's
``xades:SignedProperties`` (required) and ``ds:KeyInfo`` (optional), each with at most one C14N transform,
and one ``ds:Object`` holding only ``xades:QualifyingProperties`` that targets this signature.
"""

from __future__ import annotations

from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod, SignatureMethod

from common.ivi.reader import SIGNATURE_TAG
from common.ivi.schema import DS_NS

C14N_EXC = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0.value
C14N_INCLUSIVE = CanonicalizationMethod.CANONICAL_XML_1_0.value
SIG_RSA_SHA256 = SignatureMethod.RSA_SHA256.value
SIG_ECDSA_SHA256 = SignatureMethod.ECDSA_SHA256.value
ALLOWED_SIGNATURE_METHODS = (SIG_RSA_SHA256, SIG_ECDSA_SHA256)
DIGEST_SHA256 = DigestAlgorithm.SHA256.value
TRANSFORM_ENVELOPED = SignatureConstructionMethod.enveloped.value
# XML-DSig: when a Reference's Transforms end on a node-set (only the enveloped transform here), the node
# set is turned into octets with inclusive Canonical XML 1.0. xmlsec1, Santuario and .NET do so.
REFERENCE_DEFAULT_C14N = CanonicalizationMethod.CANONICAL_XML_1_0

XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
XADES_SIGNED_PROPERTIES = "http://uri.etsi.org/01903#SignedProperties"
QUALIFYING_PROPERTIES_TAG = f"{{{XADES_NS}}}QualifyingProperties"
SIGNED_PROPERTIES_TAG = f"{{{XADES_NS}}}SignedProperties"

REASON_UNSIGNED = "document is not sealed: it has no ds:Signature"

NS = {"ds": DS_NS, "xades": XADES_NS}


def is_xades(signature: etree._Element) -> bool:
    return signature.find("ds:Object", NS) is not None


def profile_errors(root: etree._Element) -> list[str]:
    """Every way the document's seal deviates from the profile ([] when it conforms)."""
    signatures = list(root.iter(SIGNATURE_TAG))
    if not signatures:
        return [REASON_UNSIGNED]
    if len(signatures) > 1:
        return [f"document contains {len(signatures)} ds:Signature elements; exactly one is allowed"]
    sig = signatures[0]
    children = [c for c in root if isinstance(c.tag, str)]
    if sig.getparent() is not root or children[-1] is not sig:
        return ["ds:Signature must be the last child of the root InitialVehicleInformation (signature moved or "
                "signed content wrapped)"]
    signed_info = sig.find("ds:SignedInfo", NS)
    if signed_info is None:
        return ["ds:Signature has no ds:SignedInfo"]

    errors: list[str] = []
    c14n = signed_info.find("ds:CanonicalizationMethod", NS)
    if c14n is None or c14n.get("Algorithm") != C14N_EXC or len(c14n):
        errors.append(f"CanonicalizationMethod must be {C14N_EXC}, got {None if c14n is None else c14n.get('Algorithm')}")
    method = signed_info.find("ds:SignatureMethod", NS)
    method_alg = None if method is None else method.get("Algorithm")
    if method_alg not in ALLOWED_SIGNATURE_METHODS:
        errors.append(f"SignatureMethod must be {SIG_RSA_SHA256} (or {SIG_ECDSA_SHA256}), got {method_alg}")

    references = signed_info.findall("ds:Reference", NS)
    if is_xades(sig):
        errors.extend(_xades_errors(root, sig, references[1:]))
    elif len(references) != 1:
        errors.append(f"exactly one ds:Reference is required, found {len(references)}")
    if references:
        errors.extend(_document_reference_errors(references[0]))
    for ref in references:
        digest = ref.find("ds:DigestMethod", NS)
        digest_alg = None if digest is None else digest.get("Algorithm")
        if digest_alg != DIGEST_SHA256:
            errors.append(f"DigestMethod must be {DIGEST_SHA256}, got {digest_alg}")
    if sig.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS) is None:
        errors.append("the seal certificate is missing (KeyInfo/X509Data/X509Certificate)")
    return errors


def _transforms(reference: etree._Element) -> list[str | None]:
    return [t.get("Algorithm") for t in reference.findall("ds:Transforms/ds:Transform", NS)]


def _document_reference_errors(ref: etree._Element) -> list[str]:
    errors = []
    if ref.get("URI") != "":
        errors.append(f'the first ds:Reference must have URI="" (whole document), got URI={ref.get("URI")!r}')
    if _transforms(ref) != [TRANSFORM_ENVELOPED]:
        errors.append(f"the ds:Reference must have exactly the enveloped-signature transform, got {_transforms(ref)}")
    return errors


def _elements(node: etree._Element) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str)]


def _xades_errors(root: etree._Element, sig: etree._Element, property_refs: list[etree._Element]) -> list[str]:
    objects = sig.findall("ds:Object", NS)
    if len(objects) != 1:
        return [f"one ds:Object (the XAdES QualifyingProperties) is allowed, found {len(objects)}"]
    content = _elements(objects[0])
    if len(content) != 1 or content[0].tag != QUALIFYING_PROPERTIES_TAG:
        return ["ds:Object may only hold xades:QualifyingProperties (XAdES 1.3.2)"]
    qualifying = content[0]
    errors = []
    if not sig.get("Id") or qualifying.get("Target") != f"#{sig.get('Id')}":
        errors.append("xades:QualifyingProperties must target this ds:Signature (Target=\"#<Signature Id>\")")
    if [c.tag for c in _elements(qualifying)] != [SIGNED_PROPERTIES_TAG]:
        errors.append("xades:QualifyingProperties must hold exactly xades:SignedProperties (XAdES baseline-B)")

    targets = {}
    for name, element in (("SignedProperties", qualifying.find("xades:SignedProperties", NS)),
                          ("KeyInfo", sig.find("ds:KeyInfo", NS))):
        if element is not None and element.get("Id"):
            targets[element.get("Id")] = name
    signed = []
    for ref in property_refs:
        uri = ref.get("URI") or ""
        target = targets.get(uri[1:]) if uri.startswith("#") else None
        if target is None or target in signed:
            errors.append(f"ds:Reference URI={uri!r} must point once to this signature's xades:SignedProperties "
                          "or ds:KeyInfo")
            continue
        signed.append(target)
        if (target == "SignedProperties") != (ref.get("Type") == XADES_SIGNED_PROPERTIES):
            errors.append(f"only the reference to xades:SignedProperties has Type={XADES_SIGNED_PROPERTIES}")
        if _transforms(ref) not in ([], [C14N_EXC], [C14N_INCLUSIVE]):
            errors.append(f"the ds:Reference to {target} may only canonicalise, got transforms {_transforms(ref)}")
        if len(_with_id(root, uri[1:])) != 1:
            errors.append(f"Id {uri[1:]!r} occurs more than once in the document: the reference is ambiguous")
    if "SignedProperties" not in signed:
        errors.append("the xades:SignedProperties are not signed (no ds:Reference to them)")
    return errors


def _with_id(root: etree._Element, value: str) -> list:
    """Elements carrying ``value`` in an Id/ID attribute of any namespace, as signxml resolves "#value"."""
    return root.xpath("//*[@*[local-name() = 'Id' or local-name() = 'ID'] = $value]", value=value)
