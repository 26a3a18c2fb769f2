"""Which vehicles an approval change touches, matched by the approval's base number (without extension)."""
from common.approval_number import parse_approval_number
from services.vehicles.domain.lifecycle import RELEASED, UNRELEASED


def base_number(number):
    """`e6*2018/858*00264*01` → `e6*2018/858*00264`; a number the parser refuses still loses its last section
    when it has the four of a whole-vehicle approval (a vehicle may reference an approval written oddly)."""
    try:
        return parse_approval_number(number).base
    except ValueError:
        sections = str(number).split("*")
        return "*".join(sections[:-1]) if len(sections) == 4 else str(number)


def impact_of(approval_number, vehicles):
    """`vehicles`: (vin, status) pairs of one base number → unreleased VINs by state, released VINs."""
    unreleased, released = {}, []
    for vin, status in vehicles:
        if status == RELEASED:
            released.append(vin)
        elif status in UNRELEASED:
            unreleased.setdefault(status, []).append(vin)
    return {"approval_number": approval_number, "unreleased": unreleased, "released": released}
