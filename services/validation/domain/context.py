"""What the rules look at for one vehicle: its record, the resolved approval and the composed CoC."""
from dataclasses import dataclass
from functools import cached_property

from common.composition import compose_coc
from common.ivi.catalogue import missing_mandatory

SIGNING_PREFIX = "SigningAuthorityTable"  # added by the signing service when the certificate is sealed


@dataclass
class VehicleContext:
    vehicle: dict  # vin, revision, approval_number, type, variant, version, production_date, coc, ...
    resolution: dict | None  # the approvals service's resolve result (None: the reference was incomplete)
    draft_checker: object | None = None  # a DraftChecker, or None when schema checks are off

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
        return compose_coc(self.resolution.get("coc") or {}, self.vehicle)

    @cached_property
    def missing_mandatory(self):
        """Mandatory IVI paths absent from the composed CoC, except those signing adds ([] if unresolved)."""
        if self.coc is None:
            return []
        return [p for p in missing_mandatory(self.coc)
                if p != SIGNING_PREFIX and not p.startswith(SIGNING_PREFIX + ".")]
