"""Category limits (Regulation (EU) 2018/858 Art. 4, Regulation (EU) 168/2013 Annex I): seats, masses, speeds."""
from ..applicability import Applicability
from ..data import group, number
from ..engine import Rule
from ..findings import ERROR, Problem
from ..wording import kg, num
from .approval import RESOLVED

# category prefix -> (laden mass above, laden mass at most), kg; None: no bound
MASS_LIMITS = {
    "M2": (None, 5000), "M3": (5000, None),
    "N1": (None, 3500), "N2": (3500, 12000), "N3": (12000, None),
    "O1": (None, 750), "O2": (750, 3500), "O3": (3500, 10000), "O4": (10000, None),
}
SPEED_LIMITS = {"L1e-A": 25, "L1e-B": 45, "L2e": 45, "L6e": 45}  # maximum design speed, km/h


MASS_MESSAGE = ("A technically permissible maximum laden mass (16.1) of {laden} does not fit category {category}, "
                "which requires {expected}.")


def _limits(ctx, table):
    return next((v for k, v in table.items() if ctx.category.startswith(k)), None)


def m1_seats(ctx):
    construction = group(ctx.coc, "GeneralConstructionGroup")
    seats = number(construction.get("NumberOfSeatingPositionsIncludingDriver"))
    if seats is None:
        besides = number(construction.get("NumberOfSeatingPositionsExcludingDriver"))
        seats = besides + 1 if besides is not None else None
    if seats is not None and seats > 9:
        yield Problem("at most 9 seating positions including the driver", f"{num(seats)}",
                      seats=num(seats), category=ctx.category)


def laden_mass_in_category(ctx):
    bounds = _limits(ctx, MASS_LIMITS)
    laden = ctx.tpmlm()
    if bounds is None or laden is None:
        return
    above, at_most = bounds
    if (above is not None and laden <= above) or (at_most is not None and laden > at_most):
        wanted = " and ".join(filter(None, (above is not None and f"more than {kg(above)}",
                                            at_most is not None and f"at most {kg(at_most)}")))
        yield Problem(wanted, kg(laden), category=ctx.category, laden=kg(laden))


def design_speed_in_category(ctx):
    limit = _limits(ctx, SPEED_LIMITS)
    speed = number(ctx.coc.get("MaximumSpeed"))
    if limit is not None and speed is not None and speed > limit:
        yield Problem(f"at most {limit} km/h", f"{num(speed)} km/h", category=ctx.category)


RULES_MN = [
    Rule("CAT-001", ERROR, "GeneralConstructionGroup.NumberOfSeatingPositionsIncludingDriver",
         "An M1 vehicle has at most eight seating positions besides the driver's (42).", m1_seats,
         requires=RESOLVED, applies=Applicability(categories=("M1",)),
         message="Category {category} allows at most eight seating positions besides the driver's, but the vehicle "
                 "has {seats} including the driver. Check the seats or the category."),
    Rule("CAT-002", ERROR, "MassGroup.TechnicallyPermissibleMaximumLadenMass",
         "The technically permissible maximum laden mass (16.1) fits the category: M2 up to 5 t, M3 above; N1 up to "
         "3.5 t, N2 up to 12 t, N3 above (the N2 specimen, an electric van of 4,250 kg, is N2).",
         laden_mass_in_category, requires=RESOLVED, applies=Applicability(categories=("M2", "M3", "N")),
         message=MASS_MESSAGE),
]

RULES_O = [
    Rule("CAT-004", ERROR, "MassGroup.TechnicallyPermissibleMaximumLadenMass",
         "The technically permissible maximum laden mass fits the trailer category: O1 up to 0.75 t, O2 up to "
         "3.5 t, O3 up to 10 t, O4 above.", laden_mass_in_category, requires=RESOLVED,
         message=MASS_MESSAGE),
]

RULES_L = [
    Rule("CAT-003", ERROR, "MaximumSpeed",
         "The maximum design speed fits the L category: L1e-A up to 25 km/h; L1e-B, L2e and L6e up to 45 km/h "
         "(the L1e-B specimen states 44.00).", design_speed_in_category, requires=RESOLVED,
         message="A maximum design speed of {found} does not fit category {category}, which allows {expected}."),
]
