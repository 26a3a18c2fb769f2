"""A fictional manufacturer, its type approval and its vehicles, for `ecoc demo` and the tests.

The values are invented (an electric M1 passenger car of the imaginary make NORDWIND); the shape is
IVI 2.0 `CocDataGroup` as the official schema defines it.
"""
import random
from datetime import date, timedelta

from services.approvals.domain.resolution import Approval, Revision, resolve

ENTITY = "NORDWIND"
LEGAL_NAME = "NORDWIND AUTOMOTIVE NV"
WMI = "NWA"
APPROVAL_NUMBER = "e6*2018/858*01234*00"
APPROVAL_ISSUE_DATE = date(2026, 3, 2)

SIGNATORY = {"sub": "sam", "name": "SAM DE VRIES", "position": "HEAD OF HOMOLOGATION",
             "location": "GENT"}


def entity():
    return {
        "legal_name": LEGAL_NAME, "role": "manufacturer",
        "address": {"line1": "HAVENLAAN 12", "place": "GENT", "country": "BELGIUM"},
        "wmis": [WMI], "signatories": [SIGNATORY],
    }


def _tyre(number=1):
    # an approved tyre/wheel combination; which one is fitted (TyreFittedProductionIndicator) is vehicle-level
    return {"TyreNumber": number, "TyreSize": "235/45R19", "LoadCapacityIndexSingleWheel": 95,
            "SpeedCategorySymbol": "W", "RimSize": "8.00X19", "RimOffSet": 45, "TyreMaximumSpeedIndicator": "N",
            "RollingResistanceClass": "B", "TyreCategory": "C1"}


TYPE_LEVEL = {
    "RightLeftHandTraffic": "RIGHT",
    "MetricImperialSpeedometer": "M",
    "MetricImperialOdometer": "M",
    "MaximumSpeed": 180,
    "EcoInnovationsFittedIndicator": "N",
    "VehicleCertified155Indicator": "Y",
    "VehicleCertified156Indicator": "Y",
    "PureElectricVehicleIndicator": "Y",
    "ConsolidatedMaximum30MinutesPower": 90,
    "ConsolidatedMaximumNetPowerElectric": 160,
    "ExhaustEmissionLevel": "AX",
    "ExhaustEmissionLatestRegulationNumber": "715/2007*2023/443AX",
    "MethodAttachmentStatutoryPlate": "A1",
    "MakeTable": [{"Make": "NORDWIND"}],
    "CommercialNameTable": [{"CommercialName": "NORDWIND AERO"}],
    "ManufacturerTable": [{"ManufacturerStageNumber": 1, "ManufacturerName": LEGAL_NAME,
                           "ManufacturerAddressLine1": "HAVENLAAN 12", "ManufacturerPlaceOfResidence": "GENT",
                           "ManufacturerCountryOfResidence": "BELGIUM"}],
    "LocationMarkingsTable": [
        {"LocationMarkingsSubject": "STAT", "LocationMarkingsVehiclePart": "BPILR",
         "LocationMarkingsVehiclePartSide": "LEFTSIDE"},
        {"LocationMarkingsSubject": "VIN", "LocationMarkingsVehiclePart": "ENGCT"},
    ],
    "GeneralConstructionGroup": {"NumberOfAxles": 2, "NumberOfWheels": 4, "NumberOfPoweredAxles": 1,
                                 "NumberOfDoors": 5, "AutomatedVehicle": "NONAT",
                                 "NumberOfSeatingPositionsIncludingDriver": 5},
    "DimensionGroup": {"Wheelbase": 2890, "Length": 4710, "Width": 1890, "Height": 1480},
    "AxleTable": [
        {"AxleNumber": 1, "PoweredAxleIndicator": "N", "AxleTrack": 1610, "AxleSpacing": 2890,
         "TechnicallyPermissibleMassAxle": 1150, "TyreAxleTable": [_tyre()]},
        {"AxleNumber": 2, "PoweredAxleIndicator": "Y", "AxleTrack": 1620,
         "TechnicallyPermissibleMassAxle": 1300, "TyreAxleTable": [_tyre()]},
    ],
    "BodyworkTable": [{"CodeForBodywork": "AB"}],
    "ConfigurationDoorsGroup": {"NumberOfDoorsLeft": 2, "NumberOfDoorsRight": 2, "NumberOfDoorsBack": 1},
    "EnergyConvertorTable": [{
        "ManufacturerEnergyConvertor": "NORDWIND", "EnergyConvertorCodeMarkedOnEnergyConvertor": "NW-E1",
        "WorkingPrinciple": "ELECT",
        "EnergySourceTable": [{
            "EnergySource": "95",
            "SoundLevelGroup": {"SoundLevelDriveBy": 67},
            "PowerGroup": {"Maximum30MinutesPower": 90, "MaximumNetPowerElectric": 160},
        }],
    }],
    "AdvancedSafetySystemsTable": [{"AdvancedSafetySystem": s} for s in ("TPMS", "ELKS", "AEBS", "ISA", "EDR")],
}

VERSIONS = [
    {"type": "NWA1", "variant": "NWA1-RWD", "version": "NWA1-RWD-LR",
     "coc": {"MassGroup": {"MassInRunningOrder": 1890, "TechnicallyPermissibleMaximumLadenMass": 2380}},
     "ranges": {"MassGroup.MassInRunningOrder": {"min": 1860, "max": 1960}}},
]


def approval():
    return {
        "number": APPROVAL_NUMBER, "issue_date": APPROVAL_ISSUE_DATE.isoformat(), "approval_type": "EU",
        "provisional": False, "entity": ENTITY, "category": "M1", "stage_of_completion": "C",
        "coc": TYPE_LEVEL, "versions": VERSIONS,
    }


VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # never I, O or Q


def vins(count, seed=2026, wmi=WMI):
    rng = random.Random(seed)
    out = set()
    while len(out) < count:
        out.add(wmi + "".join(rng.choice(VIN_CHARS) for _ in range(14)))
    return sorted(out)


def vehicles(count, seed=2026, production_start=date(2026, 11, 2)):
    """`count` vehicles of the demo version; a different seed gives different VINs."""
    rng = random.Random(seed)
    version = VERSIONS[0]
    out = []
    for i, vin in enumerate(vins(count, seed)):
        mass = 1890 + rng.randint(15, 60)
        out.append({
            "vin": vin, "approval_number": APPROVAL_NUMBER, "type": version["type"],
            "variant": version["variant"], "version": version["version"],
            "production_date": (production_start + timedelta(days=i % 20)).isoformat(),
            "intended_country": rng.choice(["B", "NL", "D", "F"]), "entity": ENTITY,
            "coc": {"MassGroup": {"ActualMass": mass}, "ColourTable": [{"Colour": rng.choice(["1", "5", "8"])}]},
        })
    return out


def resolution(vehicle):
    """What the approvals service resolves for a demo vehicle, computed offline (tests, benchmarks)."""
    data = approval()
    version = data["versions"][0]
    registered = Approval(
        id="demo", number=data["number"], entity=data["entity"], approval_type="EU", provisional=False,
        category="M1", stage_of_completion="C", status="valid", withdrawn_on=None,
        revisions=[Revision(revision=1, extension=0, number=data["number"], issue_date=APPROVAL_ISSUE_DATE,
                            coc=data["coc"], versions={(version["type"], version["variant"], version["version"]):
                                                       {"coc": version["coc"], "ranges": version["ranges"]}})])
    return resolve(registered, vehicle["type"], vehicle["variant"], vehicle["version"],
                   date.fromisoformat(vehicle["production_date"]))
