"""Sealing a paper CoC PDF as PAdES (baseline B-B) with the entity's seal, for entities that turn it on.

The signature is an incremental update, so the PDF/A content and its attached eCoC stay byte-for-byte as
rendered; any PDF signature validator (poppler's `pdfsig`, Adobe) checks it against the seal certificate.
"""
import io

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

FIELD = "eCoCSeal"


def _asn1(pem):
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def seal_pdf(pdf: bytes, key_pem: bytes, certificate_pem: bytes, chain_pem=()) -> bytes:
    signer = signers.SimpleSigner(
        signing_cert=_asn1(certificate_pem), signing_key=load_private_key_from_pemder_data(key_pem, None),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain_pem]))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name=FIELD, reason="EU Certificate of Conformity (paper)",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    out = signers.PdfSigner(meta, signer).sign_pdf(writer)
    return out.getvalue()
