"""What an approval leaves out that every vehicle of it needs: the mandatory IVI fields (`common.ivi.catalogue`)
that neither its type-level data nor the vehicle-level catalogue will provide.

Registering such an approval is not refused (the data may come with an extension), but the answer says so as
warnings, so an empty approval is not accepted silently; its vehicles would be blocked at validation."""
from common.ivi.catalogue import VEHICLE_LEVEL_PATHS, missing_mandatory

ADDED_WHEN_SEALED = ("SigningAuthorityTable",)  # the signing authority: from the signatory, at sealing


def _supplied_later(path):
    """True when vehicle-level data or sealing provides `path` (or a part of the group it names)."""
    for given in VEHICLE_LEVEL_PATHS + ADDED_WHEN_SEALED:
        if given == path or given.startswith(path + ".") or path.startswith(given + "."):
            return True
    return False


def missing_vehicle_data(view):
    """Warnings `[{field, message}]` for an approval as `approval_view` shows it: per mandatory path missing
    from every version, one warning on `coc.<path>`; missing from some versions, one per version."""
    missing_by_version = [[p for p in missing_mandatory(v["type_level_coc"]) if not _supplied_later(p)]
                          for v in view["versions"]]
    if not missing_by_version:
        return []
    everywhere = set.intersection(*map(set, missing_by_version))
    category = view.get("category") or "its category"
    warnings = [{"field": f"coc.{path}", "message": f"mandatory for a {category} CoC, and neither the approval's "
                                                    "data nor a vehicle's provides it"}
                for path in missing_by_version[0] if path in everywhere]
    for index, missing in enumerate(missing_by_version):
        warnings += [{"field": f"versions[{index}].coc.{path}",
                      "message": f"mandatory for a {category} CoC, and neither this version's data, the "
                                 "approval's nor a vehicle's provides it"}
                     for path in missing if path not in everywhere]
    return warnings
