"""The paper CoC renderer as a child process: one JSON job on stdin, the PDF (or zip of PDFs) on stdout.

The signing service starts it per job (`services.signing.paper_process`), so laying out pages never holds
the GIL of the process that seals, and a crash of the layout engine costs one job, not the service. Job:

    {"layout": {...}, "form": "pdf" | "zip",
     "certificates": [{"document": base64 sealed bytes, "print_number": n, "status": "current", "vin": ...}],
     "seal": null | {"key_pem": ..., "certificate_pem": ..., "chain_pem": [...]}}

or `{"merge": [base64 file of each part, in order], "form": ..., "seal": ...}`: a print job's parts put together
(`merge.py`), or `{"check": "background", "background_svg": ...}`: why that background cannot be drawn (empty
when it can).

With `seal`, each PDF is sealed as PAdES (`pades.seal_pdf`); a merged PDF is sealed once, after the merge. With
`background` (a release's print job's part or its putting together) the renderer lowers its own CPU priority, so
sealing on the same machine goes first. A failure exits non-zero with the reason on stderr.
"""
import base64
import json
import os
import sys

BACKGROUND_NICENESS = 10


def run(job):
    sign = _sealer(job.get("seal"))
    if "merge" in job:
        # pikepdf only: putting parts together needs none of the layout engine (half a second to import)
        from .merge import merge_pdfs, merge_zips
        parts = [base64.b64decode(p) for p in job["merge"]]
        if job.get("form") == "zip":
            return merge_zips(parts)
        pdf = merge_pdfs(parts)
        return sign(pdf) if sign else pdf
    from .render import Layout, background_problem, render_pdf, render_zip
    if job.get("check") == "background":
        return (background_problem(job["background_svg"]) or "").encode("utf-8")
    layout = Layout.from_dict(job.get("layout"))
    certificates = [(base64.b64decode(c["document"]), c["print_number"], f"{c['vin']}-v{c['version_number']}.xml",
                     c.get("status", "current")) for c in job["certificates"]]
    if job.get("form") == "zip":
        return render_zip(certificates, layout, sign=sign)
    pdf = render_pdf(certificates, layout)
    return sign(pdf) if sign else pdf


def _sealer(seal):
    """The PAdES sealing of one PDF with `seal`, or None without one."""
    if not seal:
        return None
    from .pades import seal_pdf  # pyHanko is loaded only for entities that seal their paper
    return lambda pdf: seal_pdf(pdf, seal["key_pem"].encode(), seal["certificate_pem"].encode(),
                                [c.encode() for c in seal.get("chain_pem") or []])


def main():
    job = json.loads(sys.stdin.buffer.read())
    if job.get("background"):
        os.nice(BACKGROUND_NICENESS)
    out = run(job)
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
