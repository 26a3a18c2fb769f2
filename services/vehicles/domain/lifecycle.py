"""The vehicle lifecycle: draft → valid | blocked → in_review → approved → released; withdrawn."""
DRAFT, VALID, BLOCKED, IN_REVIEW, APPROVED, RELEASED, WITHDRAWN = (
    "draft", "valid", "blocked", "in_review", "approved", "released", "withdrawn")

TRANSITIONS = {
    DRAFT: {VALID, BLOCKED, DRAFT},
    VALID: {DRAFT, VALID, BLOCKED, IN_REVIEW},
    BLOCKED: {DRAFT, VALID, BLOCKED},
    IN_REVIEW: {APPROVED, VALID},
    APPROVED: {RELEASED, VALID},
    RELEASED: {WITHDRAWN},
    WITHDRAWN: set(),
}

EDITABLE = {DRAFT, VALID, BLOCKED}


class IllegalTransition(ValueError):
    pass


def check_transition(current, target):
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"a {current} vehicle cannot become {target}")
    return target
