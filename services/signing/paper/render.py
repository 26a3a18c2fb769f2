"""Paper CoCs as print-ready PDF: A4, PDF/A-3b with every font embedded and the sealed eCoC XML attached as
the associated source file, a QR code back to the electronic certificate, the entity's margins and
background layer, and a DUPLICATE marker on re-prints.

Several certificates make one print file (in the order given, each on its own pages, each page numbered
within its certificate); `render_zip` makes one PDF per VIN instead. The pages are drawn with fpdf2
(`page.py`): a few milliseconds of CPU per page, so printing keeps up with sealing. Plain Python: the signing
service runs it in a child process (`services.signing.paper.worker`) so rendering never holds the sealing
process's GIL.
"""
from __future__ import annotations

import copy
import functools
import io
import warnings
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import ResourceAccessPolicy
from fpdf.fonts import SubsetMap

from common.ivi.labels import label_of

from . import page as pages
from .content import paper_coc
from .layout import Layout
from .wording import Wording

PDF_COMPLIANCE = "PDF/A-3B"
# the DejaVu fonts of Debian's fonts-dejavu-core (`make system-deps`, the Dockerfile), embedded as subsets
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {pages.SANS: "DejaVuSans.ttf", pages.BOLD: "DejaVuSans-Bold.ttf"}
_APPROVAL = ("TypeApprovalNumber", "TypeApprovalIssueDate", "TypeApprovalType", "ProvisionalTypeApprovalIndicator",
             "StageOfCompletion")
_HEADER = ("IviReferenceId", "IviVersionNumberXsd", "IviVersionNumber", "IviVersionDateTime",
           "IntendedCountryRegistration", "DesignatedTypeApprovalCountry")
ATTACHMENT_DESCRIPTION = "the sealed eCoC (IVI 2.0) this paper CoC is printed from"


# OpenType layout tables: the PDF places every glyph itself, so the embedded font needs none of them, and
# subsetting them is what costs fontTools most when a PDF is written (~80 ms a font for DejaVu Sans)
_UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "kern", "MATH", "FFTM")


@functools.lru_cache(maxsize=None)
def _font(name):
    """A font as fpdf2 reads it from its TrueType file (~30 ms: the glyph widths and the character map), and
    the file without its layout tables, which is what each PDF embeds a subset of."""
    pdf = FPDF()
    pdf.add_font(name, "", FONT_DIR / FONT_FILES[name])
    lean = ttLib.TTFont(FONT_DIR / FONT_FILES[name], recalcTimestamp=False)
    for tag in _UNUSED_TABLES:
        if tag in lean:
            del lean[tag]
    out = io.BytesIO()
    lean.save(out)
    return pdf.fonts[name], out.getvalue()


def _add_fonts(pdf):
    """The fonts of a new document, read once per process (a zip of one PDF per VIN would read them per file):
    each document gets its own copy with its own glyph subset, font descriptor and font file (fpdf2 subsets
    that file in place when it writes the PDF). Tied to fpdf2's TTFFont, pinned in pyproject."""
    for name in FONT_FILES:
        metrics, lean = _font(name)
        font = copy.copy(metrics)
        font.i = len(pdf.fonts) + 1
        font.ttfont = ttLib.TTFont(io.BytesIO(lean), recalcTimestamp=False, lazy=True)
        font.desc = copy.copy(metrics.desc)
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        pdf.fonts[name] = font


def background_problem(svg: str) -> str | None:
    """Why an entity's background SVG cannot be drawn under a page (None when it can): checked when the entity
    sets it, so a print never fails on it later."""
    try:
        _draw_background(_scratch(), svg)
    except Exception as error:  # fpdf2 names what it cannot draw or may not fetch
        return f"cannot be drawn: {error}"
    return None


def _scratch():
    pdf = FPDF(unit="mm", format="A4")
    pdf.resource_access_policy = ResourceAccessPolicy.NONE
    pdf.add_page()
    return pdf


def _draw_background(pdf, svg):
    with warnings.catch_warnings():  # an SVG without a viewBox is drawn by its width and height, as meant
        warnings.simplefilter("ignore", UserWarning)
        pdf.image(io.BytesIO(svg.encode("utf-8")), x=0, y=0, w=pages.A4[0], h=pages.A4[1])


class PaperDocument:
    """One PDF/A-3b file of one or more certificates' pages."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.wording = Wording(layout.language)
        self.titles = {name: self.wording.field(name, label_of(name)[1]) for name in _APPROVAL + _HEADER}
        pdf = FPDF(unit="mm", format="A4", enforce_compliance=PDF_COMPLIANCE)
        # only data: URLs are read (an entity's background may hold data: images): a background SVG cannot make
        # the renderer read a file or call a host; one that tries fails (`background_problem` refuses it early)
        pdf.resource_access_policy = ResourceAccessPolicy.NONE
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.set_creator("ecoc")
        pdf.set_producer("ecoc (fpdf2)")
        pdf.set_lang(layout.language)
        pdf.set_creation_date(datetime.now(timezone.utc))
        _add_fonts(pdf)
        self.pdf = pdf
        self.fonts = pages.Fonts(pdf)
        self.attached = set()
        self.first = None

    def add(self, document: bytes, print_number: int = 1, attachment_name: str | None = None,
            status: str = "current"):
        """The pages of one certificate from its sealed bytes; `attachment_name` attaches the XML unchanged
        (PDF/A-3 associated file, relationship Source)."""
        margins = self.layout.margins
        width = pages.A4[0] - margins.left - margins.right
        body_height = pages.A4[1] - margins.top - margins.bottom - pages.FOOTER
        coc = paper_coc(document, self.wording)
        if self.first is None:
            self.first = coc
            self.pdf.set_title(f"{self.wording['title']} {coc.vin}")
            self.pdf.set_subject(f"IviReferenceId {coc.reference_id}; IviVersionNumber {coc.version_number}; "
                                 f"SHA-256 {coc.sha256}")
        blocks = pages.blocks_of(self.fonts, coc, self.wording, width, self.titles, self.titles, print_number,
                                 status)
        laid_out = pages.paginate(blocks, body_height)
        qr = pages.qr_image(coc.qr_text)
        for number, page in enumerate(laid_out, 1):
            self.pdf.add_page()
            self._under(page)
            for top, block in page.blocks:
                block.draw(self.pdf, margins.left, margins.top + top, width)
            self._proof(coc, qr, number, len(laid_out), width)
        if attachment_name:
            self.pdf.embed_file(bytes=document, basename=attachment_name, mime_type="application/xml",
                                associated_file_relationship="Source", desc=ATTACHMENT_DESCRIPTION)
        return len(laid_out)

    def _under(self, page):
        """The entity's background layer and watermark, under the text."""
        pdf = self.pdf
        if self.layout.background_svg:
            _draw_background(pdf, self.layout.background_svg)
        if self.layout.watermark:
            size = 44
            text = self.layout.watermark
            w = self.fonts.width(text, pages.SANS, size)
            with pdf.rotation(35, x=pages.A4[0] / 2, y=pages.A4[1] / 2 + 10):
                pdf.set_font(pages.SANS, size=size)
                pdf.set_text_color(*pages.WATERMARK_GREY)
                pdf.text(pages.A4[0] / 2 - w / 2, pages.A4[1] / 2 + 10, text)

    def _proof(self, coc, qr, number, count, width):
        """The footer of every page: the QR code and what it holds, in words, with the page number."""
        margins = self.layout.margins
        pdf = self.pdf
        top = pages.A4[1] - margins.bottom - pages.FOOTER + 2
        pdf.image(qr, x=margins.left, y=top, w=pages.QR_SIZE, h=pages.QR_SIZE)
        w = self.wording
        x = margins.left + pages.QR_SIZE + 1
        size = 6.6
        lead = size * 1.3 * pages.PT
        column = width - pages.QR_SIZE - 1
        y = top + lead * 0.78
        for label, value in ((w.word("reference"), coc.reference_id), (w.word("version"), coc.version_number),
                             (w.word("digest"), coc.sha256)):
            label = f"{label}: "
            label_w = self.fonts.width(label, pages.SANS, size)
            pdf.set_font(pages.SANS, size=size)
            pdf.set_text_color(0, 0, 0)
            pdf.text(x, y, label)
            for line in self.fonts.wrap(value, column - label_w, pages.SANS, size):
                pdf.set_font(pages.SANS, size=size)
                pdf.text(x + label_w, y, line)
                y += lead
        pdf.set_font(pages.SANS, size=size)
        pdf.text(x, y, f"{coc.vin} · {w.word('page')} {number} {w.word('of')} {count}")

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def render_pdf(certificates, layout: Layout) -> bytes:
    """One print file: `certificates` is a list of (sealed bytes, print number, file name of the XML, status);
    a certificate no longer current is marked SUPERSEDED or WITHDRAWN on every page.

    The sealed XML of each certificate is attached unchanged (PDF/A-3 associated file, relationship Source)."""
    doc = PaperDocument(layout)
    for document, number, name, status in certificates:
        doc.add(document, number, name, status)
    return doc.output()


def render_zip(certificates, layout: Layout, sign=None) -> bytes:
    """One PDF per certificate in a zip, named `<VIN>.pdf` by the attached XML's name; `sign` (optional) seals
    each PDF."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:  # PDFs are compressed already
        for cert in certificates:
            pdf = render_pdf([cert], layout)
            z.writestr(cert[2].removesuffix(".xml") + ".pdf", sign(pdf) if sign else pdf)
    return out.getvalue()
