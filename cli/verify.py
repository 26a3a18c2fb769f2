"""`ecoc verify FILE [--cert PEM]`: check a sealed eCoC against a pinned certificate and the schema."""
import sys
from pathlib import Path

from common.config import settings
from common.ivi.xsd import SchemaValidator, schema_available
from services.signing.domain.verify import verify_document


def trusted(cert_path, keys_dir):
    if cert_path:
        return [Path(cert_path).read_bytes()]
    return [p.read_bytes() for p in sorted(Path(keys_dir).glob("*.cert.pem"))]


def verify_file(path, cert_path=None, out=sys.stdout):
    s = settings()
    validator = SchemaValidator(s.schema_path) if schema_available(s.schema_path) else None
    if validator is None:
        print(f"warning: IVI schema not found at {s.schema_path!r}: schema check is off", file=sys.stderr)
    result = verify_document(Path(path).read_bytes(), trusted(cert_path, s.keys_dir), validator)
    if result.valid:
        signer = result.signer
        print(f"VALID  {path}\n  VIN {result.vin}  reference {result.reference_id}  version {result.version_number}\n"
              f"  sealed by {signer.organisation} ({signer.common_name})", file=out)
        return 0
    print(f"INVALID  {path}", file=out)
    for error in result.errors:
        print(f"  - {error}", file=out)
    return 1
