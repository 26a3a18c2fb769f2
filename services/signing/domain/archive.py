"""A release's signed certificates as one zip file: each eCoC byte-exact as sealed, and a manifest.

`manifest.json` lists every vehicle of the release: the file, reference id, version number and SHA-256 of its
certificate, or the state and failure of a vehicle that has none (not signed, failed, reopened), so a receiver
can check the archive is whole and untouched."""
import hashlib
import json
import zipfile

RELEASE_CHUNK = 500  # certificates fetched from signing per call while the archive is written


def file_name(vin, version_number):
    return f"{vin}-v{version_number}.xml"


def write_archive(target, release, chunks, generated_at):
    """Write the zip into the binary file `target`: `release` as `get_release` answers it, `chunks` yields lists
    of {summary, document} of its certificates."""
    sealed = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for chunk in chunks:
            for found in chunk:
                summary, data = found["summary"], found["document"].encode("utf-8")
                name = file_name(summary["vin"], summary["version_number"])
                archive.writestr(name, data)
                sealed[summary["vin"]] = {"file": name, "reference_id": summary["reference_id"],
                                          "version_number": summary["version_number"],
                                          "sha256": hashlib.sha256(data).hexdigest(), "status": summary["status"]}
        vehicles = []
        for item in release["vehicles"]:
            entry = {"vin": item["vin"], "state": item["state"]}
            if item["vin"] in sealed:
                entry["certificate"] = sealed[item["vin"]]
            elif item.get("failure"):
                entry["failure"] = item["failure"]
            vehicles.append(entry)
        manifest = {"release_id": release["id"], "entity": release.get("entity"), "status": release["status"],
                    "generated_at": generated_at, "certificates": len(sealed), "vehicles": vehicles}
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    return manifest
