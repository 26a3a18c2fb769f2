"""The vehicle lifecycle: draft → valid | blocked → in_review → approved → released; withdrawn.

A released vehicle changes only through a correction (back to draft, through validation, review and
signing again) or is withdrawn, which is final. A vehicle in review or approved that changes (an edit, a
stage import, its approval extended or withdrawn) leaves its release and goes back to draft: its release item
is reopened (what was reviewed is no longer what would be sealed).
"""
DRAFT, VALID, BLOCKED, IN_REVIEW, APPROVED, RELEASED, WITHDRAWN = (
    "draft", "valid", "blocked", "in_review", "approved", "released", "withdrawn")

TRANSITIONS = {
    DRAFT: {VALID, BLOCKED, DRAFT},
    VALID: {DRAFT, VALID, BLOCKED, IN_REVIEW},
    BLOCKED: {DRAFT, VALID, BLOCKED},
    IN_REVIEW: {APPROVED, VALID, DRAFT},
    APPROVED: {RELEASED, VALID, DRAFT},
    RELEASED: {DRAFT, WITHDRAWN},
    WITHDRAWN: set(),
}

EDITABLE = {DRAFT, VALID, BLOCKED}
REOPENABLE = {IN_REVIEW, APPROVED}  # a change takes the vehicle out of its release
CHANGEABLE = EDITABLE | REOPENABLE
UNRELEASED = (DRAFT, VALID, BLOCKED, IN_REVIEW, APPROVED)


class IllegalTransition(ValueError):
    def __init__(self, vin, current, target):
        super().__init__(f"vehicle {vin} is {current}; a {current} vehicle cannot become {target}"
                         + _HINTS.get((current, target), ""))
        self.vin, self.current, self.target = vin, current, target


_HINTS = {
    (WITHDRAWN, DRAFT): " (a withdrawal is final)",
}


def check_transition(current, target, vin=""):
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(vin, current, target)
    return target


def split_movable(vehicles, target):
    """`(vins that may become target, [IllegalTransition] for the others)`."""
    movable, refused = [], []
    for vehicle in vehicles:
        try:
            check_transition(vehicle["status"], target, vehicle["vin"])
        except IllegalTransition as exc:
            refused.append(exc)
        else:
            movable.append(vehicle["vin"])
    return movable, refused
