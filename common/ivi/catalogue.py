"""Field catalogue: which CoC paths are mandatory, which are vehicle-level, and the level split/merge.

Paths are schema paths below `CocDataGroup` (`ManufacturerTable.ManufacturerGroup.ManufacturerName`):
in the JSON a table is a list, so the group step after a table name stands for "every row".

Mandatory (docs/domain.md §3): the elements the XSD requires for every category, the EReg-required
groups GeneralConstructionGroup, MassGroup and DimensionGroup, and the required children of the
mandatory tables. All nine official samples (M1, N2, L1e, L5e) carry every one of them.

Vehicle level (docs/domain.md §2): per-VIN production data. Tables are replaced wholesale when
levels are merged, so a vehicle-level leaf *inside* a table (the fitted tyre of an axle, the WLTP
CO2 of an energy source) makes `split_levels` hand the whole outermost table to the vehicle level,
while the type level keeps that table minus its vehicle-level values (the approval's own data).
`merge_levels(*split_levels(coc)) == coc` holds for any document.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping

MANDATORY_PATHS: tuple[str, ...] = (
    "VehicleIdentificationNumber",
    "TypeApprovalType",
    "ProvisionalTypeApprovalIndicator",
    "StageOfCompletion",
    "Type",
    "Variant",
    "Version",
    "VehicleCategory",
    "MethodAttachmentStatutoryPlate",
    "TypeApprovalNumber",
    "TypeApprovalIssueDate",
    "SigningAuthorityTable.SigningAuthorityGroup.SignerName",
    "SigningAuthorityTable.SigningAuthorityGroup.SignerPosition",
    "SigningAuthorityTable.SigningAuthorityGroup.SignatureLocation",
    "SigningAuthorityTable.SigningAuthorityGroup.SignatureDate",
    "MakeTable.MakeGroup.Make",
    "ManufacturerTable.ManufacturerGroup.ManufacturerStageNumber",
    "ManufacturerTable.ManufacturerGroup.ManufacturerName",
    "ManufacturerTable.ManufacturerGroup.ManufacturerAddressLine1",
    "ManufacturerTable.ManufacturerGroup.ManufacturerPlaceOfResidence",
    "ManufacturerTable.ManufacturerGroup.ManufacturerCountryOfResidence",
    "GeneralConstructionGroup",
    "MassGroup",
    "DimensionGroup",
)

_ENERGY_SOURCE = "EnergyConvertorTable.EnergyConvertorGroup.EnergySourceTable.EnergySourceGroup"

VEHICLE_LEVEL_PATHS: tuple[str, ...] = (
    # identity and production (items 0.10, 0.11, small series)
    "VehicleIdentificationNumber",
    "DateManufactureVehicle",
    "ProductionYearSmallSeries",
    "ProductionSequentialNumberSmallSeries",
    # item 13.2 actual mass
    "MassGroup.ActualMass",
    # item 38/40 colour
    "ColourTable",
    # item 35: which of the approved tyre/wheel combinations is fitted at production
    "AxleTable.AxleGroup.TyreAxleTable.TyreAxleGroup.TyreFittedProductionIndicator",
    # item 47: individual WLTP test parameters of an interpolation family
    "WltpEmissionTestParametersGroup.WltpEmissionTestMass",
    "WltpEmissionTestParametersGroup.WltpFrontalArea",
    "WltpEmissionTestParametersGroup.ProjectedFrontalAreaAirEntranceFrontGrill",
    "WltpEmissionTestParametersGroup.WltpRoadLoadCoefficientF0",
    "WltpEmissionTestParametersGroup.WltpRoadLoadCoefficientF1",
    "WltpEmissionTestParametersGroup.WltpRoadLoadCoefficientF2",
    # item 49: individual WLTP CO2, fuel/energy consumption and electric range per energy source
    f"{_ENERGY_SOURCE}.TestWltpCo2Group",
    f"{_ENERGY_SOURCE}.TestWltpFuelConsumptionGroup",
    f"{_ENERGY_SOURCE}.TestWltpEnergyConsumptionGroup",
    f"{_ENERGY_SOURCE}.TestWltpElectricRangeGroup",
    # signer and signature date of this certificate
    "SigningAuthorityTable",
)


def missing_mandatory(coc: Mapping) -> list[str]:
    """The MANDATORY_PATHS without a value in `coc` (a table path is met when any row has it)."""
    return [path for path in MANDATORY_PATHS if not any(True for _ in _values(coc, path.split(".")))]


def split_levels(coc: Mapping) -> tuple[dict, dict]:
    """`(type_level, vehicle_level)` of a CoC document; the input is not modified."""
    type_level = copy.deepcopy(dict(coc))
    vehicle_level: dict = {}
    for path in VEHICLE_LEVEL_PATHS:
        steps = path.split(".")
        table_at = _first_table(coc, steps)
        if table_at is None:
            found, value = _get(coc, steps)
            if found:
                _set(vehicle_level, steps, copy.deepcopy(value))
                _remove(type_level, steps)
        elif any(True for _ in _values(coc, steps)):
            table_steps = steps[: table_at + 1]
            _set(vehicle_level, table_steps, copy.deepcopy(_get(coc, table_steps)[1]))
            _remove(type_level, steps)
    return type_level, vehicle_level


def merge_levels(type_level: Mapping | None, vehicle_level: Mapping | None) -> dict:
    """Deep merge: dicts merge key by key, vehicle wins; a list (table) or value replaces wholesale."""
    merged = copy.deepcopy(dict(type_level or {}))
    for key, value in (vehicle_level or {}).items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_levels(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# -- path helpers over IVI-shaped JSON --------------------------------------------------------------


def _present(value) -> bool:
    return value is not None and not (isinstance(value, (str, list, tuple, dict)) and len(value) == 0)


def _values(data, steps):
    """Every non-empty value at `steps`; a list consumes the next step (its row group name)."""
    if not steps:
        if _present(data):
            yield data
        return
    if isinstance(data, Mapping):
        if steps[0] in data:
            yield from _values(data[steps[0]], steps[1:])
    elif isinstance(data, (list, tuple)):
        for row in data:
            yield from _values(row, steps[1:])


def _first_table(data, steps) -> int | None:
    """Index of the first step (before the last) that names a table in `data`, following dicts."""
    node = data
    for index, step in enumerate(steps[:-1]):
        if not isinstance(node, Mapping) or step not in node:
            return None
        node = node[step]
        if isinstance(node, (list, tuple)):
            return index
    return None


def _get(data, steps):
    node = data
    for step in steps:
        if not isinstance(node, Mapping) or step not in node:
            return False, None
        node = node[step]
    return True, node


def _set(data: dict, steps, value) -> None:
    node = data
    for step in steps[:-1]:
        node = node.setdefault(step, {})
    node[steps[-1]] = value


def _remove(data, steps) -> None:
    """Delete the value at `steps` (in every row of tables), pruning containers this empties."""
    if isinstance(data, (list, tuple)):
        for row in data:
            _remove(row, steps[1:])
        emptied = [i for i, row in enumerate(data) if isinstance(row, Mapping) and not row]
        for i in reversed(emptied):
            del data[i]
        return
    if not isinstance(data, dict) or steps[0] not in data:
        return
    if len(steps) == 1:
        del data[steps[0]]
        return
    child = data[steps[0]]
    was_present = _present(child)
    _remove(child, steps[1:])
    if was_present and not _present(child):
        del data[steps[0]]
