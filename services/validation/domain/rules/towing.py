"""Towing and coupling (EReg setup manual v1.5: trailer masses of M and N, coupling devices, vertical mass)."""
from ..applicability import Applicability
from ..data import nested_rows, number, present, rows
from ..engine import Rule
from ..findings import ERROR, WARNING, Problem
from ..wording import kg, listing, num
from .approval import RESOLVED

MNO = Applicability(categories=("M", "N", "O"))
MN = Applicability(categories=("M", "N"))
M1 = Applicability(categories=("M1",))


def _bodywork_rows(ctx):
    """[(trail index, row index, trail group, bodywork row)] of the TowingBrakedTypeTrailTable."""
    return ctx.remember("bodywork rows", _collect_bodywork_rows)


def _collect_bodywork_rows(ctx):
    return nested_rows(ctx.coc, "TowingBrakedTypeTrailTable", "BodyworkTypeTable")


def _towable(row):
    return number(row.get("TechnicallyPermissibleMaximumTowableMass"))


def braking_stated(ctx):
    reported = set()  # one finding per trail group, however many bodywork rows it has
    for t, _, trail, row in _bodywork_rows(ctx):
        if t not in reported and _towable(row) is not None and not present(trail.get("BrakedTypeTrail")):
            reported.add(t)
            yield Problem("BRK or UNB", "missing", path=f"TowingBrakedTypeTrailTable[{t}].BrakedTypeTrail",
                          mass=kg(_towable(row)))


def braked_bodywork(ctx):
    for t, b, trail, row in _bodywork_rows(ctx):
        if trail.get("BrakedTypeTrail") == "BRK" and _towable(row) is not None \
                and not present(row.get("BodyworkTypeTrailer")):
            yield Problem("the trailer type (DA, DB, DC or DE)", "missing",
                          path=f"TowingBrakedTypeTrailTable[{t}].BodyworkTypeTable[{b}].BodyworkTypeTrailer",
                          mass=kg(_towable(row)))


def combination_stated(ctx):
    heaviest = max((_towable(r) or 0 for *_, r in _bodywork_rows(ctx)), default=0)
    if heaviest > 0 and not _combination_masses(ctx):
        yield Problem("a technically permissible maximum combination mass", "none", mass=kg(heaviest))


def _combination_masses(ctx):
    return [number(r.get("TechnicallyPermissibleMaximumCombinationMass")) for *_, r in _bodywork_rows(ctx)
            if number(r.get("TechnicallyPermissibleMaximumCombinationMass")) is not None]


def combination_over_laden(ctx):
    laden = ctx.tpmlm()
    for combination in _combination_masses(ctx):
        if laden is not None and combination < laden:
            yield Problem(f"at least {kg(laden)}", kg(combination), combination=kg(combination), laden=kg(laden))


def combination_within_train(ctx):
    laden = ctx.tpmlm()
    heaviest = max((_towable(r) or 0 for *_, r in _bodywork_rows(ctx)), default=0)
    for combination in _combination_masses(ctx):
        if laden is not None and combination > laden + heaviest:
            yield Problem(f"at most {kg(laden + heaviest)}", kg(combination), combination=kg(combination),
                          laden=kg(laden), towable=kg(heaviest))


def braking_codes(ctx):
    for t, trail in enumerate(rows(ctx.coc, "TowingBrakedTypeTrailTable")):
        code = trail.get("BrakedTypeTrail")
        if present(code) and code not in ("BRK", "UNB"):
            yield Problem("BRK or UNB", code, path=f"TowingBrakedTypeTrailTable[{t}].BrakedTypeTrail", code=code)


def no_coupling_table(ctx):
    if rows(ctx.coc, "MechanicalCouplingTable"):
        yield Problem("no MechanicalCouplingTable", "present", path="MechanicalCouplingTable")


def _vertical_rows(ctx):
    return rows(ctx.masses, "MaximumStaticVerticalMassCouplingPointTable")


def m1_vertical_mass_reference(ctx):
    for i, row in enumerate(_vertical_rows(ctx)):
        if present(row.get("MechanicalCouplingNumberVerticalMass")):
            yield Problem("no coupling number", str(row.get("MechanicalCouplingNumberVerticalMass")),
                          path=f"MassGroup.MaximumStaticVerticalMassCouplingPointTable[{i}]."
                               "MechanicalCouplingNumberVerticalMass")


def coupling_references(ctx):
    couplings = {number(r.get("MechanicalCouplingNumber")) for r in rows(ctx.coc, "MechanicalCouplingTable")}
    couplings.discard(None)
    references = []
    vertical = [] if (ctx.category or "").startswith("M1") else _vertical_rows(ctx)  # M1: TOW-008 says it
    for i, row in enumerate(vertical):
        where = f"MassGroup.MaximumStaticVerticalMassCouplingPointTable[{i}].MechanicalCouplingNumberVerticalMass"
        references.append((where, number(row.get("MechanicalCouplingNumberVerticalMass"))))
    towing = []
    for t, trail in enumerate(rows(ctx.coc, "TowingBrakedTypeTrailTable")):
        ref = number(trail.get("MechanicalCouplingNumberTowingMasses"))
        references.append((f"TowingBrakedTypeTrailTable[{t}].MechanicalCouplingNumberTowingMasses", ref))
        if ref is not None:
            towing.append(ref)
    known = listing(sorted(num(c) for c in couplings))
    for where, ref in references:
        if ref is not None and ref not in couplings:
            yield Problem(f"a coupling of the MechanicalCouplingTable ({known})", num(ref), path=where,
                          detail=f"{where.rsplit('.', 1)[-1]} names coupling {num(ref)}, which the "
                                 f"MechanicalCouplingTable does not list (couplings listed: {known})")
    unreferenced = couplings - set(towing)
    if towing and unreferenced:
        missing = listing(sorted(num(u) for u in unreferenced))
        yield Problem(f"towing masses for every coupling ({known})", f"none for {missing}",
                      path="TowingBrakedTypeTrailTable",
                      detail=f"towing masses are given per coupling, but not for coupling(s) {missing}: every "
                             "coupling of the MechanicalCouplingTable needs them")


def can_be_fitted(ctx):
    if not rows(ctx.coc, "MechanicalCouplingCanBeFittedTable"):
        return
    category, stage = ctx.category or "", ctx.stage
    if category.startswith(("M1", "L")):
        why = f"category {category}"
    elif stage in ("C", "V"):
        why = f"a {'complete' if stage == 'C' else 'completed'} vehicle (stage {stage})"
    else:
        return
    yield Problem("no MechanicalCouplingCanBeFittedTable", "present", why=why)


RULES = [
    Rule("TOW-001", ERROR, "TowingBrakedTypeTrailTable",
         "A towable mass (18) states whether the trailer is braked: BrakedTypeTrail BRK or UNB (EReg setup manual).",
         braking_stated, requires=RESOLVED, applies=MNO,
         message="A technically permissible towable mass of {mass} is stated without saying whether the trailer is "
                 "braked (BrakedTypeTrail BRK or UNB)."),
    Rule("TOW-002", ERROR, "TowingBrakedTypeTrailTable",
         "A braked towable mass (BRK) names the trailer type (BodyworkTypeTrailer), as the EReg setup manual v1.5 "
         "requires and every specimen does; this overrides the earlier change overview, which said M/N/O need not "
         "state it.", braked_bodywork, requires=RESOLVED, applies=MNO,
         message="The braked towable mass of {mass} does not name the trailer type (BodyworkTypeTrailer: DA semi-"
                 "trailer, DB drawbar, DC centre-axle, DE rigid drawbar)."),
    Rule("TOW-003", ERROR, "TowingBrakedTypeTrailTable",
         "A vehicle that may tow (a towable mass above 0) states its technically permissible maximum combination "
         "mass (16.4). Narrowed: the Prius PHEV specimen states towable masses of 0 kg and no combination mass, so "
         "zero towable masses need none.", combination_stated, requires=RESOLVED, applies=MN,
         message="The vehicle may tow up to {mass} but states no technically permissible maximum combination mass "
                 "(16.4)."),
    Rule("TOW-004", ERROR, "TowingBrakedTypeTrailTable",
         "The combination mass (16.4) is at least the vehicle's technically permissible maximum laden mass (16.1).",
         combination_over_laden, requires=RESOLVED, applies=MN,
         message="The technically permissible maximum combination mass (16.4) {combination} is below the vehicle's "
                 "own technically permissible maximum laden mass (16.1) {laden}."),
    Rule("TOW-005", WARNING, "TowingBrakedTypeTrailTable",
         "The combination mass is at most the laden mass plus the largest towable mass (equal in four of the five "
         "specimens stating it).", combination_within_train, requires=RESOLVED, applies=MN,
         message="The technically permissible maximum combination mass (16.4) {combination} exceeds the laden mass "
                 "{laden} plus the largest towable mass {towable}."),
    Rule("TOW-006", ERROR, "TowingBrakedTypeTrailTable",
         "For M, N and O the braking of the trailer is BRK or UNB; the other codes (HDB, INB, PNB, PNH) are for "
         "agricultural vehicles (EReg setup manual, change overview).", braking_codes, requires=RESOLVED,
         applies=MNO,
         message="BrakedTypeTrail {code} is for agricultural vehicles; M, N and O state BRK (braked) or UNB "
                 "(unbraked)."),
    Rule("TOW-007", ERROR, "MechanicalCouplingTable",
         "An M1 vehicle has no MechanicalCouplingTable (EReg setup manual: the table is forbidden for M1).",
         no_coupling_table, requires=RESOLVED, applies=M1,
         message="The MechanicalCouplingTable is not allowed for category M1 (EReg setup manual); state the vertical "
                 "mass at the coupling point in the MassGroup instead."),
    Rule("TOW-008", ERROR, "MassGroup.MaximumStaticVerticalMassCouplingPointTable",
         "For M1 the static vertical mass at the coupling point names no coupling (MechanicalCouplingNumberVertical"
         "Mass is forbidden for M1, EReg setup manual).", m1_vertical_mass_reference, requires=RESOLVED, applies=M1,
         message="MechanicalCouplingNumberVerticalMass is not allowed for M1: the vertical mass is stated for the "
                 "vehicle, without a coupling number (found {found})."),
    Rule("TOW-009", ERROR, "MechanicalCouplingTable",
         "Coupling numbers used by vertical masses and towing masses exist in the MechanicalCouplingTable, and once "
         "towing masses are given per coupling every coupling has them (EReg setup manual).", coupling_references,
         requires=RESOLVED,
         message="{detail}."),
    Rule("TOW-010", ERROR, "MechanicalCouplingCanBeFittedTable",
         "Couplings that can be fitted later are listed only for incomplete vehicles and not for M1 or L (EReg "
         "setup manual: forbidden for M1, L, T, C, R, S and for stages C and V).", can_be_fitted, requires=RESOLVED,
         message="The MechanicalCouplingCanBeFittedTable is not allowed for {why}: it lists couplings a later stage "
                 "may fit to an incomplete vehicle."),
]
