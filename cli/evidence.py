"""`ecoc evidence verify PACK.zip [--key PEM]`: check a vehicle's evidence pack offline and say what it proves.

`--key` pins the operator's audit public key; without it the key inside the pack is used and its key id is
printed for comparison. Exit status 0 when every check passes.
"""
import sys
from pathlib import Path

from services.audit.domain.evidence import verify_pack


def verify_evidence(path, key_path=None, out=None):
    out = out or sys.stdout
    try:
        data = Path(path).read_bytes()
        key = Path(key_path).read_text() if key_path else None
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = verify_pack(data, key)
    print(f"evidence pack {path} (VIN {result['vin']})", file=out)
    for item in result["checks"]:
        detail = f": {item['detail']}" if item["detail"] else ""
        print(f"  {'ok  ' if item['ok'] else 'FAIL'}  {item['check']}{detail}", file=out)
    if result["ok"]:
        print("It proves:", file=out)
        for claim in result["proves"]:
            print(f"  - {claim}", file=out)
        if key_path is None:
            print("  (as far as the audit key in the pack is the operator's: pin it with --key)", file=out)
        return 0
    first = next(item for item in result["checks"] if not item["ok"])
    detail = f": {first['detail']}" if first["detail"] else ""
    print(f"The pack does NOT hold up; the first thing that does not match: {first['check']}{detail}", file=out)
    return 1
