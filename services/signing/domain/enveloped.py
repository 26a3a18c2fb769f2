"""The plain EUCARIS seal, made here: one enveloped XML-DSig signature over the whole document.

    digest    = sha256(inclusive C14N 1.0 of the document, before the signature is added)
                (what the enveloped-signature transform leaves, turned into octets as XML-DSig says for a
                reference whose transforms end on a node set)
    signature = key.sign(exclusive C14N of ds:SignedInfo, in place in the document)

RSA keys sign with PKCS#1 v1.5 and SHA-256 (rsa-sha256), EC keys with ECDSA and SHA-256 written as r || s,
each as long as the curve's order (ecdsa-sha256, RFC 4050 / XML-DSig 1.1). The XAdES variant is made by
signxml (`seal._XadesProfileSigner`); both are checked by `Sealer._assert_profile` and `seal_recheck`.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from lxml import etree

from common.ivi.schema import DS_NS

from .profile import C14N_EXC, DIGEST_SHA256, TRANSFORM_ENVELOPED


def _ds(name: str) -> str:
    return f"{{{DS_NS}}}{name}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def signature_value(private_key, data: bytes) -> bytes:
    """The SignatureValue octets of `data` (the canonical SignedInfo) under the seal key."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        r, s = utils.decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
        size = (private_key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    raise TypeError(f"a seal key is RSA or EC, not {type(private_key).__name__}")


def sign_enveloped(doc: etree._Element, private_key, signature_method: str, key_info: etree._Element) -> None:
    """Append the ds:Signature to `doc` (the root, without a signature; changed in place)."""
    digest = _b64(hashlib.sha256(etree.tostring(doc, method="c14n", exclusive=False, with_comments=False)).digest())
    signature = etree.SubElement(doc, _ds("Signature"), nsmap={"ds": DS_NS})
    signed_info = etree.SubElement(signature, _ds("SignedInfo"))
    etree.SubElement(signed_info, _ds("CanonicalizationMethod"), Algorithm=C14N_EXC)
    etree.SubElement(signed_info, _ds("SignatureMethod"), Algorithm=signature_method)
    reference = etree.SubElement(signed_info, _ds("Reference"), URI="")
    etree.SubElement(etree.SubElement(reference, _ds("Transforms")), _ds("Transform"), Algorithm=TRANSFORM_ENVELOPED)
    etree.SubElement(reference, _ds("DigestMethod"), Algorithm=DIGEST_SHA256)
    etree.SubElement(reference, _ds("DigestValue")).text = digest
    value = etree.SubElement(signature, _ds("SignatureValue"))
    signature.append(key_info)
    canonical = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    value.text = _b64(signature_value(private_key, canonical))
