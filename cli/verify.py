"""`ecoc verify FILE [--cert PEM]`: check a sealed eCoC against a pinned certificate and the schema.

The trust anchors are the certificates in `--cert` (a PEM file, possibly several certificates), else the
certificate files `*.cert.pem` in ECOC_KEYS_DIR (no private key needed) and the seal certificates of this
installation's key provider (ECOC_KEY_PROVIDER). Never the system CA store. Exit status 0 when valid.
"""
import os
import sys
from pathlib import Path

from common.config import settings
from common.ivi.xsd import SchemaValidator, schema_available
from services.signing.domain.keys import SealKeyError, make_key_provider
from services.signing.domain.verify import verify_document


def trusted(cert_path, keys_dir):
    if cert_path:
        return [Path(cert_path).read_bytes()]
    anchors = [p.read_bytes() for p in sorted(Path(keys_dir).glob("*.cert.pem"))]
    provider = make_key_provider(os.environ.get("ECOC_KEY_PROVIDER", "files"), keys_dir=keys_dir)
    for entity in provider.entities():
        try:
            anchors.append(provider.get(entity).certificate)
        except SealKeyError as exc:
            print(f"warning: the seal of {entity} is not used: {exc}", file=sys.stderr)
    return anchors


def verify_file(path, cert_path=None, out=sys.stdout):
    s = settings()
    validator = SchemaValidator(s.schema_path) if schema_available(s.schema_path) else None
    if validator is None:
        print(f"warning: IVI schema not found at {s.schema_path!r}: schema check is off", file=sys.stderr)
    result = verify_document(Path(path).read_bytes(), trusted(cert_path, s.keys_dir), validator)
    if result.valid:
        signer = result.signer
        profile = f"XAdES baseline-B, signed at {result.signed_at.isoformat()}" if result.xades else "XML-DSig"
        print(f"VALID  {path}\n  VIN {result.vin}  reference {result.reference_id}  version {result.version_number}\n"
              f"  sealed by {signer.organisation} ({signer.common_name}), {profile}\n"
              f"  seal certificate sha256 {signer.fingerprint_sha256}", file=out)
        return 0
    print(f"INVALID  {path}", file=out)
    for error in result.errors:
        print(f"  - {error}", file=out)
    return 1
