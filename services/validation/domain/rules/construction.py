"""General construction: axles, doors and dimensions agree with each other."""
from ..data import group, number
from ..engine import Rule
from ..findings import ERROR, WARNING, Problem
from ..wording import listing, mm, num
from .approval import RESOLVED

_AXLE_COUNTS = (  # GeneralConstructionGroup count, AxleGroup indicator, in words
    ("NumberOfPoweredAxles", "PoweredAxleIndicator", "are powered"),
    ("NumberOfSteeredAxles", "SteeredAxleIndicator", "are steered"),
    ("NumberOfAxlesWithTwinWheels", "TwinWheelsAxleIndicator", "have twin wheels"),
    ("NumberOfBrakedAxles", "BrakedAxleIndicator", "are braked"),
)
_DOORS = ("NumberOfDoorsFront", "NumberOfDoorsLeft", "NumberOfDoorsRight", "NumberOfDoorsBack")


def axle_rows(ctx):
    axles = ctx.axles
    declared = number(group(ctx.coc, "GeneralConstructionGroup").get("NumberOfAxles"))
    if declared is not None and axles and declared != len(axles):
        yield Problem(f"{num(declared)} axle rows", f"{len(axles)} axle rows",
                      detail=f"NumberOfAxles is {num(declared)} but the AxleTable describes {len(axles)} axles")
    numbers = [number(a.get("AxleNumber")) for a in axles]
    if axles and None not in numbers and sorted(numbers) != list(range(1, len(axles) + 1)):
        yield Problem(listing(range(1, len(axles) + 1)), listing(num(n) for n in numbers), path="AxleTable",
                      detail="the axles are not numbered 1 to n, each once")


def axle_counts(ctx):
    construction = group(ctx.coc, "GeneralConstructionGroup")
    for count_field, indicator, words in _AXLE_COUNTS:
        declared = number(construction.get(count_field))
        marks = [a.get(indicator) for a in ctx.axles]
        if declared is None or not ctx.axles or None in marks:
            continue
        counted = sum(1 for m in marks if m == "Y")
        if counted != declared:
            yield Problem(f"{num(declared)} axle(s) marked {indicator} Y", f"{counted}",
                          path=f"GeneralConstructionGroup.{count_field}", field=count_field, declared=num(declared),
                          counted=counted, words=words, indicator=indicator)


def door_count(ctx):
    total = number(group(ctx.coc, "GeneralConstructionGroup").get("NumberOfDoors"))
    doors = group(ctx.coc, "ConfigurationDoorsGroup")
    parts = [number(doors.get(f)) for f in _DOORS if doors.get(f) is not None]
    if total is None or not parts or None in parts:
        return
    if sum(parts) != total:
        yield Problem(f"{num(total)} doors", f"{num(sum(parts))} doors", total=num(total), parts=num(sum(parts)))


def wheelbase_is_axle_spacing(ctx):
    axles = ctx.axles
    wheelbase = number(group(ctx.coc, "DimensionGroup").get("Wheelbase"))
    if len(axles) != 2 or wheelbase is None:
        return
    first = min(axles, key=lambda a: number(a.get("AxleNumber")) or 0)
    spacing = number(first.get("AxleSpacing"))
    if spacing is not None and spacing != wheelbase:
        yield Problem(mm(wheelbase), mm(spacing), wheelbase=mm(wheelbase), spacing=mm(spacing))


def dimensions_plausible(ctx):
    dims = group(ctx.coc, "DimensionGroup")
    length, wheelbase = number(dims.get("Length")), number(dims.get("Wheelbase"))
    for name in ("Length", "Width", "Height", "Wheelbase"):
        value = number(dims.get(name))
        if value is not None and value <= 0:
            yield Problem("more than 0 mm", mm(value), path=f"DimensionGroup.{name}",
                          detail=f"{name} is {mm(value)}")
    if length and wheelbase and length > 0 and wheelbase > 0 and wheelbase >= length:
        yield Problem(f"less than the length {mm(length)}", mm(wheelbase), path="DimensionGroup.Wheelbase",
                      detail=f"the wheelbase {mm(wheelbase)} is not shorter than the length {mm(length)}")


RULES = [
    Rule("CON-001", ERROR, "GeneralConstructionGroup.NumberOfAxles",
         "NumberOfAxles equals the number of AxleTable rows, numbered 1 to n: tables are stated completely (EReg "
         "setup manual, multi-stage).", axle_rows, requires=RESOLVED,
         message="The axles do not add up: {detail} (expected {expected}, found {found})."),
    Rule("CON-002", ERROR, "GeneralConstructionGroup",
         "The numbers of powered, steered, twin-wheel and braked axles equal the axles marked so in the AxleTable.",
         axle_counts, requires=RESOLVED,
         message="{field} says {declared} axle(s) {words}, but {counted} axle(s) are marked {indicator} Y."),
    Rule("CON-003", WARNING, "GeneralConstructionGroup.NumberOfDoors",
         "NumberOfDoors equals the doors of ConfigurationDoorsGroup (front, left, right, back) when both are given; "
         "true in all official specimens. A warning: the door configuration may leave out a door the count "
         "includes.", door_count, requires=RESOLVED,
         message="NumberOfDoors is {total}, but the door configuration (front, left, right, back) adds up to "
                 "{parts}."),
    Rule("CON-004", WARNING, "DimensionGroup.Wheelbase",
         "For a two-axle vehicle the wheelbase equals the spacing from axle 1 to axle 2 (AxleSpacing of axle 1). "
         "Narrowed to a warning: the RAV4 hybrid specimen states a wheelbase of 2,690 mm beside an axle spacing of "
         "2,640 mm and is an accepted eCoC.", wheelbase_is_axle_spacing, requires=RESOLVED,
         message="The wheelbase is {wheelbase}, but axle 1 is {spacing} from axle 2; for a two-axle vehicle these "
                 "are the same distance."),
    Rule("CON-005", ERROR, "DimensionGroup",
         "Dimensions are positive and the wheelbase is shorter than the vehicle's length.", dimensions_plausible,
         requires=RESOLVED,
         message="Implausible dimensions: {detail}."),
]
