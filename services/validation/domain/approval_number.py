"""Whole-vehicle approval numbers as the rules read them (Annex IV of Regulation (EU) 2020/683).

`e<MS>*<act>*<sequence>*<extension>`: the acts of IVI 2.0 (2018/858, 168/2013 for L, 167/2013 for
T/C/R/S), the legacy directive forms (2007/46, 2002/24, 2003/37) and the small-series form with `KS`
(`e4*KS07/46*1234*00`). The official L-category specimens carry `e13*168/2013*01303*00`, whose act has
three digits before the slash, so this reader accepts 2-4 digits there.
"""
import re
from dataclasses import dataclass
from functools import lru_cache

from common.approval_number import MEMBER_STATES

_NUMBER = re.compile(r"(?P<ms>[eE]\d{1,2})\*(?P<act>(?P<ks>KS)?\d{2,4}/\d{2,4})\*(?P<seq>\d{4,5})\*(?P<ext>\d{2})")


@dataclass(frozen=True)
class NumberParts:
    member_state: str
    act: str
    sequence: str
    extension: int

    @property
    def small_series(self):
        return self.act.startswith("KS")

    @property
    def base(self):
        return f"{self.member_state}*{self.act}*{self.sequence}"


def read_number(text):
    """The parts of a whole-vehicle approval number; ValueError saying in words what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("no approval number is given")
    return _read(text)


@lru_cache(maxsize=1024)
def _read(text):
    sections = text.split("*")
    if len(sections) == 5:
        raise ValueError(f"'{text}' has five sections, the form of a system or component approval; the CoC "
                         "carries the whole-vehicle approval number (four sections)")
    match = _NUMBER.fullmatch(text)
    if not match:
        raise ValueError(f"'{text}' is not of the form e<Member State>*<act>*<sequence of 4-5 digits>*"
                         "<2-digit extension>")
    if match["ms"].startswith("E"):
        raise ValueError(f"'{match['ms']}' with a capital E is a UNECE approval mark, not an EU approval")
    if match["ms"] not in MEMBER_STATES:
        raise ValueError(f"'{match['ms']}' is not a Member State code of IVI 2.0")
    return NumberParts(match["ms"], match["act"], match["seq"], int(match["ext"]))


def member_state_of(text):
    """The `eN` code of a number, or None when it cannot be read."""
    try:
        return read_number(text).member_state
    except ValueError:
        return None
