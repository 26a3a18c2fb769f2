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

With ``xades=True`` the same seal becomes XAdES baseline-B (ETSI EN 319 132-1): ``ds:Signature`` gets an
``Id``, a ``ds:Object`` carries ``xades:QualifyingProperties/xades:SignedProperties`` (SigningTime,
SigningCertificateV2, DataObjectFormat) and SignedInfo two more references, to the SignedProperties and to
the KeyInfo. The document reference stays the first one, ``URI=""`` with only the enveloped transform. The
IVI schema accepts this: its ``ds:Signature`` is the W3C type, whose ``ds:Object`` holds any content (lax).

The plain profile is built by `enveloped.sign_enveloped`; the XAdES variant by signxml's XAdES signer. Both
leave the sealer only after `_assert_profile` and `seal_recheck.recheck_seal` have passed.

The returned bytes are final: nothing may re-serialise them (pretty-printing breaks the seal).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod
from signxml.util import ds_tag
from signxml.xades import XAdESDataObjectFormat, XAdESSigner

from common.ivi.reader import ROOT_TAG, SIGNATURE_TAG, safe_parser
from common.ivi.schema import DS_NS, IVI_NS  # noqa: F401 - IVI_NS: part of this module's interface

from .enveloped import sign_enveloped
from .keys import SealKey
from .profile import NS, REFERENCE_DEFAULT_C14N, SIG_ECDSA_SHA256, SIG_RSA_SHA256, is_xades, profile_errors
from .seal_recheck import recheck_seal


ALGORITHMS = {
    "rsa-sha256": SIG_RSA_SHA256,
    SIG_RSA_SHA256: SIG_RSA_SHA256,
    "ecdsa-sha256": SIG_ECDSA_SHA256,
    SIG_ECDSA_SHA256: SIG_ECDSA_SHA256,
}
XADES_DATA_OBJECT_FORMAT = XAdESDataObjectFormat(Description="eCoC: IVI 2.0 InitialVehicleInformation",
                                                 MimeType="text/xml")


def algorithm_for(private_key) -> str:
    """The seal algorithm a key implies: RSA keys seal with rsa-sha256, EC keys with ecdsa-sha256."""
    return "ecdsa-sha256" if isinstance(private_key, ec.EllipticCurvePrivateKey) else "rsa-sha256"


class SealError(Exception):
    """The document cannot be sealed (wrong root, already signed, unexpected signature shape)."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _DocumentReferenceC14n:
    """Digests the document Reference the way its Transforms element says.

    With ``exclude_c14n_transform_element=True`` signxml 5.2 still canonicalises the referenced data with the
    SignedInfo algorithm (exclusive C14N) although no such transform is listed; a conforming verifier uses
    inclusive C14N 1.0 there. For a whole document the two usually give the same octets, but not when a
    namespace is declared on an ancestor of the element that uses it. Pin the reference c14n explicitly.
    """

    def _unpack(self, data, references):
        sig_root, doc_root, c14n_inputs, refs = super()._unpack(data, references)
        refs = [replace(r, c14n_method=REFERENCE_DEFAULT_C14N) for r in refs]
        return sig_root, doc_root, c14n_inputs, refs


class _XadesProfileSigner(_DocumentReferenceC14n, XAdESSigner):
    """signxml's XAdES signer, with the references to SignedProperties and KeyInfo made interoperable.

    signxml 5.2 digests those two elements with exclusive C14N but lists no transform on their references,
    so a conforming verifier (xmlsec1) falls back to inclusive C14N 1.0, which also renders the IVI default
    namespace in scope from the root: the digests differ. Listing the exclusive C14N transform says what was
    digested.
    """

    def _add_reference_to_signed_info(self, sig_root, node_to_reference, **attrs):
        signed_info = self._find(sig_root, "SignedInfo")
        reference = etree.SubElement(signed_info, ds_tag("Reference"), nsmap=self.namespaces)
        reference.set("URI", f"#{node_to_reference.get('Id')}")
        for name, value in attrs.items():
            reference.set(name, value)
        transforms = etree.SubElement(reference, ds_tag("Transforms"))
        etree.SubElement(transforms, ds_tag("Transform"), Algorithm=self.c14n_alg.value)
        etree.SubElement(reference, ds_tag("DigestMethod"), Algorithm=self.digest_alg.value)
        digest = self._get_digest(self._c14n(node_to_reference, algorithm=self.c14n_alg), algorithm=self.digest_alg)
        etree.SubElement(reference, ds_tag("DigestValue")).text = base64.b64encode(digest).decode("ascii")


def _normalised_copy(root: etree._Element) -> etree._Element:
    """A detached copy of the document without indentation-only text (element-only content)."""
    parser = safe_parser()
    return etree.fromstring(etree.tostring(root), parser)


class Sealer:
    """Seals IVI documents with one seal key. Thread-safe; the key object is reused for every call.

    ``algorithm`` defaults to what the key implies (``algorithm_for``); ``xades`` adds XAdES baseline-B.
    """

    def __init__(self, seal_key: SealKey, algorithm: str | None = None, *, xades: bool = False,
                 include_chain: bool = False):
        algorithm = algorithm or algorithm_for(seal_key.private_key)
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
        self.xades = xades
        certs = [seal_key.certificate, *(seal_key.chain if include_chain else [])]
        # Single-line base64 like the official samples (signxml would wrap it at 64 columns).
        self._cert_b64 = [base64.b64encode(c.public_bytes(Encoding.DER)).decode("ascii") for c in certs]

    def _key_info(self) -> etree._Element:
        key_info = etree.Element(f"{{{DS_NS}}}KeyInfo", nsmap={"ds": DS_NS})
        x509_data = etree.SubElement(key_info, f"{{{DS_NS}}}X509Data")
        for b64 in self._cert_b64:
            etree.SubElement(x509_data, f"{{{DS_NS}}}X509Certificate").text = b64
        return key_info

    def _xades_signer(self) -> XAdESSigner:
        """A new signxml XAdES signer per document (it keeps state while signing)."""
        return _XadesProfileSigner(
            data_object_format=XADES_DATA_OBJECT_FORMAT,
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=self.signature_method,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )

    def seal(self, unsigned_root: etree._Element) -> bytes:
        """Return the sealed document as final UTF-8 bytes with an XML declaration, rechecked (`recheck_seal`).

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

        if self.xades:
            signed_root = self._xades_signer().sign(
                doc,
                key=self.seal_key.private_key,
                key_info=self._key_info(),
                cert=[self.seal_key.certificate],  # for SigningCertificateV2
                exclude_c14n_transform_element=True,
                always_add_key_value=False,
            )
        else:
            sign_enveloped(doc, self.seal_key.private_key, self.signature_method, self._key_info())
            signed_root = doc
        self._assert_profile(signed_root)
        data = etree.tostring(signed_root, xml_declaration=True, encoding="UTF-8")
        problems = recheck_seal(data, self.seal_key.certificate.public_key())
        if problems:
            raise SealError("the seal just made does not verify: " + "; ".join(problems))
        return data

    def _assert_profile(self, root: etree._Element) -> None:
        """The output must be exactly the profile's shape (guards the builder here and signxml's behaviour alike)."""
        problems = profile_errors(root)
        sig = root[-1]
        allowed = {"Id"} if self.xades else set()
        if set(sig.attrib) - allowed:
            problems.append(f"unexpected attributes on ds:Signature: {dict(sig.attrib)}")
        if is_xades(sig) != self.xades:
            problems.append("XAdES properties present" if not self.xades else "XAdES properties missing")
        document_ref = sig.find("ds:SignedInfo/ds:Reference", NS)
        if document_ref is not None and set(document_ref.attrib) - {"URI"} - allowed:
            problems.append(f"unexpected attributes on the document ds:Reference: {dict(document_ref.attrib)}")
        if sig.find(".//ds:KeyValue", NS) is not None:
            problems.append("KeyInfo must hold X509Data/X509Certificate only")
        if problems:
            raise SealError("signature does not match the EUCARIS profile: " + "; ".join(problems))
