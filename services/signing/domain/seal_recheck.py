"""The sealer's check of its own output: every digest and the signature value recomputed from the final bytes,
with lxml's canonicalisation and the seal key's public key, independently of signxml, which made the seal.

It trusts what the sealer already knows (the key, the profile shape it has just asserted), so it costs a
parse, two canonicalisations and one public-key operation, where the full check of a received document
(`verify.verify_document`: pinning, certificate validity, signxml, the signed schema) costs several times
that. That full check stays the one for documents from outside and for `POST /v1/certificates/verify`.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from lxml import etree

from common.ivi.reader import safe_parser

from .profile import C14N_EXC, NS, TRANSFORM_ENVELOPED


def _c14n(element, exclusive: bool) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=exclusive, with_comments=False)


def _digest_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _signature_ok(public_key, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:  # XML-DSig writes ECDSA as r || s, each half the length
            half = len(signature) // 2
            der = utils.encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                             int.from_bytes(signature[half:], "big"))
            public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def recheck_seal(data: bytes, public_key) -> list[str]:
    """What is wrong with the seal of `data` (the final bytes) under `public_key`; [] when it verifies.

    The document reference (URI="", enveloped transform) is digested with inclusive C14N 1.0 over the document
    without its signature; a same-document reference ("#Id", XAdES) with the C14N its transform names
    (inclusive when none); SignedInfo with exclusive C14N, as its CanonicalizationMethod says."""
    root = etree.fromstring(data, safe_parser(keep_bytes=True))
    signature = root[-1]
    signed_info = signature.find("ds:SignedInfo", NS)
    value = base64.b64decode("".join((signature.findtext("ds:SignatureValue", "", NS)).split()))
    problems = []
    if not _signature_ok(public_key, value, _c14n(signed_info, exclusive=True)):
        problems.append("SignatureValue does not verify over the canonical SignedInfo")
    references = signed_info.findall("ds:Reference", NS)
    for reference in references[1:]:
        target = reference.get("URI", "")[1:]
        found = root.xpath("//*[@Id = $id]", id=target)
        transforms = [t.get("Algorithm") for t in reference.findall("ds:Transforms/ds:Transform", NS)]
        if len(found) != 1:
            problems.append(f"reference #{target} does not name exactly one element")
        elif _digest_b64(_c14n(found[0], exclusive=transforms == [C14N_EXC])) != _digest(reference):
            problems.append(f"digest of #{target} does not match")
    document = references[0]
    if document.get("URI") != "" or [t.get("Algorithm") for t in document.findall("ds:Transforms/ds:Transform", NS)] \
            != [TRANSFORM_ENVELOPED]:
        problems.append("the first reference is not the enveloped whole-document reference")
    root.remove(signature)
    if _digest_b64(_c14n(root, exclusive=False)) != _digest(document):
        problems.append("document digest does not match")
    return problems


def _digest(reference) -> str:
    return "".join(reference.findtext("ds:DigestValue", "", NS).split())
