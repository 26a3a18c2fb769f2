"""Checking a paper CoC PDF against the sealed eCoC it was printed from, with tools independent of the renderer.

poppler's `pdftotext` extracts the text, `pdftoppm` renders the pages (kept as PNG artifacts under
`out/paper/`, git-ignored, for a person to look at), `pdfdetach` takes the attached eCoC out, `pdffonts`
lists the fonts and `pdfinfo -meta` the XMP (PDF/A identification); zbar's `zbarimg` reads the QR code back;
pyHanko's PDF parser reads the catalogue's output intent and associated file. (No PDF/A validator such as
veraPDF is run: it is Java and not in Debian, and Maven Central is not reachable from where the tests run.)
"""
import hashlib
import io
import re
import shutil
import subprocess
from pathlib import Path

from lxml import etree

ARTIFACTS = Path(__file__).resolve().parents[1] / "out" / "paper"
TOOLS = ("pdftotext", "pdftoppm", "pdfdetach", "pdffonts", "pdfinfo", "zbarimg")
IVI_NS = "http://eu.ereg.initialvehicleinformation.v2"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"


def missing_tools():
    return [t for t in TOOLS if shutil.which(t) is None]


def _run(*args):
    return subprocess.run(args, capture_output=True, check=True, timeout=120).stdout


def sealed_values(document: bytes):
    """(element name, text) of every value the sealed eCoC holds: its header and CoC data, not its signature."""
    root = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
    out = []
    for part in ("Header", "CocDataGroup"):
        for node in root.find(f"{{{IVI_NS}}}{part}").iter(etree.Element):
            if len(node) == 0 and (node.text or "").strip():
                out.append((etree.QName(node).localname, node.text.strip()))
    return out


def _squeezed(text):
    return re.sub(r"\s+", "", text)


def check_paper(pdf: bytes, document: bytes, workdir: Path, name: str, pages_to_png=True):
    """The problems of `pdf` as the paper CoC of `document` (empty when none), and its extracted text."""
    problems = []
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{name}.pdf"
    path.write_bytes(pdf)
    text = _run("pdftotext", str(path), "-").decode("utf-8")
    flat = _squeezed(text)
    sha256 = hashlib.sha256(document).hexdigest()
    values = sealed_values(document)
    header = dict(values)
    for element, value in values:
        if _squeezed(value) not in flat:
            problems.append(f"{element} = {value!r} is not printed")
    for what, value in (("SHA-256", sha256), ("IviReferenceId", header["IviReferenceId"]),
                        ("IviVersionNumber", header["IviVersionNumber"])):
        if _squeezed(value) not in flat:
            problems.append(f"{what} {value} is not printed")

    attached = workdir / f"{name}.attached.xml"
    _run("pdfdetach", "-save", "1", "-o", str(attached), str(path))
    if attached.read_bytes() != document:
        problems.append("the attached eCoC is not the sealed document byte for byte")
    problems.extend(_pdfa_structure(pdf))
    fonts = _run("pdffonts", str(path)).decode().splitlines()[2:]
    if not fonts or any(line.split()[-5] != "yes" for line in fonts):
        problems.append(f"a font is not embedded: {fonts}")
    meta = _run("pdfinfo", "-meta", str(path)).decode("utf-8", "replace")
    if not re.search(r"pdfaid:part[^0-9]{1,3}3", meta) or not re.search(r"pdfaid:conformance[^A-Z]{1,3}B", meta):
        problems.append("not identified as PDF/A-3b in its XMP metadata")
    info = _run("pdfinfo", str(path)).decode()
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    if not size or abs(float(size.group(1)) - 595.276) > 0.01 or abs(float(size.group(2)) - 841.89) > 0.01:
        problems.append(f"not A4: {size.group(0) if size else info}")

    png_dir = ARTIFACTS if pages_to_png else workdir
    png_dir.mkdir(parents=True, exist_ok=True)
    _run("pdftoppm", "-r", "110", "-png", str(path), str(png_dir / name))
    # the QR code is read from page 1 rendered finer (a module is half a millimetre)
    _run("pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-png", str(path), str(workdir / f"{name}.qr"))
    first = sorted(workdir.glob(f"{name}.qr*.png"))[0]
    # QR codes only: with every symbology on, zbar now and then "finds" a linear barcode in the item tables' lines
    qr = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(first)],
                        capture_output=True, timeout=120).stdout.decode()
    expected_qr = f"ECOC:{header['VehicleIdentificationNumber']};REF:{header['IviReferenceId']};" \
                  f"VER:{header['IviVersionNumber']};SHA256:{sha256}"
    if qr.strip() != expected_qr:
        problems.append(f"the QR code reads {qr.strip()!r}, expected {expected_qr!r}")
    return problems, text


def _pdfa_structure(pdf: bytes):
    """What PDF/A-3b asks of the file's catalogue beyond its XMP, read with pyHanko's parser: an output intent
    with an ICC profile (the colours' meaning) and the eCoC as an associated file (/AF) of relationship Source."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    root = PdfFileReader(io.BytesIO(pdf), strict=False).root
    problems = []
    intents = [i.get_object() for i in root.get("/OutputIntents") or []]
    if not any(i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents):
        problems.append("no PDF/A output intent with an ICC profile")
    files = [f.get_object() for f in root.get("/AF") or []]
    if not files or any(f.get("/AFRelationship") != "/Source" for f in files):
        problems.append("the eCoC is not an associated file (/AF) of relationship Source")
    return problems


def page_count(pdf_path: Path):
    return int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(pdf_path)).decode()).group(1))


def print_release(client, release_id, wait, form="pdf", timeout=180):
    """Print a release over HTTP as its print job: start it (202 with Location and Retry-After), poll the job
    until it is done, download the file; (the finished job, the file's response)."""
    started = client.request("POST", f"/v1/releases/{release_id}/paper", params={"form": form})
    job = started.json()
    assert started.status_code == 202 and started.headers["Location"] == f"/v1/paper-jobs/{job['id']}", started.text
    assert int(started.headers["Retry-After"]) >= 1 and job["status"] in ("queued", "rendering")

    def finished():
        now = client.get(started.headers["Location"])
        return now if now["status"] in ("done", "failed") else None

    job = wait(finished, timeout, what=f"print job {job['id']}")
    assert job["status"] == "done", job
    file = client.request("GET", f"{started.headers['Location']}/file")
    assert hashlib.sha256(file.content).hexdigest() == job["sha256"] == file.headers["X-Content-Sha256"]
    return job, file
