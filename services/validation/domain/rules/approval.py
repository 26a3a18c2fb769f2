"""The approval behind the vehicle: its number, in force on the production date, covering the vehicle's
version, and the small-series and provisional forms.

The approvals service resolves a number only among the approvals of the vehicle's own legal entity, so
another entity's approval is never judged here: its number reads like one never registered."""
from common.resolution_plan import reference_date

from ..approval_number import member_state_of, read_number
from ..data import rows
from ..engine import Rule
from ..findings import ERROR, WARNING, Problem
from ..wording import listing

INCOMPLETE = "reference_incomplete"  # set locally when the vehicle lacks what resolution needs
RESOLVED = ("APR-002",)  # what every rule judging the composed certificate requires

_EXPLAIN = {
    "approval_unknown": "Type approval {number} is not registered for legal entity {entity}, so the vehicle has "
                        "no approval to be certified against. Register the approval or correct the vehicle's "
                        "approval number or entity.",
    "approval_withdrawn": "Type approval {number} is withdrawn for vehicles produced on {date}: {detail}. "
                          "A CoC cannot be issued under a withdrawn approval.",
    "approval_not_yet_valid": "No revision of type approval {number} was in force on the production date "
                              "{date}: {detail}. Check the production date or register the extension.",
    "version_unknown": "The approval in force on {date} does not cover this vehicle: {detail}. Check type, "
                       "variant and version against the approval.",
    INCOMPLETE: "The vehicle's approval reference cannot be resolved: {detail}.",
}

_EXPECTED = {
    "approval_unknown": "a type approval registered for the vehicle's legal entity",
    "approval_withdrawn": "an approval not withdrawn on the production date",
    "approval_not_yet_valid": "an approval revision issued on or before the production date",
    "version_unknown": "a type / variant / version listed in the approval",
    INCOMPLETE: "approval number, type, variant, version and an ISO production date",
}


def approval_number_format(ctx):
    number = ctx.vehicle.get("approval_number")
    try:
        read_number(number)
    except ValueError as exc:
        yield Problem("e<MS>*<act>*<sequence of 4-5 digits>*<2-digit extension>, e.g. e6*2018/858*00264*01",
                      number if isinstance(number, str) else "", reason=exc)


def approval_in_force(ctx):
    result = ctx.resolution
    if result is not None and result.get("ok"):
        return
    v = ctx.vehicle
    result = result or {"reason": INCOMPLETE, "message": "the reference is incomplete"}
    reason = result.get("reason") or "approval_unknown"
    detail = result.get("message") or reason
    template = _EXPLAIN.get(reason, "The approval reference was rejected ({reason}): {detail}.")
    yield Problem(
        _EXPECTED.get(reason, "an approval in force covering the vehicle's version"), f"{reason}: {detail}",
        path="Version" if reason == "version_unknown" else None,
        message=template.format(number=v.get("approval_number"), entity=v.get("entity"),
                                date=_day(v), detail=detail, reason=reason),
    )


def _day(vehicle):
    """The day the approval was resolved for, as a message says it."""
    if vehicle.get("production_date"):
        return vehicle["production_date"]
    return f"{reference_date(vehicle)} (the day of issue: the vehicle has no date of manufacture)"


def _extensions(ctx):
    named = read_number(ctx.vehicle.get("approval_number")).extension
    in_force = ctx.resolution.get("extension")
    if not isinstance(in_force, int):
        in_force = read_number(ctx.resolution.get("number")).extension
    return named, in_force


def extension_issued(ctx):
    named, in_force = _extensions(ctx)
    if named > in_force:
        yield Problem(f"extension {in_force:02d} or earlier", f"extension {named:02d}",
                      number=ctx.vehicle.get("approval_number"), date=_day(ctx.vehicle),
                      current=ctx.resolution.get("number"), issued=ctx.resolution.get("issue_date"))


def extension_current(ctx):
    named, in_force = _extensions(ctx)
    if named < in_force:
        yield Problem(f"extension {in_force:02d}", f"extension {named:02d}",
                      number=ctx.vehicle.get("approval_number"), date=_day(ctx.vehicle),
                      current=ctx.resolution.get("number"), issued=ctx.resolution.get("issue_date"))


def designated_country(ctx):
    designated = ctx.effective_header.get("DesignatedTypeApprovalCountry")
    number = ctx.coc.get("TypeApprovalNumber")
    section = member_state_of(number)
    if section and designated != section:
        yield Problem(section, designated or "missing", number=number)


def small_series_form(ctx):
    kind = ctx.coc.get("TypeApprovalType")
    number = ctx.coc.get("TypeApprovalNumber")
    try:
        small = read_number(number).small_series
    except ValueError:
        return  # APR-001 / XSD-001 judge the number itself
    if kind == "ESS" and not small:
        yield Problem("section 2 starting with KS (e.g. e4*KS18/858*1234*00)", number, kind=kind, number=number,
                      why="an EU small-series approval carries KS before the act in section 2")
    elif kind == "EU" and small:
        yield Problem("TypeApprovalType ESS or NSS", kind, number=number, kind=kind,
                      why="the KS form of section 2 is for small-series approvals only")


_SMALL_SERIES_FIELDS = ("ProductionYearSmallSeries", "ProductionSequentialNumberSmallSeries")


def small_series_numbering(ctx):
    kind = ctx.coc.get("TypeApprovalType")
    given = [f for f in _SMALL_SERIES_FIELDS if ctx.coc.get(f) not in (None, "")]
    if kind in ("ESS", "NSS"):
        for field in _SMALL_SERIES_FIELDS:
            if field not in given:
                yield Problem("the year and sequential number of the small series", "missing", path=field,
                              detail=f"{field} is missing: a small-series vehicle (approval type {kind}) carries "
                                     "its production year and sequential number")
    elif kind == "EU":
        for field in given:
            yield Problem("no small-series numbering", str(ctx.coc.get(field)), path=field,
                          detail=f"{field} is given ({ctx.coc.get(field)}), but only small-series vehicles (approval "
                                 "type ESS or NSS) carry it; this approval is of type EU")


def provisional_territory(ctx):
    if ctx.coc.get("ProvisionalTypeApprovalIndicator") != "Y":
        return
    table = rows(ctx.coc, "ProvisionalApprovalTerritoryTable")
    territory = [c for c in (r.get("ProvisionalApprovalTerritoryCountry") for r in table) if c]
    if not territory:
        yield Problem("the countries where the provisional approval is valid", "none",
                      detail="the certificate does not list the territory (ProvisionalApprovalTerritoryTable)")
    elif ctx.country and ctx.country not in territory:
        yield Problem(f"an intended country among {listing(territory)}", ctx.country,
                      detail=f"the intended country {ctx.country} is outside it ({listing(territory)})")


RULES = [
    Rule("APR-001", ERROR, "TypeApprovalNumber",
         "The type-approval number has the whole-vehicle form e<MS>*<act>*<sequence>*<extension> (Annex IV of "
         "Regulation (EU) 2020/683) with an IVI 2.0 Member State code; legacy acts (2007/46, 2002/24, 2003/37), the "
         "acts of L and T vehicles (168/2013, 167/2013, as in the official L-category specimens) and the small-series "
         "form (KS) are accepted.", approval_number_format,
         message="The type-approval number is not valid: {reason}."),
    Rule("APR-002", ERROR, "TypeApprovalNumber",
         "The approval is registered for the vehicle's legal entity (only the holder of an approval issues its "
         "CoC), is not withdrawn, has a revision in force on the production date, and lists the vehicle's type / "
         "variant / version.", approval_in_force, requires=("APR-001",),
         message="{found}"),
    Rule("APR-003", ERROR, "TypeApprovalNumber",
         "The extension the vehicle record names was issued on or before the production date: a vehicle is not "
         "certified under an extension that came after it was built.", extension_issued, requires=RESOLVED,
         message="The vehicle record names {number}, but on the production date {date} the extension in force was "
                 "{current} (issued {issued}): a vehicle cannot be certified under an extension issued after it was "
                 "produced. Correct the approval number or the production date."),
    Rule("APR-004", WARNING, "TypeApprovalNumber",
         "The vehicle record names the extension in force on the production date. When it names an older one, the "
         "certificate still carries the extension in force and its data.", extension_current, requires=RESOLVED,
         message="The vehicle record names {number}, but {current} (issued {issued}) was in force on the production "
                 "date {date}: the certificate carries {current} and its data. Update the vehicle record."),
    Rule("APR-006", ERROR, "Header.DesignatedTypeApprovalCountry",
         "The header's DesignatedTypeApprovalCountry equals section 1 of the type-approval number (for vehicles the "
         "header is derived from the number, so this judges imported documents).", designated_country,
         requires=RESOLVED,
         message="The designated type-approval country is {found}, but approval {number} was granted by {expected} "
                 "(section 1 of the number)."),
    Rule("APR-007", ERROR, "TypeApprovalType",
         "An EU small-series approval (ESS) has KS before the act in section 2 of its number; an EU approval does "
         "not. National small series (NSS) are not judged.", small_series_form, requires=RESOLVED,
         message="Approval type {kind} does not fit approval number {number}: {why}."),
    Rule("APR-008", ERROR, "ProductionSequentialNumberSmallSeries",
         "Small-series vehicles (ESS, NSS) carry ProductionYearSmallSeries and ProductionSequentialNumberSmallSeries; "
         "other vehicles do not.", small_series_numbering, requires=RESOLVED,
         message="{detail}."),
    Rule("APR-009", ERROR, "ProvisionalApprovalTerritoryTable",
         "A provisional approval (Art. 39 of Regulation (EU) 2018/858) is valid in its territory only: the CoC lists "
         "the territory and the intended country lies in it.", provisional_territory, requires=RESOLVED,
         message="The approval is provisional, and {detail}. A provisionally approved vehicle can only be "
                 "registered there."),
]
