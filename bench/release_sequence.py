"""Benchmark: the release sequence through the gateway for N vehicles, beside the bare in-process loop that
builds and seals the same documents with the same code. Prints three tables; asserts nothing.

    .venv/bin/python -m bench.release_sequence [N [REPLICAS]]   (defaults 1000, ECOC_REPLICAS; `make bench N=10000`)

REPLICAS is an ECOC_REPLICAS value: `signing=2` runs two signing processes, `2` two of every process.

(a) every phase of the sequence (import → validation → request → approve → sign → released) through the
    gateway of a fresh stack of its own (`bench.stack`), seconds and vehicles/s, and end to end;
(b) the bare loop: `issue_batch` (build, schema check, seal, recheck of the seal) for the same number of
    vehicles in this process on one core, and the ratio of end to end, and of the sign phase, to it;
(c) each process of the stack: peak resident memory (VmHWM) and CPU seconds over the whole run.
"""
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.stack import bench_stack, stack_usage
from bench.tables import table
from cli import demo_data
from cli.demo import ReleaseSequence
from common.config import parse_replicas, settings
from common.ivi.schema import load_schema
from common.ivi.xsd import SchemaValidator
from services.signing.domain.issuance import issue_batch
from services.signing.domain.keys import FileKeyProvider, generate_self_signed, write_seal
from services.signing.domain.seal import Sealer


def bare_loop(count):
    """Build, schema-check, seal and recheck `count` certificates in this process, one core; seconds."""
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


def machine():
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or platform.machine())
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def phase_table(count, phases):
    total = sum(phases.values())
    rows = [[name, f"{secs:.2f}", f"{count / secs:.0f}" if secs else "-"] for name, secs in phases.items()]
    return table(rows + [["end to end", f"{total:.2f}", f"{count / total:.0f}"]], ["phase", "seconds", "vehicles/s"])


def ratio_table(count, phases, bare):
    end_to_end, sign, alone = count / sum(phases.values()), count / phases["sign"], count / bare
    return table([["end to end through the gateway", f"{end_to_end:.0f}", f"{end_to_end / alone:.2f}"],
                  ["sign phase through the services", f"{sign:.0f}", f"{sign / alone:.2f}"],
                  ["bare in-process loop (build, XSD, seal, recheck)", f"{alone:.0f}", "1.00"]],
                 ["", "vehicles/s", "ratio to bare"])


def usage_table(usage):
    rows = [[name, f"{mib:.0f}", f"{cpu:.1f}"] for name, (mib, cpu) in usage.items()]
    return table(rows, ["process", "peak MiB (VmHWM)", "CPU s"])


def main(argv):
    count = int(argv[0]) if argv else 1000
    replicas = parse_replicas(argv[1]) if len(argv) > 1 else settings().replicas
    started = datetime.now(timezone.utc)
    with bench_stack(replicas=replicas) as stack:
        result = ReleaseSequence(count, echo=lambda *_: None).run(Path(tempfile.mkdtemp()))
        usage = stack_usage(stack)
    bare = bare_loop(count)
    doubled = ", ".join(f"{name}×{n}" for name, n in replicas if n > 1) or "one process each"
    print(f"\necoc release sequence, {count} vehicles, {doubled} — "
          f"{started:%Y-%m-%d %H:%M} UTC — {machine()}")
    print(phase_table(count, result.phases))
    print()
    print(ratio_table(count, result.phases, bare))
    print()
    print(usage_table(usage))
    if not result.ok:
        print(f"\nNOT all released: {result.states}; failures {result.failures[:3]}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
