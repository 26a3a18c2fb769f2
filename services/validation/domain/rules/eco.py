"""Eco-innovations (M1 and N1): the indicator, the codes and the CO2 saving agree (EReg setup manual,
GeneralCodeEcoInnovation; the C-HR and RAV4 specimens)."""
from ..applicability import Applicability
from ..data import number, present, rows
from ..engine import Rule
from ..findings import ERROR, Problem
from ..wording import num
from .approval import RESOLVED

M1_N1 = Applicability(categories=("M1", "N1"))
SAVING = "WltpTotalCo2EmissionSavedDueEcoInnovation"


def fitted_complete(ctx):
    if ctx.coc.get("EcoInnovationsFittedIndicator") != "Y":
        return
    if not rows(ctx.coc, "EcoInnovationsTable"):
        yield Problem("the eco-innovations fitted (Member State and code)", "none", path="EcoInnovationsTable",
                      detail="no eco-innovation is listed (EcoInnovationsTable)")
    saving = number(ctx.coc.get(SAVING))
    if saving is None or saving <= 0:
        yield Problem("the CO2 saved, in g/km", num(saving) if saving is not None else "missing", path=SAVING,
                      detail="the CO2 emission saved by them is not stated")


def none_fitted(ctx):
    if ctx.coc.get("EcoInnovationsFittedIndicator") == "Y":
        return
    for field in ("EcoInnovationsTable", SAVING):
        if present(ctx.coc.get(field)):
            yield Problem("no eco-innovation data", "present", path=field, field=field,
                          indicator=ctx.coc.get("EcoInnovationsFittedIndicator") or "missing")


RULES = [
    Rule("ECO-001", ERROR, "EcoInnovationsFittedIndicator",
         "Eco-innovations fitted (Y) are listed with their Member State and code, and the total CO2 saving is "
         "stated.", fitted_complete, requires=RESOLVED, applies=M1_N1,
         message="Eco-innovations are declared fitted, but {detail}."),
    Rule("ECO-002", ERROR, "EcoInnovationsFittedIndicator",
         "Without eco-innovations (indicator N) no eco-innovation codes or saving are stated.", none_fitted,
         requires=RESOLVED, applies=M1_N1,
         message="{field} is stated, but EcoInnovationsFittedIndicator is {indicator}: set the indicator to Y or "
                 "remove the eco-innovation data."),
]
