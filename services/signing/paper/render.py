"""Paper CoCs as print-ready PDF: A4, PDF/A-3b with every font embedded and the sealed eCoC XML attached as
the associated source file, a QR code back to the electronic certificate, the entity's margins and
background layer, and a DUPLICATE marker on re-prints.

Several certificates make one print file (in the order given, each on its own pages, each page numbered
within its certificate); `render_zip` makes one PDF per VIN instead. Plain Python: the signing service runs
it in a child process (`services.signing.paper.worker`) so rendering never holds the sealing process's GIL.
"""
from __future__ import annotations

import base64
import io
import zipfile

import jinja2
import qrcode
import weasyprint

from common.ivi.labels import label_of

from .content import paper_coc, rows
from .layout import Layout
from .wording import Wording

PDF_VARIANT = "pdf/a-3b"
# only data: URLs are resolved (the QR code, an entity's background): a background SVG cannot make the
# renderer read a file or call a host
_FETCHER = weasyprint.URLFetcher(allowed_protocols=("data",))
_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("services.signing.paper", "."),
                                autoescape=True, undefined=jinja2.StrictUndefined)
_APPROVAL = ("TypeApprovalNumber", "TypeApprovalIssueDate", "TypeApprovalType", "ProvisionalTypeApprovalIndicator",
             "StageOfCompletion")
_HEADER = ("IviReferenceId", "IviVersionNumberXsd", "IviVersionNumber", "IviVersionDateTime",
           "IntendedCountryRegistration", "DesignatedTypeApprovalCountry")


def qr_data_uri(text):
    """The QR code of `text` as a PNG data URI, 8 pixels a module: printed 21 mm wide that is over 600 dpi, sharp
    enough to scan (an SVG path costs the layout engine ten times more)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1, box_size=8)
    code.add_data(text)
    out = io.BytesIO()
    code.make_image().save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def html_of(document: bytes, layout: Layout, print_number: int = 1, status: str = "current") -> str:
    """The HTML of one paper CoC (what `render_pdf` lays out)."""
    wording = Wording(layout.language)
    coc = paper_coc(document, wording)
    titles = {name: wording.field(name, label_of(name)[1]) for name in _APPROVAL + _HEADER}
    background = None
    if layout.background_svg:
        background = "data:image/svg+xml;base64," + base64.b64encode(layout.background_svg.encode()).decode()
    return _TEMPLATES.get_template("paper.html").render(
        coc=coc, w=wording, layout=layout, print_number=print_number, status=status, qr=qr_data_uri(coc.qr_text),
        background=background, approval_titles=titles, header_titles=titles, rows=rows)


def _document(document, layout, print_number, status):
    return weasyprint.HTML(string=html_of(document, layout, print_number, status), url_fetcher=_FETCHER,
                           base_url="data:,").render(pdf_variant=PDF_VARIANT)


def render_pdf(certificates, layout: Layout) -> bytes:
    """One print file: `certificates` is a list of (sealed bytes, print number, file name of the XML, status);
    a certificate no longer current is marked SUPERSEDED or WITHDRAWN on every page.

    The sealed XML of each certificate is attached unchanged (PDF/A-3 associated file, relationship Source)."""
    docs = [_document(doc, layout, number, status) for doc, number, _, status in certificates]
    pages = [page for d in docs for page in d.pages]
    attachments = [weasyprint.Attachment(string=doc, name=name, relationship="Source",
                                         description="the sealed eCoC (IVI 2.0) this paper CoC is printed from")
                   for doc, _, name, _ in certificates]
    # the metadata of the first certificate names the file (title); the page list holds them all
    return docs[0].copy(pages).write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments)


def render_zip(certificates, layout: Layout, sign=None) -> bytes:
    """One PDF per certificate in a zip, named `<VIN>.pdf` by the attached XML's name; `sign` (optional) seals
    each PDF."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:  # PDFs are compressed already
        for cert in certificates:
            pdf = render_pdf([cert], layout)
            z.writestr(cert[2].removesuffix(".xml") + ".pdf", sign(pdf) if sign else pdf)
    return out.getvalue()
