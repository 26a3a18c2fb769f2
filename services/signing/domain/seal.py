"""Sealing an IVI 2.0 message: enveloped XML-DSig over the whole document (EUCARIS profile).

Profile (eCoC IVI setup manual, domain.md section 5)::

    <ds:Signature>                      last child of <InitialVehicleInformation>, no Id
      <ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
        <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
        <ds:Reference URI="">           exactly one
          <ds:Transforms><ds:Transform Algorithm="...#enveloped-signature"/></ds:Transforms>
          <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
          <ds:DigestValue>...</ds:DigestValue>
      <ds:SignatureValue>...</ds:SignatureValue>
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>...</ds:X509Certificate></ds:X509Data></ds:KeyInfo>

The returned bytes are final: nothing may re-serialise them (pretty-printing breaks the seal).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod, SignatureMethod

from common.ivi.reader import ROOT_TAG, SIGNATURE_TAG, safe_parser
from common.ivi.schema import DS_NS, IVI_NS

from .keys import SealKey


C14N_EXC = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0.value
SIG_RSA_SHA256 = SignatureMethod.RSA_SHA256.value
SIG_ECDSA_SHA256 = SignatureMethod.ECDSA_SHA256.value
DIGEST_SHA256 = DigestAlgorithm.SHA256.value
TRANSFORM_ENVELOPED = SignatureConstructionMethod.enveloped.value
# XML-DSig: when a Reference's Transforms end on a node-set (only the enveloped transform here), the node
# set is turned into octets with inclusive Canonical XML 1.0. xmlsec1, Santuario and .NET do so.
REFERENCE_DEFAULT_C14N = CanonicalizationMethod.CANONICAL_XML_1_0

ALGORITHMS = {
    "rsa-sha256": SIG_RSA_SHA256,
    SIG_RSA_SHA256: SIG_RSA_SHA256,
    "ecdsa-sha256": SIG_ECDSA_SHA256,
    SIG_ECDSA_SHA256: SIG_ECDSA_SHA256,
}



class SealError(Exception):
    """The document cannot be sealed (wrong root, already signed, unexpected signature shape)."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _ProfileSigner(XMLSigner):
    """signxml signer that digests the Reference the way the Transforms element says.

    With ``exclude_c14n_transform_element=True`` signxml 5.2 still canonicalises the referenced data with the
    SignedInfo algorithm (exclusive C14N) although no such transform is listed; a conforming verifier uses
    inclusive C14N 1.0 there. For a whole document the two usually give the same octets, but not when a
    namespace is declared on an ancestor of the element that uses it. Pin the reference c14n explicitly.
    """

    def _unpack(self, data, references):
        sig_root, doc_root, c14n_inputs, refs = super()._unpack(data, references)
        refs = [replace(r, c14n_method=REFERENCE_DEFAULT_C14N) for r in refs]
        return sig_root, doc_root, c14n_inputs, refs


def _normalised_copy(root: etree._Element) -> etree._Element:
    """A detached copy of the document without indentation-only text (element-only content)."""
    parser = safe_parser()
    return etree.fromstring(etree.tostring(root), parser)


class Sealer:
    """Seals IVI documents with one seal key. Thread-safe; the key object is reused for every call."""

    def __init__(self, seal_key: SealKey, algorithm: str = "rsa-sha256", *, include_chain: bool = False):
        try:
            self.signature_method = ALGORITHMS[algorithm]
        except KeyError:
            raise ValueError(f"unsupported seal algorithm {algorithm!r}: use 'rsa-sha256' or 'ecdsa-sha256'") from None
        key = seal_key.private_key
        if self.signature_method == SIG_RSA_SHA256:
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError("rsa-sha256 needs an RSA key")
            if key.key_size < 2048:
                raise ValueError(f"RSA-{key.key_size} is too small for a seal (use RSA-3072 or larger)")
        elif not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("ecdsa-sha256 needs an EC key")
        self.seal_key = seal_key
        certs = [seal_key.certificate, *(seal_key.chain if include_chain else [])]
        # Single-line base64 like the official samples (signxml would wrap it at 64 columns).
        self._cert_b64 = [base64.b64encode(c.public_bytes(Encoding.DER)).decode("ascii") for c in certs]

    def _key_info(self) -> etree._Element:
        key_info = etree.Element(f"{{{DS_NS}}}KeyInfo", nsmap={"ds": DS_NS})
        x509_data = etree.SubElement(key_info, f"{{{DS_NS}}}X509Data")
        for b64 in self._cert_b64:
            etree.SubElement(x509_data, f"{{{DS_NS}}}X509Certificate").text = b64
        return key_info

    def _signer(self) -> XMLSigner:
        signer = _ProfileSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=self.signature_method,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        return signer

    def seal(self, unsigned_root: etree._Element) -> bytes:
        """Return the sealed document as final UTF-8 bytes with an XML declaration.

        The input element is not modified. Whitespace-only text between elements is dropped before
        signing, so the output is never pretty-printed.
        """
        if not isinstance(unsigned_root, etree._Element):
            raise SealError("seal() expects an lxml element")
        if unsigned_root.tag != ROOT_TAG:
            raise SealError(f"root element must be {ROOT_TAG}, got {unsigned_root.tag}")
        if any(True for _ in unsigned_root.iter(SIGNATURE_TAG)):
            raise SealError("document already contains a ds:Signature; seal the unsigned document")
        doc = _normalised_copy(unsigned_root)
        if doc.get("Id") is not None or doc.get("ID") is not None:
            # signxml would then reference "#<id>" instead of the whole document (URI="").
            raise SealError("the root element must not carry an Id attribute")

        signed_root = self._signer().sign(
            doc,
            key=self.seal_key.private_key,
            key_info=self._key_info(),
            exclude_c14n_transform_element=True,
        )
        self._assert_profile(signed_root)
        return etree.tostring(signed_root, xml_declaration=True, encoding="UTF-8")

    def _assert_profile(self, root: etree._Element) -> None:
        """Guard against signxml behaviour changes: the output must be exactly the profile's shape."""
        ns = {"ds": DS_NS}
        signatures = list(root.iter(SIGNATURE_TAG))
        elements = [c for c in root if isinstance(c.tag, str)]
        problems = []
        if len(signatures) != 1 or elements[-1] is not signatures[0]:
            problems.append("ds:Signature is not the single last child of the root")
        sig = signatures[0]
        if sig.attrib:
            problems.append(f"unexpected attributes on ds:Signature: {dict(sig.attrib)}")
        refs = sig.findall("ds:SignedInfo/ds:Reference", ns)
        if len(refs) != 1 or refs[0].get("URI") != "" or len(refs[0].attrib) != 1:
            problems.append("expected exactly one ds:Reference with URI=\"\" and no other attributes")
        transforms = [t.get("Algorithm") for t in sig.findall("ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform", ns)]
        if transforms != [TRANSFORM_ENVELOPED]:
            problems.append(f"unexpected transforms {transforms}")
        c14n = sig.find("ds:SignedInfo/ds:CanonicalizationMethod", ns)
        if c14n is None or c14n.get("Algorithm") != C14N_EXC or len(c14n):
            problems.append("unexpected CanonicalizationMethod")
        if sig.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns) is None or sig.find(".//ds:KeyValue", ns) is not None:
            problems.append("KeyInfo must hold X509Data/X509Certificate only")
        if problems:
            raise SealError("signature does not match the EUCARIS profile: " + "; ".join(problems))
