"""The pages of one paper CoC, drawn straight onto an fpdf2 document: the model's layout as boxes of measured
text, no layout engine.

A certificate is laid out first as a list of blocks (a heading, the statement, one row per item, the signature
boxes), each measured with the embedded fonts' glyph widths; the blocks are then cut into A4 pages (a row
never splits unless it is taller than a page), so every page knows its number within the certificate when it
is drawn: the entity's background and watermark under the text, the blocks, and the proof footer (QR code,
IviReferenceId, IviVersionNumber, SHA-256, VIN, "page n of m"). Text is broken at spaces only (a code such as a
type-approval number stays one word); a word wider than its column breaks anywhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import qrcode
from PIL import Image

from .content import PaperCoc, rows

PT = 25.4 / 72  # millimetres per point
A4 = (210.0, 297.0)
SIZE = 8.6  # body text, points
LEAD = SIZE * 1.3 * PT  # line height, mm
PAD_Y, PAD_X = 0.5, 1.0
NUM_W, TITLE_W = 11.0, 62.0
FOOTER = 24.0  # mm above the bottom margin kept for the proof footer
QR_SIZE = 21.0
SANS, BOLD = "sans", "sans-bold"
RULE_GREY = (187, 187, 187)
RED = (187, 0, 0)
WATERMARK_GREY = (235, 235, 235)


class Fonts:
    """Measuring text with the document's fonts (glyph widths from the embedded TrueType files)."""

    def __init__(self, pdf):
        self.pdf = pdf
        self._widths = {}  # the same words come back on every certificate: labels, units, codes

    def width(self, text, font=SANS, size=SIZE):
        key = (text, font, size)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = self.pdf.fonts[font].get_text_width(text, size, None)[1] * PT
        return found

    def wrap(self, text, width, font=SANS, size=SIZE):
        """`text` in lines no wider than `width` mm: broken at spaces, a longer word anywhere."""
        lines, line = [], ""
        space = self.width(" ", font, size)
        line_w = 0.0
        for word in text.split():
            w = self.width(word, font, size)
            if line and line_w + space + w <= width:
                line, line_w = f"{line} {word}", line_w + space + w
                continue
            if line:
                lines.append(line)
            while w > width:  # a word wider than the column: break it where it must
                cut = len(word) - 1
                while cut > 1 and self.width(word[:cut], font, size) > width:
                    cut = max(1, int(cut * width / self.width(word[:cut], font, size))) if cut > 8 else cut - 1
                lines.append(word[:cut])
                word = word[cut:]
                w = self.width(word, font, size)
            line, line_w = word, w
        if line:
            lines.append(line)
        return lines or [""]


@dataclass
class Block:
    """A piece of a page: its height (mm) and how to draw it at (x, y) with the content width."""
    height: float
    draw: Callable
    page_break_before: bool = False
    split: Callable | None = None  # (height available) -> (first part, rest), for a block taller than a page


@dataclass
class Page:
    blocks: list = field(default_factory=list)


def _text(pdf, x, y, lines, font=SANS, size=SIZE, colour=(0, 0, 0), lead=LEAD):
    """Lines of text from the top-left corner (x, y); the baseline sits 80 % down each line."""
    pdf.set_font(font, size=size)
    pdf.set_text_color(*colour)
    for i, line in enumerate(lines):
        pdf.text(x, y + i * lead + lead * 0.78, line)


def _rule(pdf, x, y, width, colour=RULE_GREY, thickness=0.2 * PT):
    pdf.set_draw_color(*colour)
    pdf.set_line_width(thickness)
    pdf.line(x, y, x + width, y)


def _centred(fonts, text, width, font=SANS, size=SIZE, space_after=0.0):
    lines = fonts.wrap(text, width, font, size)
    lead = size * 1.3 * PT

    def draw(pdf, x, y, w):
        pdf.set_font(font, size=size)
        pdf.set_text_color(0, 0, 0)
        for i, line in enumerate(lines):
            pdf.text(x + (w - fonts.width(line, font, size)) / 2, y + i * lead + lead * 0.78, line)
    return Block(len(lines) * lead + space_after, draw)


def _paragraph(fonts, text, width, space_before=0.0, space_after=0.0):
    lines = fonts.wrap(text, width)
    return Block(space_before + len(lines) * LEAD + space_after,
                 lambda pdf, x, y, w: _text(pdf, x, y + space_before, lines))


def _heading(fonts, text, width):
    size = 9.5
    lines = fonts.wrap(text, width, BOLD, size)
    lead = size * 1.3 * PT

    def draw(pdf, x, y, w):
        _text(pdf, x, y + 2.5, lines, BOLD, size, lead=lead)
        _rule(pdf, x, y + 2.5 + len(lines) * lead + 0.2, w, (0, 0, 0), 0.3 * PT)
    return Block(2.5 + len(lines) * lead + 1.2, draw)


def _marker(fonts, text, width):
    """A framed red line: DUPLICATE with the re-print count, SUPERSEDED, WITHDRAWN."""
    size = 12
    lines = fonts.wrap(text, width - 2 * PAD_X, BOLD, size)
    lead = size * 1.3 * PT
    height = len(lines) * lead + 2

    def draw(pdf, x, y, w):
        pdf.set_draw_color(*RED)
        pdf.set_line_width(1.2 * PT)
        pdf.rect(x, y, w, height)
        pdf.set_font(BOLD, size=size)
        pdf.set_text_color(*RED)
        for i, line in enumerate(lines):
            pdf.text(x + (w - fonts.width(line, BOLD, size)) / 2, y + 1 + i * lead + lead * 0.78, line)
    return Block(height + 2, draw)


def _value_paragraphs(fonts, lines, width):
    """The values of an item as paragraphs of text lines: one per table row ("1: ..."), labelled when the item
    holds more than one field."""
    labelled = len({line.name for line in lines}) > 1
    out = []
    for where, row in rows(lines):
        text = "; ".join(f"{line.label}: {line.value}" if labelled else line.value for line in row)
        out.append(fonts.wrap(f"{where}: {text}" if where else text, width))
    return out


def _item_row(fonts, number, title, values, width):
    """One item of the model: number, title and values (paragraphs of lines, or one text) in three columns."""
    if isinstance(values, str):
        values = [fonts.wrap(values, width - NUM_W - TITLE_W - 2 * PAD_X)]
    return _row_block(number, fonts.wrap(title, TITLE_W - 2 * PAD_X), values)


def _row_block(number, title_lines, paragraphs):
    """A row with a hairline under it. Taller than a page, it splits between its paragraphs (a table row of the
    item stays on one page, so its values read on as one), and inside one only when that alone is too tall."""
    value_lines = [line for paragraph in paragraphs for line in paragraph]
    height = max(len(title_lines), len(value_lines), 1) * LEAD + 2 * PAD_Y

    def draw(pdf, x, y, w):
        if number:
            _text(pdf, x + PAD_X, y + PAD_Y, [number], BOLD)
        _text(pdf, x + NUM_W + PAD_X, y + PAD_Y, title_lines)
        _text(pdf, x + NUM_W + TITLE_W + PAD_X, y + PAD_Y, value_lines)
        _rule(pdf, x, y + height, w)

    def split(available):
        fit = max(1, int((available - 2 * PAD_Y) // LEAD))
        taken, used = 0, 0
        while taken < len(paragraphs) and used + len(paragraphs[taken]) <= fit:
            used += len(paragraphs[taken])
            taken += 1
        if taken:
            first, rest = paragraphs[:taken], paragraphs[taken:]
        else:
            first, rest = [paragraphs[0][:fit]], [paragraphs[0][fit:]] + paragraphs[1:]
        return (_row_block(number, title_lines[:fit], first), _row_block("", title_lines[fit:], rest))
    return Block(height, draw, split=split)


def _items(fonts, items, width):
    value_w = width - NUM_W - TITLE_W - 2 * PAD_X
    return [_item_row(fonts, item.number, item.title, _value_paragraphs(fonts, item.lines, value_w), width)
            for item in items]


def _signature(fonts, coc, w, width):
    cell_w = width / 3
    inner = cell_w - 2 * PAD_X
    cells = [
        fonts.wrap(f"{w.word('place')}: {coc.signatory.get('SignatureLocation', '')}", inner)
        + fonts.wrap(f"{w.word('date')}: {coc.signatory.get('SignatureDate', '')}", inner),
        fonts.wrap(f"{w.word('signed_by')}:", inner) + fonts.wrap(coc.signatory.get("SignerName", ""), inner)
        + fonts.wrap(coc.signatory.get("SignerPosition", ""), inner),
        fonts.wrap(f"{w.word('signature')}:", inner) + ["", ""],
    ]
    height = max(len(c) for c in cells) * LEAD + 2

    def draw(pdf, x, y, w_):
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.3 * PT)
        for i, lines in enumerate(cells):
            pdf.rect(x + i * cell_w, y + 4, cell_w, height)
            _text(pdf, x + i * cell_w + PAD_X, y + 5, lines)
    return Block(height + 4, draw)


def blocks_of(fonts, coc: PaperCoc, w, width, approval_titles, header_titles, print_number, status):
    """The blocks of one certificate, side 1 then side 2 (which starts a page)."""
    markers = []
    if status != "current":
        markers.append(w.word(status))
    if print_number > 1:
        markers.append(f"{w.word('duplicate')} — {w.word('reprint')} {print_number - 1}")

    side1 = [_marker(fonts, m, width) for m in markers]
    side1.append(_centred(fonts, w["title"], width, BOLD, 13, space_after=1))
    side1.append(_centred(fonts, f"{w['side1']} — {coc.model} ({coc.category})", width, space_after=2))
    side1.append(_paragraph(fonts, coc.statement, width, space_before=2, space_after=3))
    side1.extend(_items(fonts, coc.side1, width))
    for name, value in coc.approval.items():
        if name in approval_titles:
            side1.append(_item_row(fonts, "", approval_titles[name], value, width))
    side1.append(_signature(fonts, coc, w, width))

    side2 = [_marker(fonts, m, width) for m in markers]
    side2.append(_centred(fonts, f"{w['side2']} — {w.word('technical')} — {coc.model} ({coc.category})", width,
                          space_after=2))
    side2[0].page_break_before = True
    side2.extend(_items(fonts, coc.side2, width))
    if coc.additional:
        side2.append(_heading(fonts, w.word("additional"), width))
        side2.extend(_items(fonts, coc.additional, width))
    side2.append(_heading(fonts, w.word("header"), width))
    side2.extend(_item_row(fonts, "", header_titles[name], value, width) for name, value in coc.header.items())
    return side1 + side2


def paginate(blocks, page_height):
    """The blocks cut into pages of `page_height` mm: a block goes whole to the next page when it does not fit,
    one taller than a page is split."""
    pages, page, used = [], Page(), 0.0
    queue = list(blocks)
    while queue:
        block = queue.pop(0)
        if block.page_break_before and page.blocks:
            pages.append(page)
            page, used = Page(), 0.0
        if used + block.height > page_height and page.blocks:
            if block.split and block.height > page_height:
                first, rest = block.split(page_height - used)
                if first.height <= page_height - used:
                    page.blocks.append((used, first))
                    queue.insert(0, rest)
                    pages.append(page)
                    page, used = Page(), 0.0
                    continue
            pages.append(page)
            page, used = Page(), 0.0
        if block.height > page_height and block.split:
            first, rest = block.split(page_height)
            page.blocks.append((used, first))
            queue.insert(0, rest)
            pages.append(page)
            page, used = Page(), 0.0
            continue
        page.blocks.append((used, block))
        used += block.height
    if page.blocks:
        pages.append(page)
    return pages


def qr_image(text):
    """The QR code of `text` as a black-and-white image, 4 pixels a module (printed 21 mm wide: over 600 dpi)
    with a one-module quiet zone. Error correction M and a fixed mask: choosing the "best" of the eight masks
    costs the pure-Python encoder some 80 ms a code, and every mask reads the same."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1, mask_pattern=0)
    code.add_data(text)
    matrix = code.get_matrix()
    count = len(matrix)
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    return Image.frombytes("L", (count, count), pixels).resize((count * 4, count * 4), Image.NEAREST)
