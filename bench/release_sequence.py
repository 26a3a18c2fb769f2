"""Benchmark: the release sequence through the gateway for N vehicles, beside the bare in-process loop
that builds and seals the same documents with the same code. Prints tables; asserts nothing.

    .venv/bin/python -m bench.release_sequence [N]     (default 1000; uses the running stack or starts one)
"""
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from cli import demo_data
from cli.demo import ReleaseSequence, running_stack
from common.config import settings
from common.ivi.schema import load_schema
from common.ivi.xsd import SchemaValidator
from services.signing.domain.issuance import issue_batch
from services.signing.domain.keys import FileKeyProvider, generate_self_signed, write_seal
from services.signing.domain.seal import Sealer
from bench.tables import table


def bare_loop(count):
    """Build, schema-check, seal and verify `count` certificates in this process, one core."""
    s = settings()
    schema, validator = load_schema(s.schema_path), SchemaValidator(s.schema_path)
    with tempfile.TemporaryDirectory() as keys_dir:
        write_seal(keys_dir, demo_data.ENTITY, *generate_self_signed(demo_data.ENTITY, demo_data.LEGAL_NAME))
        sealer = Sealer(FileKeyProvider(keys_dir).get(demo_data.ENTITY))
        vehicles = [dict(v, revision=1) for v in demo_data.vehicles(count, seed=1)]
        resolved = [demo_data.resolution(v) for v in vehicles]
        start = time.perf_counter()
        result = issue_batch(schema, validator, sealer, vehicles, resolved, demo_data.SIGNATORY,
                             {v["vin"]: 1 for v in vehicles})
        elapsed = time.perf_counter() - start
    assert not result.failed, result.failed[:3]
    return elapsed


def main(argv):
    count = int(argv[0]) if argv else 1000
    s = settings()
    stack = running_stack(s)
    try:
        result = ReleaseSequence(count, echo=lambda *_: None).run(Path(tempfile.mkdtemp()))
    finally:
        if stack is not None:
            stack.stop()
    bare = bare_loop(count)
    phases = result.phases
    total = sum(phases.values())
    print(f"\necoc release sequence, {count} vehicles — {date.today()} — {platform.node()}, "
          f"{platform.machine()}, Python {platform.python_version()}")
    print(table([[name, f"{secs:.2f}", f"{count / secs:.0f}" if secs else "-"] for name, secs in phases.items()]
                + [["end to end", f"{total:.2f}", f"{count / total:.0f}"]], ["phase", "seconds", "vehicles/s"]))
    print()
    print(table([["through the services (sign phase)", f"{count / phases['sign']:.0f}"],
                 ["bare in-process loop (build, XSD, seal, verify)", f"{count / bare:.0f}"],
                 ["ratio services / bare", f"{(count / phases['sign']) / (count / bare):.2f}"]],
                ["sealing", "certificates/s"]))
    print(f"\nall released: {result.ok}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
