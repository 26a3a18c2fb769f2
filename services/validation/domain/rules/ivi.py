"""IVI data completeness and version: the mandatory fields, IVI 2.0 against the production date, and the
order of the certificate's dates."""
import datetime as dt

from ..applicability import Applicability
from ..data import iso_date, rows
from ..engine import Rule
from ..findings import ERROR, WARNING, Problem
from .approval import RESOLVED

IVI_20_OPEN = dt.date(2025, 9, 1)  # EReg timeline: manufacturers may send IVI 2.0 from this date


def mandatory_fields(ctx):
    for path in ctx.missing_mandatory:
        yield Problem("a value", "missing", path=path, field=path)


def produced_before_ivi_20(ctx):
    yield Problem(f"production on or after {IVI_20_OPEN.isoformat()}", ctx.production_day.isoformat(),
                  opened=IVI_20_OPEN.isoformat())


def issued_before_production(ctx):
    issued = iso_date(ctx.coc.get("TypeApprovalIssueDate"))
    produced = iso_date(ctx.coc.get("DateManufactureVehicle"))
    if issued and produced and issued > produced:
        yield Problem(f"on or after {issued.isoformat()}", produced.isoformat(),
                      issued=issued.isoformat(), produced=produced.isoformat())


def produced_before_signature(ctx):
    produced = iso_date(ctx.coc.get("DateManufactureVehicle"))
    if produced is None:
        return
    for i, signer in enumerate(rows(ctx.coc, "SigningAuthorityTable")):
        signed = iso_date(signer.get("SignatureDate"))
        if signed and signed < produced:
            yield Problem(f"on or after {produced.isoformat()}", signed.isoformat(),
                          path=f"SigningAuthorityTable[{i}].SignatureDate",
                          signed=signed.isoformat(), produced=produced.isoformat())


def manufacture_date_given(ctx):
    if not ctx.vehicle.get("production_date"):
        yield Problem("a date of manufacture (item 0.11)", "none", category=ctx.category)


MOTOR_VEHICLES_AND_TRAILERS = ("M", "N", "O")  # their CoC has item 0.11; the L-category CoC has not

RULES = [
    Rule("IVI-001", ERROR, "CocDataGroup",
         "Every field IVI 2.0 makes mandatory is present in the composed CoC, with the groups the EReg rules require "
         "(GeneralConstructionGroup, MassGroup, DimensionGroup), except the signing authority added at signing.",
         mandatory_fields, requires=RESOLVED,
         message="The mandatory IVI field {field} is missing from the certificate data: it must come from the type "
                 "approval or from the vehicle record before the certificate can be issued."),
    Rule("IVI-002", WARNING, "DateManufactureVehicle",
         "IVI 2.0 by production date: IVI 2.0 messages are accepted from 1 September 2025 and mandatory for "
         "production from 5 July 2026 (EReg guidelines 1.9/1.10). A vehicle produced earlier may already have an "
         "IVI 1.x eCoC, and a correction keeps the version of the original. Informative only: the official IVI 2.0 "
         "specimens are dated 2023-2025 and get this warning.",
         produced_before_ivi_20, applies=Applicability(produced_until=IVI_20_OPEN - dt.timedelta(days=1)),
         message="The vehicle was produced on {found}, before IVI 2.0 could be sent ({opened}). If an IVI 1.x eCoC "
                 "was issued for it, a correction must be sent in that version, not as IVI 2.0."),
    Rule("DAT-001", ERROR, "DateManufactureVehicle",
         "The approval extension's issue date (TypeApprovalIssueDate) is on or before the date of manufacture "
         "(0.11). All nine official specimens agree; an equal date is allowed (Prius PHEV).",
         issued_before_production, requires=RESOLVED,
         message="The vehicle was manufactured on {produced}, before its approval extension was issued on {issued}."),
    Rule("DAT-002", ERROR, "SigningAuthorityTable.SignatureDate",
         "The certificate is signed on or after the date of manufacture. (IviVersionDateTime is not judged: the "
         "official specimens carry one earlier than their signature date.)", produced_before_signature,
         requires=RESOLVED,
         message="The certificate is signed on {signed}, before the vehicle was manufactured on {produced}."),
    Rule("DAT-003", ERROR, "DateManufactureVehicle",
         "A vehicle of category M, N or O has a date of manufacture: its CoC shows item 0.11. The L-category CoC "
         "has no such item (IVI 2.0 leaves DateManufactureVehicle optional; the L1e and L5e specimens have none), "
         "and an L-category vehicle's approval is resolved for the day its certificate is issued.",
         manufacture_date_given, requires=RESOLVED,
         applies=Applicability(categories=MOTOR_VEHICLES_AND_TRAILERS),
         message="The vehicle has no date of manufacture, which the CoC of a category {category} vehicle shows "
                 "(item 0.11): give the vehicle's production_date."),
]
