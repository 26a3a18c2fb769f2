"""Rules and the engine that runs a rule pack over one vehicle.

A rule is a small pure function `check(ctx) -> iterable of Problem` plus its catalogue entry.
Adding a rule = write the function, add one `Rule(...)` line to its module's `RULES` list.
`requires` names rules that must have run and found nothing before this one is worth running
(e.g. no schema check without resolved approval data).
"""
import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .findings import ERROR, WARNING, Finding, Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    path: str
    description: str
    check: Callable[[object], Iterable[Problem]]
    requires: tuple = ()

    def __post_init__(self):
        if self.severity not in (ERROR, WARNING):
            raise ValueError(f"{self.id}: severity must be {ERROR!r} or {WARNING!r}")


@dataclass(frozen=True)
class RulePack:
    name: str
    version: str
    rules: tuple = field(default_factory=tuple)

    def __post_init__(self):
        seen = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule {rule.id} registered twice in pack {self.name}")
            missing = [r for r in rule.requires if r not in seen]
            if missing:
                raise ValueError(f"rule {rule.id} requires {missing}, which must come before it")
            seen.add(rule.id)

    def catalogue(self):
        return [
            {"id": r.id, "pack": self.name, "version": self.version, "severity": r.severity,
             "path": r.path, "description": r.description}
            for r in self.rules
        ]


def run_rules(ctx, packs) -> list:
    """Every finding of the packs' rules for one vehicle context, in rule order."""
    findings = []
    passed = set()
    for pack in packs:
        for rule in pack.rules:
            if any(req not in passed for req in rule.requires):
                continue
            produced = _run(rule, ctx)
            findings.extend(produced)
            if not produced:
                passed.add(rule.id)
    return findings


def _run(rule, ctx):
    try:
        return [
            Finding(rule.id, rule.severity, p.path if p.path is not None else rule.path,
                    p.message, str(p.expected or ""), str(p.found or ""))
            for p in rule.check(ctx) or ()
        ]
    except Exception as exc:  # a broken rule blocks the vehicle instead of passing it silently
        log.exception("rule %s failed on %s", rule.id, getattr(ctx, "vin", "?"))
        return [Finding(rule.id, ERROR, rule.path,
                        f"Rule {rule.id} could not be evaluated ({type(exc).__name__}: {exc}); "
                        "the vehicle stays blocked until it can.", "the rule to run", "an internal error")]
