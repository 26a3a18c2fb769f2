"""The rule packs this service judges with, in run order. A report records the pack versions that judged it.

A pack's version changes whenever one of its rules changes what it finds; the catalogue (`GET /v1/rules`)
shows every rule with its pack, version, severity, applicability and description.
"""
from .applicability import Applicability
from .engine import RulePack, check_order
from .rules import (approval, category, construction, dataset, eco, identifiers, ivi, levels, masses, multistage,
                    powertrain, ranges, regional, schema, towing)

CORE = RulePack(
    "core", "2026.12.2",
    tuple(identifiers.RULES + approval.RULES + levels.RULES + ivi.RULES + ranges.RULES + construction.RULES
          + masses.RULES + dataset.RULES + towing.RULES + multistage.RULES + schema.RULES),
    description="Every vehicle: identifiers, the approval in force, completeness, dates, ranges, construction, "
                "masses, the category dataset, towing and coupling, multi-stage, and the IVI 2.0 schema.",
)
MOTOR_VEHICLES = RulePack(
    "family-mn", "2026.11.1", tuple(category.RULES_MN + powertrain.RULES + eco.RULES),
    applies=Applicability(categories=("M", "N")),
    description="Passenger cars, buses, vans and trucks (Regulation (EU) 2018/858, categories M and N): category "
                "limits, powertrain consistency, eco-innovations.",
)
TRAILERS = RulePack(
    "family-o", "2026.11.1", tuple(category.RULES_O), applies=Applicability(categories=("O",)),
    description="Trailers (category O): category limits.",
)
L_VEHICLES = RulePack(
    "family-l", "2026.11.1", tuple(category.RULES_L), applies=Applicability(categories=("L",)),
    description="Two- and three-wheelers and quadricycles (Regulation (EU) 168/2013, category L): category limits.",
)
REGION_EU = RulePack(
    "region-eu", "2026.11.1", tuple(regional.RULES),
    description="The intended country of registration: traffic side, units, EU/EEA destination.",
)

PACKS = check_order((CORE, MOTOR_VEHICLES, TRAILERS, L_VEHICLES, REGION_EU))


def pack_versions(packs=PACKS):
    return {p.name: p.version for p in packs}


def catalogue(packs=PACKS, pack=None, category=None):
    """The rules as listed by `GET /v1/rules`, optionally of one pack or judging one vehicle category."""
    entries = []
    for p in packs:
        if pack is not None and p.name != pack:
            continue
        for rule, entry in zip(p.rules, p.catalogue()):
            if category is not None and not rule.applies.within(p.applies).covers_category(category):
                continue
            entries.append(entry)
    return entries
