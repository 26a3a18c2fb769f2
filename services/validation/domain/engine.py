"""Rules and the engine that runs rule packs over one vehicle.

A rule is a small pure function `check(ctx) -> iterable of Problem` plus its catalogue entry: a stable
id, a severity (error blocks, warning informs), the IVI path it concerns, a description, a message
template filled from each problem's facts, and where it applies. Adding a rule = write the function,
add one `Rule(...)` line to its module's `RULES` list.

`requires` names rules that must have run and found nothing before this one is worth running (no
judgement of the certificate data while the approval behind it did not resolve). A rule may require
rules of an earlier pack.
"""
import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .applicability import ANY, Applicability
from .findings import ERROR, WARNING, Finding, Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    path: str
    description: str
    check: Callable[[object], Iterable[Problem]]
    message: str = "{found}"
    requires: tuple = ()
    applies: Applicability = ANY

    def __post_init__(self):
        if self.severity not in (ERROR, WARNING):
            raise ValueError(f"{self.id}: severity must be {ERROR!r} or {WARNING!r}")

    def finding(self, problem):
        message = problem.message
        if message is None:
            facts = dict(problem.facts, expected=problem.expected, found=problem.found)
            message = self.message.format_map(_Facts(facts))
        return Finding(self.id, self.severity, problem.path if problem.path is not None else self.path,
                       message, str(problem.expected or ""), str(problem.found or ""))


class _Facts(dict):
    def __missing__(self, key):  # a template naming a fact the problem lacks still gives a sentence
        return "?"


@dataclass(frozen=True)
class RulePack:
    name: str
    version: str
    rules: tuple = field(default_factory=tuple)
    applies: Applicability = ANY
    description: str = ""
    # what run_rules walks: each rule with its prerequisites and its applicability (None: everywhere)
    steps: tuple = field(init=False, repr=False, compare=False)
    scope: Applicability | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        seen = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule {rule.id} registered twice in pack {self.name}")
            seen.add(rule.id)
        steps = tuple((r, frozenset(r.requires), None if r.applies.unrestricted else r.applies) for r in self.rules)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "scope", None if self.applies.unrestricted else self.applies)

    def catalogue(self):
        return [
            {"id": r.id, "pack": self.name, "version": self.version, "severity": r.severity, "path": r.path,
             "description": r.description, "message": r.message, "requires": list(r.requires),
             "applicability": r.applies.within(self.applies).as_dict()}
            for r in self.rules
        ]


def check_order(packs):
    """Every rule id is unique across the packs, and what a rule requires runs before it."""
    seen = set()
    for pack in packs:
        for rule in pack.rules:
            if rule.id in seen:
                raise ValueError(f"rule {rule.id} is registered in more than one pack")
            missing = [r for r in rule.requires if r not in seen]
            if missing:
                raise ValueError(f"rule {rule.id} requires {missing}, which must come before it")
            seen.add(rule.id)
    return packs


def run_rules(ctx, packs) -> list:
    """Every finding of the packs' applicable rules for one vehicle context, in catalogue order."""
    findings = []
    passed = set()
    for pack in packs:
        if pack.scope is not None and not pack.scope.admits(ctx):
            continue
        for rule, requires, scope in pack.steps:
            if requires and not requires <= passed:
                continue
            if scope is not None and not scope.admits(ctx):
                continue
            produced = _run(rule, ctx)
            if produced:
                findings.extend(produced)
            else:
                passed.add(rule.id)
    return findings


def _run(rule, ctx):
    try:
        return [rule.finding(p) for p in rule.check(ctx) or ()]
    except Exception as exc:  # a broken rule blocks the vehicle instead of passing it silently
        log.exception("rule %s failed on %s", rule.id, getattr(ctx, "vin", "?"))
        return [Finding(rule.id, ERROR, rule.path,
                        f"Rule {rule.id} could not be evaluated ({type(exc).__name__}: {exc}); "
                        "the vehicle stays blocked until it can.", "the rule to run", "an internal error")]
