"""Benchmark: paper CoCs per second (and pages per second) beside eCoCs sealed per second, in one table.
Prints; asserts nothing.

N demo vehicles are sealed in this process (`issue_batch`: build, XSD, seal, verify; a local RSA-3072 seal in
a temporary keys directory), then printed from their sealed bytes:
- one print file of all N (as a release's print job, `POST /v1/releases/{id}/paper`, makes it), in this process;
- a zip of one PDF per VIN (`?form=zip`), in this process;
- through the renderer child process the signing service starts per job (`paper_process`), one job of N,
  and two jobs of N/2 side by side (what two concurrent downloads, or two signing processes' print jobs, get
  on two cores);
- with `--part P`, as a print job in parts of P: the parts rendered by two renderer child processes at once
  (one signing process's renderers), then put together in VIN order by one more (`paper/merge.py`).
`ratio to sealing` is paper CoCs per second divided by eCoCs sealed per second (wall clock): below 1, printing
a release takes longer than sealing it. `CPU ms/certificate` is the CPU time (this process and its children)
per certificate: unlike the wall-clock columns, it hardly moves when other work shares the machine, so the
last line also gives the ratio by CPU time and how many renderer processes keep up with one sealing process.

    .venv/bin/python -m bench.paper [N]              (default 40)
    .venv/bin/python -m bench.paper N --profile      (pyinstrument: where one print file's CPU time goes)
    .venv/bin/python -m bench.paper N --part P       (also a print job in parts of P)
"""
import base64
import json
import math
import os
import platform
import io
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from pyhanko.pdf_utils.reader import PdfFileReader

import common  # noqa: F401 - first: quiets eventlet's import-time deprecation notice
from bench.tables import table
from cli import demo_data
from common.config import settings
from common.ivi.schema import load_schema
from common.ivi.xsd import SchemaValidator
from services.signing.domain.issuance import issue_batch
from services.signing.domain.keys import FileKeyProvider
from services.signing.domain.seal import Sealer
from services.signing.paper.render import Layout, render_pdf, render_zip
from services.signing.paper_jobs import PARTS_AT_ONCE


def sealed(count, keys_dir):
    s = settings()
    schema, validator = load_schema(s.schema_path), SchemaValidator(s.schema_path)
    provider = FileKeyProvider(keys_dir)
    provider.create_local(demo_data.ENTITY, demo_data.LEGAL_NAME)
    sealer = Sealer(provider.get(demo_data.ENTITY))
    vehicles = [dict(v, revision=1) for v in demo_data.vehicles(count, seed=19)]
    resolved = [demo_data.resolution(v) for v in vehicles]
    start, cpu = time.perf_counter(), cpu_seconds()
    result = issue_batch(schema, validator, sealer, vehicles, resolved, demo_data.SIGNATORY,
                         {v["vin"]: 1 for v in vehicles})
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return sorted(result.issued, key=lambda i: i.vin), elapsed, cpu


def pages_of(pdf):
    return int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"])


def worker_job(issued):
    return {"layout": {}, "form": "pdf", "seal": None, "certificates": [
        {"document": base64.b64encode(i.document).decode(), "vin": i.vin, "version_number": 1, "status": "current",
         "print_number": 1} for i in issued]}


def through_worker(issued):
    return run_worker(worker_job(issued))


def run_worker(job):
    out = subprocess.run([sys.executable, "-m", "services.signing.paper.worker"], check=True, capture_output=True,
                         input=json.dumps(job).encode())
    return out.stdout


def in_parts(issued, size):
    """A print job in parts of `size`: two renderers at once, then the parts put together."""
    with ThreadPoolExecutor(PARTS_AT_ONCE) as pool:
        parts = list(pool.map(through_worker, [issued[i:i + size] for i in range(0, len(issued), size)]))
    if len(parts) == 1:
        return parts[0], 1
    return run_worker({"merge": [base64.b64encode(p).decode() for p in parts], "form": "pdf", "seal": None}), \
        len(parts)


def cpu_seconds():
    """CPU time of this process and of its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def profile(certificates):
    """pyinstrument's call tree of rendering one print file, down to fpdf2's calls."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    render_pdf(certificates, Layout())
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def main(argv):
    part = int(argv[argv.index("--part") + 1]) if "--part" in argv else None
    args = [a for i, a in enumerate(argv) if not a.startswith("--") and (i == 0 or argv[i - 1] != "--part")]
    count = int(args[0]) if args else 40
    with tempfile.TemporaryDirectory() as keys_dir:
        issued, seal_seconds, seal_cpu = sealed(count, keys_dir)
    seal_rate = count / seal_seconds
    certificates = [(i.document, 1, f"{i.vin}-v1.xml", "current") for i in issued]
    render_pdf(certificates[:1], Layout())  # warm: fonts, the template
    if "--profile" in argv:
        profile(certificates)
        return 0

    rows = [["sealed eCoCs (issue_batch, in process)", count, "", f"{seal_seconds:.2f}", f"{seal_rate:,.1f}", "",
             "1.00", f"{seal_cpu / count * 1000:,.1f}"]]

    def row(label, started, cpu_started, pages):
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        rate = count / seconds
        rows.append([label, count, pages, f"{seconds:.2f}", f"{rate:,.1f}", f"{pages / seconds:,.1f}",
                     f"{rate / seal_rate:.3f}", f"{cpu / count * 1000:,.1f}"])
        return cpu

    start, cpu = time.perf_counter(), cpu_seconds()
    pdf = render_pdf(certificates, Layout())
    print_file_cpu = row("paper: one print file, in process", start, cpu, pages_of(pdf))
    start, cpu = time.perf_counter(), cpu_seconds()
    render_zip(certificates, Layout())
    row("paper: zip of one PDF per VIN, in process", start, cpu, pages_of(pdf))
    start, cpu = time.perf_counter(), cpu_seconds()
    through_worker(issued)
    row("paper: renderer child process, 1 job", start, cpu, pages_of(pdf))
    half = len(issued) // 2
    start, cpu = time.perf_counter(), cpu_seconds()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(through_worker, [issued[:half], issued[half:]]))
    row("paper: renderer child processes, 2 jobs side by side", start, cpu, pages_of(pdf))
    if part:
        start, cpu = time.perf_counter(), cpu_seconds()
        merged, parts = in_parts(issued, part)
        row(f"paper: print job in {parts} parts, {PARTS_AT_ONCE} renderers, put together", start, cpu,
            pages_of(merged))

    print(f"\necoc paper CoC throughput, {count} demo vehicles — {date.today()} — {platform.node()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(table(rows, ["", "certificates", "pages", "seconds", "certificates/s", "pages/s", "ratio to sealing",
                       "CPU ms/certificate"]))
    by_cpu = seal_cpu / print_file_cpu
    print(f"by CPU time: one print file costs {print_file_cpu / count * 1000:,.1f} ms a certificate against "
          f"{seal_cpu / count * 1000:,.1f} ms to seal it, a ratio of {by_cpu:.2f} per process; "
          f"{math.ceil(1 / by_cpu)} renderer process(es) keep up with one sealing process")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
