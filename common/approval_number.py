"""EU type-approval numbers (Annex IV of Regulation (EU) 2020/683), e.g. `e6*2018/858*00264*01`.

Whole-vehicle approvals have four sections: Member State, act, sequence (4-5 digits), extension (2).
Legacy acts (`2007/46`), the L- and T-category regulations (`e13*168/2013*01303*00`, `167/2013`) and
the legacy small-series form (`KS07/46`) are accepted as well.
"""
import re
from dataclasses import dataclass

# the Member State codes of the IVI 2.0 schema (e11 UK is not part of IVI 2.0)
MEMBER_STATES = {
    "e1": "DE", "e2": "FR", "e3": "IT", "e4": "NL", "e5": "SE", "e6": "BE", "e7": "HU", "e8": "CZ",
    "e9": "ES", "e12": "AT", "e13": "LU", "e17": "FI", "e18": "DK", "e19": "RO", "e20": "PL",
    "e21": "PT", "e23": "GR", "e24": "IE", "e25": "HR", "e26": "SI", "e27": "SK", "e29": "EE",
    "e32": "LV", "e34": "BG", "e36": "LT", "e49": "CY", "e50": "MT",
}

_WHOLE_VEHICLE = re.compile(
    r"^(?P<ms>e\d{1,2})\*(?P<act>(?:\d{2,4}/\d{2,4})|(?:KS\d{2}/\d{2,4}))\*(?P<seq>\d{4,5})\*(?P<ext>\d{2})$"
)


@dataclass(frozen=True)
class ApprovalNumber:
    member_state: str
    act: str
    sequence: str
    extension: int

    @property
    def country(self):
        return MEMBER_STATES[self.member_state]

    @property
    def base(self):
        """The number without its extension section: identical for every extension of an approval."""
        return f"{self.member_state}*{self.act}*{self.sequence}"

    def with_extension(self, extension):
        """The number of another extension of the same approval: section 4, two digits."""
        if not 0 <= extension <= 99:
            raise ValueError(f"an extension is 00 to 99, not {extension}")
        return f"{self.base}*{extension:02d}"

    @property
    def small_series(self):
        return self.act.startswith("KS")


def parse_approval_number(text):
    """Parse a whole-vehicle approval number; raise ValueError with a readable reason."""
    if not isinstance(text, str) or not text:
        raise ValueError("an approval number is required")
    m = _WHOLE_VEHICLE.match(text)
    if not m:
        raise ValueError(
            f"'{text}' is not a whole-vehicle approval number of the form e<MS>*<act>*<sequence>*<extension>, "
            "e.g. e6*2018/858*00264*01"
        )
    if m["ms"] not in MEMBER_STATES:
        raise ValueError(f"'{m['ms']}' is not an EU Member State code accepted by IVI 2.0")
    return ApprovalNumber(m["ms"], m["act"], m["seq"], int(m["ext"]))
