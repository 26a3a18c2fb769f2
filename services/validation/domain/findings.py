"""A finding: what one rule says about one vehicle's data."""
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


class Problem:
    """What a rule's check reports; the engine turns it into a `Finding` with the rule's id and severity.

    `facts` fill the rule's message template; `message` replaces the template where a rule words each
    problem itself (the schema check). `expected` and `found` are always given, in words.
    """

    __slots__ = ("expected", "found", "path", "message", "facts")

    def __init__(self, expected="", found="", path=None, message=None, **facts):
        self.expected = expected
        self.found = found
        self.path = path  # None: the rule's own path
        self.message = message
        self.facts = facts

    def __repr__(self):
        return f"Problem(expected={self.expected!r}, found={self.found!r}, path={self.path!r})"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    path: str
    message: str
    expected: str = ""
    found: str = ""

    def as_dict(self):
        return {"rule": self.rule, "severity": self.severity, "path": self.path, "message": self.message,
                "expected": self.expected, "found": self.found}


def status_of(findings):
    """`blocked` iff any finding is an error."""
    return "blocked" if any(f.severity == ERROR for f in findings) else "valid"
