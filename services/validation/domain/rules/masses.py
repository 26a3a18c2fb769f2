"""Mass plausibility (domain §4, inferred and true in all nine specimens): running order <= actual <= laden
<= sum of the axles."""
from ..data import group, number
from ..engine import Rule
from ..findings import ERROR, WARNING, Problem
from ..wording import kg
from .approval import RESOLVED


def actual_over_running_order(ctx):
    actual, running = number(ctx.masses.get("ActualMass")), number(ctx.masses.get("MassInRunningOrder"))
    if actual is not None and running is not None and actual < running:
        yield Problem(f"at least {kg(running)}", kg(actual), actual=kg(actual), running=kg(running))


def laden_over_actual(ctx):
    laden, actual = ctx.tpmlm(), number(ctx.masses.get("ActualMass"))
    if laden is not None and actual is not None and laden < actual:
        yield Problem(f"at least {kg(actual)}", kg(laden), laden=kg(laden), actual=kg(actual))


def axles_carry_laden(ctx):
    laden = ctx.tpmlm()
    loads = [number(a.get("TechnicallyPermissibleMassAxle")) for a in ctx.axles]
    if laden is None or not loads or None in loads:
        return
    if sum(loads) < laden:
        yield Problem(f"at least {kg(laden)}", kg(sum(loads)), total=kg(sum(loads)), laden=kg(laden))


def axle_distribution(ctx):
    running = number(ctx.masses.get("MassInRunningOrder"))
    shares = [number(a.get("DistributionMassRunningOrderAxle")) for a in ctx.axles]
    if running is None or not shares or None in shares:
        return
    if sum(shares) != running:
        yield Problem(kg(running), kg(sum(shares)), total=kg(sum(shares)), running=kg(running))


_ALLOWED = (("ActualMass", "AllowedActualMass", "actual mass (13.2)"),
            ("TechnicallyPermissibleMaximumLadenMass", "AllowedTechnicallyPermissibleMaximumLadenMass",
             "technically permissible maximum laden mass (16.1)"))


def within_allowed_values(ctx):
    allowed = group(ctx.coc, "AllowedParameterValuesMultistageGroup")
    for field, limit_field, words in _ALLOWED:
        value = number(ctx.masses.get(field))
        if value is None:
            continue
        limit = number(allowed.get(limit_field))
        low, high = number(allowed.get(limit_field + "Min")), number(allowed.get(limit_field + "Max"))
        if limit is not None and value > limit:
            yield Problem(f"at most {kg(limit)}", kg(value), path=f"MassGroup.{field}", words=words,
                          value=kg(value), limit=f"{limit_field} {kg(limit)}")
        elif low is not None and high is not None and not low <= value <= high:
            yield Problem(f"{kg(low)} to {kg(high)}", kg(value), path=f"MassGroup.{field}", words=words,
                          value=kg(value), limit=f"{limit_field}Min-Max {kg(low)}-{kg(high)}")


RULES = [
    Rule("MAS-001", ERROR, "MassGroup.ActualMass",
         "The actual mass (13.2) is at least the mass in running order (13).", actual_over_running_order,
         requires=RESOLVED,
         message="Actual mass (13.2) {actual} is below the mass in running order (13) {running}."),
    Rule("MAS-002", ERROR, "MassGroup.TechnicallyPermissibleMaximumLadenMass",
         "The technically permissible maximum laden mass (16.1) is at least the actual mass (13.2).",
         laden_over_actual, requires=RESOLVED,
         message="Technically permissible maximum laden mass (16.1) {laden} is below the actual mass (13.2) "
                 "{actual}."),
    Rule("MAS-003", ERROR, "AxleTable",
         "The technically permissible masses of the axles (16.2) add up to at least the technically permissible "
         "maximum laden mass (16.1).", axles_carry_laden, requires=RESOLVED,
         message="The technically permissible axle masses (16.2) add up to {total}, less than the technically "
                 "permissible maximum laden mass (16.1) {laden}."),
    Rule("MAS-004", WARNING, "AxleTable",
         "The distribution of the mass in running order over the axles adds up to the mass in running order (13) "
         "(true for the N2 specimen, the only one stating it).", axle_distribution, requires=RESOLVED,
         message="The mass in running order distributed over the axles adds up to {total}, but the mass in running "
                 "order (13) is {running}."),
    Rule("MAS-005", WARNING, "AllowedParameterValuesMultistageGroup",
         "The actual mass and the laden mass stay within the allowed parameter values for multi-stage WLTP "
         "(true for every specimen stating them).", within_allowed_values, requires=RESOLVED,
         message="The {words} {value} is outside the allowed value for multi-stage emissions ({limit}): the base "
                 "vehicle's emission values cannot be used for it."),
]
