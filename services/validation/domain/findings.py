"""A finding: what one rule says about one vehicle's data."""
from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """What a rule's check reports; the engine turns it into a `Finding` with the rule's id and severity."""

    message: str
    expected: str = ""
    found: str = ""
    path: str | None = None  # None: the rule's own path


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    path: str
    message: str
    expected: str = ""
    found: str = ""

    def as_dict(self):
        return asdict(self)


def status_of(findings):
    """`blocked` iff any finding is an error."""
    return "blocked" if any(f.severity == ERROR for f in findings) else "valid"
