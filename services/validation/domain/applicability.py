"""Which vehicles a rule (or a whole rule pack) judges: categories, stages, intended countries, production dates.

A rule that does not apply is not run and says nothing. Categories are prefixes of the IVI category
code: "M" is every M category, "M1" covers M1, M1G, M1S and M1GS, "L1e" covers L1e-A and L1e-B.
A restriction the vehicle cannot be placed in (no category because the approval did not resolve, no
intended country, no production date) leaves the rule out.
"""
import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Applicability:
    categories: tuple = ()
    stages: tuple = ()  # StageOfCompletion: C complete, I incomplete, V completed
    countries: tuple = ()  # intended country of registration (Vienna codes)
    produced_from: dt.date | None = None
    produced_until: dt.date | None = None  # inclusive

    @property
    def unrestricted(self):
        return not (self.categories or self.stages or self.countries or self.produced_from or self.produced_until)

    def admits(self, ctx):
        if self.categories:
            category = ctx.category
            if not category or not category.startswith(self.categories):
                return False
        if self.stages and ctx.stage not in self.stages:
            return False
        if self.countries and ctx.country not in self.countries:
            return False
        if self.produced_from or self.produced_until:
            day = ctx.production_day
            if day is None:
                return False
            if self.produced_from and day < self.produced_from:
                return False
            if self.produced_until and day > self.produced_until:
                return False
        return True

    def within(self, outer):
        """This applicability narrowed by the pack's (`outer`): what the rule really covers."""
        return Applicability(
            categories=_narrow_categories(outer.categories, self.categories),
            stages=self.stages or outer.stages,
            countries=self.countries or outer.countries,
            produced_from=max(filter(None, (self.produced_from, outer.produced_from)), default=None),
            produced_until=min(filter(None, (self.produced_until, outer.produced_until)), default=None),
        )

    def covers_category(self, category):
        """True when a vehicle of `category` can be judged by this rule (catalogue filter)."""
        if not self.categories:
            return True
        return category.startswith(self.categories) or any(c.startswith(category) for c in self.categories)

    def as_dict(self):
        return {
            "categories": list(self.categories) or "all",
            "stages": list(self.stages) or "all",
            "intended_countries": list(self.countries) or "all",
            "produced_from": self.produced_from.isoformat() if self.produced_from else None,
            "produced_until": self.produced_until.isoformat() if self.produced_until else None,
        }


ANY = Applicability()


def _narrow_categories(outer, inner):
    if not outer:
        return inner
    if not inner:
        return outer
    return tuple(c for c in inner if c.startswith(outer))
