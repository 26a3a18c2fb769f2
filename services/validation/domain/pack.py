"""The rule packs this service judges with. A report records the pack versions that judged it."""
from .engine import RulePack
from .rules import approval, identifiers, ivi, schema

CORE = RulePack("core", "2026.11.1", tuple(identifiers.RULES + approval.RULES + ivi.RULES + schema.RULES))

PACKS = (CORE,)


def pack_versions(packs=PACKS):
    return {p.name: p.version for p in packs}


def catalogue(packs=PACKS):
    return [entry for p in packs for entry in p.catalogue()]
