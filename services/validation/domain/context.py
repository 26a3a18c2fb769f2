"""What the rules look at for one vehicle: its record, the resolved approval, the composed CoC and the
legal entity's registered WMIs."""
from dataclasses import dataclass

from common.ivi.catalogue import MANDATORY_PATHS

from .approval_number import member_state_of
from .data import compose, group, iso_date, nested_rows, number, present, rows

SIGNING_PREFIX = "SigningAuthorityTable"  # added by the signing service when the certificate is sealed
ELECTRICITY = "95"
_MANDATORY = tuple((p, tuple(p.split("."))) for p in MANDATORY_PATHS
                   if p != SIGNING_PREFIX and not p.startswith(SIGNING_PREFIX + "."))


class cached_property:  # noqa: N801 - used like functools.cached_property
    """`functools.cached_property` without its lock: in Python 3.11 that lock is one per property for all
    instances, so the threads judging batches at once queue on it (measured: a third of the validation
    service's samples waited there). A context belongs to one thread; computing a value twice is harmless."""

    def __init__(self, func):
        self.func, self.name, self.__doc__ = func, func.__name__, func.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


@dataclass
class VehicleContext:
    vehicle: dict  # the record: vin, revision, entity, approval reference, production_date, intended_country, coc
    resolution: dict | None  # the approvals service's resolve result (None: the reference was incomplete)
    draft_checker: object | None = None  # a DraftChecker or a batch's DraftSession; None when schema checks are off
    wmis: tuple | None = None  # WMIs registered to the vehicle's legal entity (None: the entity is not known)
    header: dict | None = None  # an IVI header to judge (documents); vehicles get the one signing will write

    @property
    def vin(self):
        return self.vehicle.get("vin") or ""

    @property
    def resolved(self):
        return bool(self.resolution and self.resolution.get("ok"))

    @cached_property
    def coc(self):
        """The vehicle's CoC as it would be certified (without the signing authority); None if unresolved."""
        if not self.resolved:
            return None
        return compose(self.resolution.get("coc") or {}, self.vehicle)

    @cached_property
    def missing_mandatory(self):
        """Mandatory IVI paths absent from the composed CoC, except those signing adds ([] if unresolved)."""
        if self.coc is None:
            return []
        return [path for path, steps in _MANDATORY if not _has(self.coc, steps, 0)]

    # -- where the vehicle stands (applicability) ------------------------------------------------------

    @cached_property
    def category(self):
        value = (self.coc or {}).get("VehicleCategory") or (self.resolution or {}).get("category")
        return value if isinstance(value, str) else None

    @cached_property
    def stage(self):
        value = (self.coc or {}).get("StageOfCompletion")
        return value if isinstance(value, str) else None

    @cached_property
    def country(self):
        value = self.vehicle.get("intended_country") or (self.header or {}).get("IntendedCountryRegistration")
        return value if isinstance(value, str) and value else None

    @cached_property
    def production_day(self):
        return iso_date(self.vehicle.get("production_date"))

    @cached_property
    def effective_header(self):
        """The header judged: the document's own, or the one signing writes for this vehicle."""
        if self.header is not None:
            return self.header
        number = (self.resolution or {}).get("number") or self.vehicle.get("approval_number")
        header = {"DesignatedTypeApprovalCountry": member_state_of(number)}
        if self.country:
            header["IntendedCountryRegistration"] = self.country
        return header

    # -- what many rules read ---------------------------------------------------------------------

    @cached_property
    def masses(self):
        return group(self.coc, "MassGroup")

    @cached_property
    def axles(self):
        return rows(self.coc, "AxleTable")

    @cached_property
    def energy_sources(self):
        """[(convertor index, source index, convertor group, source group)] over every energy convertor."""
        return nested_rows(self.coc, "EnergyConvertorTable", "EnergySourceTable")

    @cached_property
    def source_codes(self):
        return {str(src.get("EnergySource")) for _, _, _, src in self.energy_sources if src.get("EnergySource")}

    @cached_property
    def manufacturer_stages(self):
        """The manufacturer groups with their stage number as int (rows without a number are left out)."""
        out = []
        for row in rows(self.coc, "ManufacturerTable"):
            stage = number(row.get("ManufacturerStageNumber"))
            if stage is not None:
                out.append((int(stage), row))
        return out

    @cached_property
    def current_stage(self):
        return max((s for s, _ in self.manufacturer_stages), default=1)

    def remember(self, key, compute):
        """`compute(self)` once per vehicle, shared by the rules that need it."""
        memo = self.__dict__.setdefault("_memo", {})
        if key not in memo:
            memo[key] = compute(self)
        return memo[key]

    def tpmlm(self):
        return number(self.masses.get("TechnicallyPermissibleMaximumLadenMass"))


def _has(node, steps, i):
    """A value at `steps` (a table met on the way is satisfied by any row), as `catalogue.missing_mandatory`."""
    while i < len(steps):
        if isinstance(node, dict):
            if steps[i] not in node:
                return False
            node = node[steps[i]]
            i += 1
        elif isinstance(node, list):
            return any(_has(row, steps, i + 1) for row in node)
        else:
            return False
    return present(node)
