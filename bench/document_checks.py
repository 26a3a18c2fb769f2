"""Benchmark: checking vehicle-level CoC documents against the IVI schema (`common.ivi.check_coc`), as every
import does for each row. The vehicle-level part of each official sample carries its whole axle and energy
convertor tables: the heaviest document a vehicle record has. Prints a table; asserts nothing.

    .venv/bin/python -m bench.document_checks [ROUNDS]     (goal: over 5,000 documents/s on one core)
"""
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.tables import table
from common.config import settings
from common.ivi import load_schema, read_ivi, split_levels
from common.ivi.document import check_coc


def main(rounds=300):
    xsd = Path(settings().schema_path)
    schema = load_schema(str(xsd))
    samples = sorted((xsd.parent / "samples").glob("*.xml"))
    documents = [split_levels(read_ivi(p.read_bytes(), schema)["coc"])[1] for p in samples]
    rows = []
    for attempt in range(1, 4):
        started = time.perf_counter()
        for _ in range(rounds):
            for document in documents:
                check_coc(schema, document, level="vehicle")
        seconds = time.perf_counter() - started
        count = rounds * len(documents)
        rows.append([f"run {attempt}", count, f"{seconds:.2f}", round(count / seconds)])
    print(f"vehicle-level document checks, {len(documents)} samples × {rounds} — "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print(table(rows, ["run", "documents", "seconds", "documents/s"]))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
