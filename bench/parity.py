"""Benchmark: parity of legacy eCoCs with ecoc's compositions. Prints a table; asserts nothing.

N legacy documents (default 10,000) are made from the nine official samples, each with a VIN of its own and, for
one in ten, one changed value, serialised as the legacy system would send them. Measured in this process on one
core (best of two runs), as the rollout service does it per batch:

- parse alone: `read_document` without the seal check (untrusted-XML parse and read into IVI-shaped JSON);
- compare alone: `domain.parity.compare` of each read document with its composition (the sample's own data);
- parse + compare: both, which is the cost of taking in a legacy document and judging its parity;
- the ratio of parse + compare to parsing alone.

The seal check (one RSA verification per document) and the legacy findings (the validation service's rule packs)
are left out: they are the signing and validation costs measured by their own benchmarks.

    .venv/bin/python -m bench.parity [N]
"""
import copy
import platform
import sys
import time

import common  # noqa: F401 - first: quiets eventlet's import-time deprecation notice
from common.config import REPO_ROOT
from common.ivi import build_message, load_schema, read_ivi, serialize

if str(REPO_ROOT) not in sys.path:
    sys.path.append(str(REPO_ROOT))
from bench.tables import table  # noqa: E402
from services.rollout.domain.legacy import read_document  # noqa: E402
from services.rollout.domain.parity import compare  # noqa: E402

IVI = REPO_ROOT.parent / "shared" / "ivi"


def workload(schema, count):
    """`[(xml bytes, composition)]`: sample-shaped documents with VINs of their own; every tenth differs in one
    value from its composition."""
    samples = [read_ivi(p.read_bytes(), schema) for p in sorted((IVI / "samples").glob("*.xml"))]
    out = []
    for i in range(count):
        message = copy.deepcopy(samples[i % len(samples)])
        vin = message["coc"]["VehicleIdentificationNumber"][:11] + f"{i:06d}"
        message["coc"]["VehicleIdentificationNumber"] = vin
        composition = copy.deepcopy(message["coc"])
        if i % 10 == 0:
            composition["Variant"] = composition["Variant"][:-1] + "X"
        out.append((serialize(build_message(schema, message["header"], message["coc"])), composition))
    return out


def timed(fn, rounds=2):
    """The best of `rounds` runs (the machine is shared: the best run is the least disturbed) and its result."""
    best = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main(count):
    schema = load_schema(IVI / "IVI2.0.xsd")
    work = workload(schema, count)
    parse_s, documents = timed(lambda: [read_document("d.xml", xml, schema) for xml, _ in work])
    compare_s, diffs = timed(lambda: [compare(schema, d.coc, c) for d, (_, c) in zip(documents, work)])
    both_s, _ = timed(lambda: [compare(schema, read_document("d.xml", xml, schema).coc, c) for xml, c in work])
    mismatched = sum(1 for d in diffs if d)
    print(f"parity of {count} legacy documents (nine official samples, {mismatched} with one changed value); "
          f"one core, {platform.python_implementation()} {platform.python_version()}, {platform.machine()}\n")
    rows = [("parse alone", f"{parse_s:.2f}", f"{count / parse_s:,.0f}", "1.00"),
            ("compare alone", f"{compare_s:.2f}", f"{count / compare_s:,.0f}", f"{compare_s / parse_s:.2f}"),
            ("parse + compare", f"{both_s:.2f}", f"{count / both_s:,.0f}", f"{both_s / parse_s:.2f}")]
    print(table(rows, ["step", "seconds", "documents/s", "time vs parse"]))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
