"""Sealed IVI 2.0 messages for tests that need real ones without the whole stack (the NAP simulator, delivery).

An official sample (read from ../shared/ivi, never copied) is split as the services keep it and sealed in process
by the signing service's own code, for any VIN and IviVersionNumber, with a seal made once per test session.
"""
import datetime as dt
import os
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from common.ivi.catalogue import split_levels
from common.ivi.reader import read_ivi
from common.ivi.xsd import SchemaValidator
from services.signing.domain.issuance import issue_batch, organisations_named
from services.signing.domain.keys import SealKey
from services.signing.domain.seal import Sealer

IVI_DIR = Path(os.environ["ECOC_IVI_SCHEMA"]).parent if os.environ.get("ECOC_IVI_SCHEMA") else (
    Path(__file__).resolve().parents[2] / "shared" / "ivi")
XSD = IVI_DIR / "IVI2.0.xsd"
SAMPLE = IVI_DIR / "samples" / "M1-02-CHR.xml"


def available():
    return XSD.is_file() and SAMPLE.is_file()


@lru_cache(maxsize=1)
def validator():
    return SchemaValidator(str(XSD))


@lru_cache(maxsize=4)
def sealer(organisation):
    """A throwaway seal (P-256: quick to make) whose organisation is `organisation`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, "test eCoC seal")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    return Sealer(SealKey("TEST", key, cert, cert.public_bytes(serialization.Encoding.PEM)))


def sealed(vin, version=1, change=None):
    """(document bytes, reference id, seal certificate PEM) of a sealed message for `vin` at `version`;
    `change(coc)` may alter the vehicle-level data before sealing."""
    schema = validator().ivi_schema
    message = read_ivi(SAMPLE.read_bytes(), schema)
    coc = message["coc"]
    type_level, vehicle_level = split_levels(coc)
    [authority] = coc["SigningAuthorityTable"]
    vehicle_coc = {k: v for k, v in vehicle_level.items()
                   if k not in ("VehicleIdentificationNumber", "DateManufactureVehicle")}
    if change is not None:
        change(vehicle_coc)
    vehicle = {"vin": vin, "revision": 1, "production_date": coc["DateManufactureVehicle"],
               "intended_country": message["header"].get("IntendedCountryRegistration"), "coc": vehicle_coc}
    resolution = {"ok": True, "coc": type_level, "number": coc["TypeApprovalNumber"], "revision": 1}
    signatory = {"sub": "signer", "name": authority["SignerName"], "position": authority["SignerPosition"],
                 "location": authority["SignatureLocation"]}
    seal = sealer(organisations_named(type_level)[-1])
    result = issue_batch(schema, validator(), seal, [vehicle], [resolution], signatory, {vin: version})
    assert not result.failed, result.failed
    [issued] = result.issued
    return issued.document, issued.reference_id, seal.seal_key.certificate_pem
