"""The vehicle lifecycle of the v1 contract, enforced by `services.vehicles.domain.lifecycle`."""
import pytest

from services.vehicles.domain.lifecycle import (
    APPROVED, BLOCKED, DRAFT, IN_REVIEW, RELEASED, TRANSITIONS, VALID, WITHDRAWN, IllegalTransition,
    check_transition, split_movable,
)

ALLOWED = {
    (DRAFT, VALID), (DRAFT, BLOCKED), (DRAFT, DRAFT),
    (VALID, DRAFT), (VALID, VALID), (VALID, BLOCKED), (VALID, IN_REVIEW),
    (BLOCKED, DRAFT), (BLOCKED, VALID), (BLOCKED, BLOCKED),
    (IN_REVIEW, APPROVED), (IN_REVIEW, VALID), (IN_REVIEW, DRAFT),  # a change reopens its release item
    (APPROVED, RELEASED), (APPROVED, VALID), (APPROVED, DRAFT),
    (RELEASED, DRAFT), (RELEASED, WITHDRAWN),  # a correction, a withdrawal
}


@pytest.mark.parametrize("current", sorted(TRANSITIONS))
@pytest.mark.parametrize("target", sorted(TRANSITIONS))
def test_exactly_the_contracts_transitions_are_allowed(current, target):
    if (current, target) in ALLOWED:
        assert check_transition(current, target) == target
    else:
        with pytest.raises(IllegalTransition) as caught:
            check_transition(current, target, "NWA12345678901234")
        assert caught.value.current == current and caught.value.target == target
        assert f"is {current}" in str(caught.value) and f"cannot become {target}" in str(caught.value)


def test_withdrawal_is_final_and_says_so():
    with pytest.raises(IllegalTransition, match="a withdrawal is final"):
        check_transition(WITHDRAWN, DRAFT, "X")


def test_only_released_vehicles_are_withdrawn():
    for status in (DRAFT, VALID, BLOCKED, IN_REVIEW, APPROVED, WITHDRAWN):
        with pytest.raises(IllegalTransition):
            check_transition(status, WITHDRAWN)


def test_split_movable_names_every_refusal():
    vehicles = [{"vin": "A", "status": IN_REVIEW}, {"vin": "B", "status": VALID}, {"vin": "C", "status": RELEASED}]
    movable, refused = split_movable(vehicles, APPROVED)
    assert movable == ["A"]
    assert [(e.vin, e.current, e.target) for e in refused] == [("B", VALID, APPROVED), ("C", RELEASED, APPROVED)]
