"""Item numbers and labels of the EU Certificate of Conformity beside IVI 2.0 element names.

The numbers are those of the CoC models for categories M, N and O in Annex VIII to Implementing
Regulation (EU) 2020/683 (the paper CoC a reviewer knows); the IVI 2.0 documents (EReg guidelines and
change overview, the EUCARIS eCoC IVI setup manual) name the same numbers where they relate a field to an
item (e.g. 16.4 combination mass, 18 towable mass, 19 static vertical mass, 35 tyres, 44/45 coupling
devices). L- and T-category CoCs (Regulations 901/2014 and 2015/504) number their items differently, so
`item_numbers_apply` says when to show the numbers.

An element not listed here takes the item of the nearest listed element above it (a leaf of
`TestWltpCo2Group` belongs to item 49) and a label spelled out from its name.
"""
import re

# element name -> (item number or "", label)
LABELS = {
    # header and approval
    "IviReferenceId": ("", "IVI reference id"),
    "IviVersionNumber": ("", "IVI version number (1, +1 per correction)"),
    "IviVersionNumberXsd": ("", "IVI schema version"),
    "IviVersionDateTime": ("", "IVI version date and time"),
    "IntendedCountryRegistration": ("", "Intended country of registration"),
    "DesignatedTypeApprovalCountry": ("", "Type-approval authority (Member State)"),
    "TypeApprovalNumber": ("", "EU type-approval number including the extension number"),
    "TypeApprovalIssueDate": ("", "Date of issue of the type approval"),
    "TypeApprovalType": ("", "Kind of type approval (EU, ESS, NSS)"),
    "ProvisionalTypeApprovalIndicator": ("", "Provisional type approval"),
    "StageOfCompletion": ("", "Stage of completion (C complete, I incomplete, V completed)"),
    # 0. general
    "MakeTable": ("0.1", "Make (trade name of the manufacturer)"),
    "Make": ("0.1", "Make"),
    "Type": ("0.2", "Type"),
    "Variant": ("0.2", "Variant"),
    "Version": ("0.2", "Version"),
    "CommercialNameTable": ("0.2.1", "Commercial name(s)"),
    "CommercialName": ("0.2.1", "Commercial name"),
    "PreviousStageTypeApprovalNumber": ("0.2.2", "Previous stage: type-approval number"),
    "PreviousStageType": ("0.2.2", "Previous stage: type"),
    "PreviousStageVariant": ("0.2.2", "Previous stage: variant"),
    "PreviousStageVersion": ("0.2.2", "Previous stage: version"),
    "TestFamilyIdentifiersTable": ("0.2.3", "Identifiers (test families)"),
    "TestFamilyIdentifier": ("0.2.3", "Family"),
    "TestFamilyIdentifierValue": ("0.2.3", "Identifier"),
    "VehicleCategory": ("0.4", "Vehicle category"),
    "ManufacturerTable": ("0.5", "Company name and address of the manufacturer"),
    "ManufacturerStageNumber": ("0.5", "Stage"),
    "ManufacturerName": ("0.5", "Name"),
    "ManufacturerAddressLine1": ("0.5", "Address"),
    "ManufacturerAddressLine2": ("0.5", "Address (2)"),
    "ManufacturerAddressLine3": ("0.5", "Address (3)"),
    "ManufacturerPlaceOfResidence": ("0.5", "Place"),
    "ManufacturerCountryOfResidence": ("0.5", "Country"),
    "MethodAttachmentStatutoryPlate": ("0.6", "Method of attachment of the statutory plate"),
    "LocationMarkingsTable": ("0.6", "Location of the statutory plate and of the vehicle identification number"),
    "LocationMarkingsSubject": ("0.6", "Marking"),
    "LocationMarkingsVehiclePart": ("0.6", "Vehicle part"),
    "LocationMarkingsVehiclePartSide": ("0.6", "Side"),
    "LocationMarkingsVehiclePartSideSection": ("0.6", "Section"),
    "EURepresentativeGroup": ("0.9", "Name and address of the manufacturer's representative"),
    "EURepresentativeName": ("0.9", "Name"),
    "EURepresentativeAddressLine1": ("0.9", "Address"),
    "EURepresentativePlaceOfResidence": ("0.9", "Place"),
    "EURepresentativeCountryOfResidence": ("0.9", "Country"),
    "VehicleIdentificationNumber": ("0.10", "Vehicle identification number"),
    "DateManufactureVehicle": ("0.11", "Date of manufacture of the vehicle"),
    # 1-6. construction and dimensions
    "NumberOfAxles": ("1", "Number of axles"),
    "NumberOfWheels": ("1", "Number of wheels"),
    "NumberOfAxlesWithTwinWheels": ("1.1", "Number of axles with twin wheels"),
    "TwinWheelsAxleIndicator": ("1.1", "Twin wheels"),
    "NumberOfPoweredAxles": ("2", "Number of powered axles"),
    "PoweredAxleIndicator": ("2", "Powered axle"),
    "InterconnectionWithPoweredAxleTable": ("2", "Interconnection of powered axles"),
    "Wheelbase": ("3", "Wheelbase (mm)"),
    "AxleSpacing": ("3.1", "Axle spacing (mm)"),
    "Length": ("4", "Length (mm)"),
    "Width": ("5", "Width (mm)"),
    "Height": ("6", "Height (mm)"),
    # 13-19. masses
    "MassInRunningOrder": ("13", "Mass of the vehicle in running order (kg)"),
    "DistributionMassRunningOrderAxle": ("13.1", "Distribution of the mass in running order on this axle (kg)"),
    "ActualMass": ("13.2", "Actual mass of the vehicle (kg)"),
    "TechnicallyPermissibleMaximumLadenMass": ("16.1", "Technically permissible maximum laden mass (kg)"),
    "TechnicallyPermissibleMassAxle": ("16.2", "Technically permissible mass on the axle (kg)"),
    "TechnicallyPermissibleMassAxleGroup": ("16.3", "Technically permissible mass on the axle group (kg)"),
    "TechnicallyPermissibleMaximumCombinationMass": ("16.4", "Technically permissible maximum mass of the "
                                                            "combination (kg)"),
    "InServiceMaximumMassTable": ("17", "Intended registration / in-service maximum permissible masses"),
    "TowingBrakedTypeTrailTable": ("18", "Technically permissible maximum towable mass"),
    "TechnicallyPermissibleMaximumTowableMass": ("18", "Technically permissible maximum towable mass (kg)"),
    "BrakedTypeTrail": ("18", "Trailer braking (BRK braked, UNB unbraked)"),
    "BodyworkTypeTrailer": ("18", "Kind of trailer"),
    "TechnicallyPermissibleMaximumStaticVerticalMassCouplingPoint": (
        "19", "Technically permissible maximum static vertical mass at the coupling point (kg)"),
    # 20-28. power plant
    "EnergyConvertorTable": ("20", "Power plant (energy convertors)"),
    "ManufacturerEnergyConvertor": ("20", "Manufacturer of the power plant"),
    "EnergyConvertorCodeMarkedOnEnergyConvertor": ("21", "Engine code as marked on the engine"),
    "WorkingPrinciple": ("22", "Working principle"),
    "PureElectricVehicleIndicator": ("23", "Pure electric"),
    "ClassHybridVehicle": ("23.1", "Class of hybrid electric vehicle"),
    "CategoryHybridElectricVehicle": ("23.1", "Category of hybrid electric vehicle"),
    "NumberOfCylinders": ("24", "Number of cylinders"),
    "ArrangementCylinders": ("24", "Arrangement of cylinders"),
    "EngineCapacity": ("25", "Engine capacity (cm³)"),
    "EnergySourceTable": ("26", "Fuel / energy source"),
    "EnergySource": ("26", "Energy source (10 petrol, 20 diesel, 95 electricity, ...)"),
    "FuelType": ("26.1", "Mono fuel, bi fuel, flex fuel or dual fuel"),
    "PowerGroup": ("27", "Maximum power"),
    "MaximumNetPowerCombustion": ("27.1", "Maximum net power (kW)"),
    "EngineSpeedMaximumNetPower": ("27.1", "at engine speed (min⁻¹)"),
    "MaximumNetPowerElectric": ("27.3", "Maximum net power, electric (kW)"),
    "ConsolidatedMaximumNetPowerElectric": ("27.3", "Maximum net power, electric, of the vehicle (kW)"),
    "Maximum30MinutesPower": ("27.4", "Maximum 30 minutes power (kW)"),
    "ConsolidatedMaximum30MinutesPower": ("27.4", "Maximum 30 minutes power of the vehicle (kW)"),
    "GearboxType": ("28", "Gearbox (type)"),
    # 29-35. speed, axles, tyres
    "MaximumSpeed": ("29", "Maximum speed (km/h)"),
    "AxleTable": ("30", "Axles"),
    "AxleNumber": ("30", "Axle"),
    "AxleTrack": ("30", "Axle track (mm)"),
    "LiftAxleIndicator": ("31", "Lift axle"),
    "LoadableAxleIndicator": ("32", "Loadable axle"),
    "AxleAirSuspensionOrEquivalentIndicator": ("33", "Air suspension or equivalent"),
    "DriveAxleAirSuspensionOrEquivalentIndicator": ("33", "Drive axle(s) with air suspension or equivalent"),
    "TyreAxleTable": ("35", "Tyre/wheel combination(s)"),
    "TyreNumber": ("35", "Combination"),
    "TyreSize": ("35", "Tyre size"),
    "LoadCapacityIndexSingleWheel": ("35", "Load capacity index (single wheel)"),
    "LoadCapacityIndexTwinWheel": ("35", "Load capacity index (twin wheel)"),
    "SpeedCategorySymbol": ("35", "Speed category symbol"),
    "RimSize": ("35", "Rim size"),
    "RimOffSet": ("35", "Rim offset (mm)"),
    "RollingResistanceClass": ("35", "Rolling resistance class"),
    "TyreCategory": ("35", "Tyre category"),
    "TyreFittedProductionIndicator": ("35", "Fitted at production (used for the CO2 determination)"),
    # 36-45. brakes, bodywork, seats, coupling
    "TrailerBrakeTable": ("36", "Trailer brake connections"),
    "TrailerBrakePressFeedLineBraking": ("37", "Pressure in the feed line of the trailer braking system (kPa)"),
    "BodyworkTable": ("38", "Code for bodywork"),
    "CodeForBodywork": ("38", "Code for bodywork"),
    "VehicleClassTable": ("39", "Class of vehicle"),
    "VehicleClass": ("39", "Class of vehicle"),
    "ColourTable": ("40", "Colour of the vehicle"),
    "Colour": ("40", "Colour (code)"),
    "NumberOfDoors": ("41", "Number of doors"),
    "ConfigurationDoorsGroup": ("41", "Configuration of doors"),
    "NumberOfDoorsLeft": ("41", "Doors on the left"),
    "NumberOfDoorsRight": ("41", "Doors on the right"),
    "NumberOfDoorsBack": ("41", "Doors at the rear"),
    "NumberOfDoorsFront": ("41", "Doors at the front"),
    "NumberOfSeatingPositionsIncludingDriver": ("42", "Number of seating positions, including the driver"),
    "NumberOfSeatsStationaryUseOnly": ("42.1", "Seats for use only when the vehicle is stationary"),
    "NumberOfWheelchairUserAccessiblePositions": ("42.3", "Wheelchair user accessible positions"),
    "MechanicalCouplingApprovalNumber": ("44", "Approval number or mark of the coupling device"),
    "MechanicalCouplingCanBeFittedTable": ("45", "Types or classes of coupling devices which can be fitted"),
    # 46-52. environment and remarks
    "SoundLevelGroup": ("46", "Sound level"),
    "SoundLevelStationary": ("46", "Stationary (dB(A))"),
    "SoundLevelStationaryEngineSpeed": ("46", "at engine speed (min⁻¹)"),
    "SoundLevelDriveBy": ("46", "Drive-by (dB(A))"),
    "ExhaustEmissionLevel": ("47", "Exhaust emission level"),
    "WltpEmissionTestParametersGroup": ("47.1", "Parameters for emission testing"),
    "WltpEmissionTestMass": ("47.1.1", "Test mass (kg)"),
    "WltpFrontalArea": ("47.1.2", "Frontal area (m²)"),
    "ProjectedFrontalAreaAirEntranceFrontGrill": ("47.1.2.1", "Projected frontal area of the air entrance of the "
                                                              "front grille (cm²)"),
    "WltpRoadLoadCoefficientF0": ("47.1.3", "Road load coefficient f0 (N)"),
    "WltpRoadLoadCoefficientF1": ("47.1.3", "Road load coefficient f1 (N/(km/h))"),
    "WltpRoadLoadCoefficientF2": ("47.1.3", "Road load coefficient f2 (N/(km/h)²)"),
    "DrivingCycleClass": ("47.1.4", "Driving cycle class"),
    "DrivingCycleDownscalingFactor": ("47.1.5", "Downscaling factor"),
    "DrivingCycleCappedSpeedIndicator": ("47.1.6", "Capped speed"),
    "ExhaustEmissionLatestRegulationNumber": ("48", "Exhaust emissions: base and latest amending regulatory act"),
    "TestTypeIGroup": ("48", "Exhaust emissions, type I test"),
    "TestWltpType1Group": ("48", "Exhaust emissions, WLTP type 1 test"),
    "TestRdeGroup": ("48", "Real driving emissions"),
    "SmokeCorrectedAbsorptionCoefficient": ("48.1", "Smoke: corrected absorption coefficient (m⁻¹)"),
    "TestWltpCo2Group": ("49", "CO2 emissions, WLTP (g/km)"),
    "TestWltpFuelConsumptionGroup": ("49", "Fuel consumption, WLTP (l/100 km)"),
    "TestWltpEnergyConsumptionGroup": ("49", "Electric energy consumption, WLTP (Wh/km)"),
    "TestWltpElectricRangeGroup": ("49", "Electric range, WLTP (km)"),
    "EcoInnovationsFittedIndicator": ("49", "Eco-innovations fitted"),
    "EcoInnovationsTable": ("49", "Eco-innovations"),
    "WltpTotalCo2EmissionSavedDueEcoInnovation": ("49", "CO2 savings due to eco-innovations (g/km)"),
    "TypeApprovalTransportDangerousGoodsIndicator": ("50", "Type-approved for transporting dangerous goods"),
    "TypeApprovalTransportDangerousGoodsTable": ("50", "Dangerous goods classes"),
    "SpecialPurposeDesignation": ("51", "Special purpose vehicle: designation"),
    "RemarkTable": ("52", "Remarks"),
    "Remark": ("52", "Remark"),
    # without an item number
    "RightLeftHandTraffic": ("", "Designed for right-hand or left-hand traffic"),
    "MetricImperialSpeedometer": ("", "Speedometer units (M metric, I imperial)"),
    "MetricImperialOdometer": ("", "Odometer units (M metric, I imperial)"),
    "AdvancedSafetySystemsTable": ("", "Advanced safety systems fitted"),
    "AdvancedSafetySystem": ("", "System"),
    "VehicleCertified155Indicator": ("", "Certified to UN Regulation No 155 (cyber security)"),
    "VehicleCertified156Indicator": ("", "Certified to UN Regulation No 156 (software updates)"),
    "AutomatedVehicle": ("", "Automated vehicle"),
    "SigningAuthorityTable": ("", "Signature"),
    "SignerName": ("", "Signed by"),
    "SignerPosition": ("", "Position"),
    "SignatureLocation": ("", "Place"),
    "SignatureDate": ("", "Date"),
}

CATEGORIES_WITH_ITEM_NUMBERS = ("M", "N", "O")

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_ACRONYMS = {"wltp": "WLTP", "co2": "CO2", "co": "CO", "nox": "NOx", "hc": "HC", "thc": "THC", "nmhc": "NMHC",
             "nh3": "NH3", "ch4": "CH4", "rde": "RDE", "vin": "VIN", "eu": "EU", "whsc": "WHSC", "whtc": "WHTC",
             "nrsc": "NRSC", "nrtc": "NRTC", "iso7638": "ISO 7638", "ivi": "IVI"}


def spelled_out(name):
    """`MaximumNetPowerCombustion` -> "Maximum net power combustion" (for elements without a label)."""
    tokens = []
    for token in _WORD.findall(name):
        if token.isdigit() and tokens and (tokens[-1] + token).lower() in _ACRONYMS:  # Co2, Nh3, Iso7638
            tokens[-1] += token
        else:
            tokens.append(token)
    words = [_ACRONYMS.get(w.lower(), w if w.isupper() and len(w) > 1 else w.lower()) for w in tokens]
    if not words:
        return name
    text = " ".join(words)
    return text[0].upper() + text[1:]


def item_numbers_apply(category):
    """The Annex VIII (2020/683) numbering holds for M, N and O categories, not for L or T."""
    return bool(category) and str(category)[0].upper() in CATEGORIES_WITH_ITEM_NUMBERS


def label_of(name, inherited_item=""):
    """(item, label) of an element: its own entry, else the item of the element above it and a spelled-out
    label."""
    item, label = LABELS.get(name, ("", ""))
    return item or inherited_item, label or spelled_out(name)
