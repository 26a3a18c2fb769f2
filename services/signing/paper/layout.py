"""An entity's print settings for the paper CoC (plain data; the renderer lays pages out by them)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .wording import DEFAULT_LANGUAGE


@dataclass
class Margins:
    top: float = 12
    right: float = 14
    bottom: float = 10
    left: float = 18


@dataclass
class Layout:
    """An entity's print settings for its security paper: margins (mm) that keep the text inside a pre-printed
    frame, an optional background layer (an SVG drawn under the whole A4 page: watermark art or a frame for
    plain paper), an optional watermark text, the language of the wording."""
    margins: Margins = field(default_factory=Margins)
    background_svg: str | None = None
    watermark: str | None = None
    language: str = DEFAULT_LANGUAGE

    @classmethod
    def from_dict(cls, data):
        data = dict(data or {})
        margins = Margins(**(data.pop("margins", None) or {}))
        known = {k: data[k] for k in ("background_svg", "watermark", "language") if k in data}
        return cls(margins=margins, **known)
