"""The sealer's recheck of its own seal (`seal_recheck`): it accepts what the full verifier accepts, names
each kind of damage, and a seal the signing library got wrong never leaves the sealer."""
import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from services.signing.domain import enveloped
from services.signing.domain import seal as seal_module
from services.signing.domain.keys import SealKey
from services.signing.domain.seal import DS_NS, Sealer, SealError
from services.signing.domain.seal_recheck import recheck_seal
from services.signing.domain.verify import verify_document
from test_seal import make_cert, seal_key_for, unsigned_root

NS = {"ds": DS_NS}


@pytest.fixture(scope="module")
def seal_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return seal_key_for(key, make_cert(key))


@pytest.fixture(scope="module")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def public(key: SealKey):
    return key.certificate.public_key()


def changed(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) >= 1, old
    return data.replace(old, new, 1)


def test_fresh_seals_recheck_clean_and_verify(seal_key, ec_key):
    ec_seal = seal_key_for(ec_key, make_cert(ec_key))
    for key, xades in ((seal_key, False), (seal_key, True), (ec_seal, False)):
        data = Sealer(key, xades=xades).seal(unsigned_root())
        assert recheck_seal(data, public(key)) == []
        assert verify_document(data, [key.certificate]).valid


def test_changed_content_breaks_the_document_digest(seal_key):
    data = Sealer(seal_key).seal(unsigned_root())
    tampered = changed(data, b"<Make>", b"<Make>X")
    assert recheck_seal(tampered, public(seal_key)) == ["document digest does not match"]
    assert not verify_document(tampered, [seal_key.certificate]).valid


def test_changed_signed_info_breaks_the_signature_value(seal_key):
    data = Sealer(seal_key).seal(unsigned_root())
    root = etree.fromstring(data)
    digest = root.find("ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue", NS)
    tampered = changed(data, digest.text.encode(), base64.b64encode(b"\0" * 32))
    assert recheck_seal(tampered, public(seal_key)) == [
        "SignatureValue does not verify over the canonical SignedInfo", "document digest does not match"]


def test_another_key_does_not_verify(seal_key, ec_key):
    data = Sealer(seal_key).seal(unsigned_root())
    assert recheck_seal(data, make_cert(ec_key).public_key()) == [
        "SignatureValue does not verify over the canonical SignedInfo"]


def test_changed_xades_properties_break_their_reference(seal_key):
    data = Sealer(seal_key, xades=True).seal(unsigned_root())
    tampered = changed(data, b"<xades:MimeType>text/xml", b"<xades:MimeType>text/plain")
    problems = recheck_seal(tampered, public(seal_key))
    assert len(problems) == 1 and problems[0].startswith("digest of #") and problems[0].endswith("does not match")


def test_a_wrong_xades_seal_from_the_library_never_leaves_the_sealer(seal_key, monkeypatch):
    made_by_library = seal_module._XadesProfileSigner.sign

    def sign_then_change(self, data, **options):
        signed = made_by_library(self, data, **options)
        signed.find(".//{*}Make").text += " (changed after signing)"
        return signed

    monkeypatch.setattr(seal_module._XadesProfileSigner, "sign", sign_then_change)
    with pytest.raises(SealError, match="document digest does not match"):
        Sealer(seal_key, xades=True).seal(unsigned_root())


def test_a_wrong_plain_seal_never_leaves_the_sealer(seal_key, ec_key, monkeypatch):
    signed_with = enveloped.signature_value
    monkeypatch.setattr(enveloped, "signature_value", lambda key, data: signed_with(ec_key, data))  # wrong key
    with pytest.raises(SealError, match="SignatureValue does not verify"):
        Sealer(seal_key).seal(unsigned_root())
