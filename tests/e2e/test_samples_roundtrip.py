"""All nine official IVI 2.0 samples through both IVI routes of the running stack: the type-level part
becomes an approval version (POST /v1/approvals/from-ivi), the vehicle-level part a vehicle record
(POST /v1/vehicles/from-ivi), and both read back unchanged; composed again they give the sample's data.

The samples are public reference data read from ../shared/ivi at test time, never copied into the repo.
The module runs on a stack of its own: an approval number is registered once, for one legal entity, and other
modules of the session register the same samples for legal entities of their own.
"""
import os
import secrets
import socket
from pathlib import Path

import pytest

from cli.client import Client
from cli.stack import Stack, migrate_all
from common.composition import compose_coc
from common.contracts.responses import ApprovalFromIvi, VehicleFromIvi
from common.config import Settings
from common.ivi import load_schema, read_ivi, split_levels
from tests.support import drop_stack_databases, sample_entity_code, throwaway_prefix, throwaway_vhost

pytestmark = pytest.mark.e2e

IVI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ivi"
SAMPLES = sorted((IVI_DIR / "samples").glob("*.xml"))
XML = {"Content-Type": "application/xml"}
# what the L-category samples leave out, given in the query instead
PRODUCTION_DATE, INTENDED_COUNTRY = "2025-07-01", "NL"

if len(SAMPLES) != 9:
    pytest.skip(f"the nine official IVI 2.0 samples are not in {IVI_DIR / 'samples'}", allow_module_level=True)


class OwnStack:
    def __init__(self, settings):
        self.settings = settings

    def client(self, sub, roles, entities=("*",)):
        return Client(sub, list(roles), list(entities), base_url=self.settings.gateway_url, s=self.settings)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """This module's own stack (shadows the session's), isolated as the session's is: vhost, databases, port."""
    root = tmp_path_factory.mktemp("samples-stack")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    prefix = throwaway_prefix()
    with throwaway_vhost("samples") as amqp_uri, pytest.MonkeyPatch.context() as mp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ECOC_", "OTEL_EXPORTER_OTLP"))}
        env.update({"ECOC_AMQP_URI": amqp_uri, "ECOC_DB_PREFIX": prefix, "ECOC_GATEWAY_PORT": str(port),
                    "ECOC_GATEWAY_URL": f"http://127.0.0.1:{port}", "ECOC_KEYS_DIR": str(root / "keys"),
                    "ECOC_IVI_SCHEMA": str(IVI_DIR / "IVI2.0.xsd"), "ECOC_JWT_SECRET": secrets.token_hex(24),
                    "ECOC_MAX_WORKERS": "4",  # small pools beside the session's stack: one sample at a time
                    "PSYCOPG_WAIT_FUNC": "wait_selector"})
        if os.environ.get("ECOC_DATABASE_URL"):  # the PostgreSQL server the caller configured
            env["ECOC_DATABASE_URL"] = os.environ["ECOC_DATABASE_URL"]
        for name in [k for k in os.environ if k.startswith("ECOC_")]:
            mp.delenv(name)
        for name, value in env.items():
            if name.startswith("ECOC_"):
                mp.setenv(name, value)
        settings = Settings()
        processes = Stack(env=env, log_dir=str(root / "logs"))
        try:
            migrate_all(settings, echo=lambda *_: None)
            for attempt in (1, 2):  # a start can lose a race in nameko's RPC reply queue on a busy machine
                processes.start()
                try:
                    processes.wait_healthy(settings.gateway_url, timeout=60)
                    break
                except RuntimeError:
                    processes.stop()
                    if attempt == 2:
                        raise
            yield OwnStack(settings)
        finally:
            processes.stop()
            drop_stack_databases(prefix)


def read(path):
    return read_ivi(path.read_bytes(), load_schema(IVI_DIR / "IVI2.0.xsd"))


def manufacturer(coc):
    return coc["ManufacturerTable"][0]


entity_code = sample_entity_code  # a legal name is one entity's, whichever module registers it first
SPARE_WMI = "ZFA"  # a legal name whose samples carry only WMIs of others gets this one (as in test_samples_sealed)


@pytest.fixture(scope="module")
def manufacturers(stack):
    """A legal entity per manufacturer of the samples (legal name = ManufacturerName, WMIs from the VINs)."""
    admin = stack.client("ada", ["admin"])
    wmis, rows = {}, {}
    for path in SAMPLES:
        coc = read(path)["coc"]
        name = manufacturer(coc)["ManufacturerName"]
        wmi = coc["VehicleIdentificationNumber"][:3]
        if all(wmi not in taken for owner, taken in wmis.items() if owner != name):
            wmis.setdefault(name, set()).add(wmi)
        rows[name] = manufacturer(coc)
    for name, row in rows.items():
        address = {"line1": row["ManufacturerAddressLine1"], "place": row["ManufacturerPlaceOfResidence"],
                   "country": row["ManufacturerCountryOfResidence"]}
        if row.get("ManufacturerAddressLine2"):
            address["line2"] = row["ManufacturerAddressLine2"]
        admin.put(f"/v1/entities/{entity_code(name)}", {
            "legal_name": name, "role": "manufacturer", "address": address,
            "wmis": sorted(wmis.get(name) or {SPARE_WMI})})
    return {name: entity_code(name) for name in rows}


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_a_sample_imports_through_both_ivi_routes_and_reads_back_unchanged(path, stack, manufacturers):
    message = read(path)
    header, coc = message["header"], message["coc"]
    type_level, vehicle_level = split_levels(coc)
    entity = manufacturers[manufacturer(coc)["ManufacturerName"]]
    manager = stack.client("alice", ["approvals_manager", "viewer"], [entity])
    steward = stack.client("dana", ["data_steward", "viewer"], [entity])

    # type level: an approval version that reads back as the sample's type-level part
    registered = manager.request("POST", "/v1/approvals/from-ivi", params={"entity": entity}, data=path.read_bytes(),
                                 headers=XML, expect=(200, 201)).json()
    assert ApprovalFromIvi().validate(registered) == {}  # the answer is what the contract says
    approval = manager.get(f"/v1/approvals/{registered['id']}")
    [version] = [v for v in approval["versions"]
                 if (v["type"], v["variant"], v["version"]) == (coc["Type"], coc["Variant"], coc["Version"])]
    assert version["type_level_coc"] == type_level

    # vehicle level: the vehicle record; what the message leaves out comes from the query
    params = {"entity": entity}
    if "DateManufactureVehicle" not in coc:
        params["production_date"] = PRODUCTION_DATE
    if "IntendedCountryRegistration" not in header:
        params["intended_country"] = INTENDED_COUNTRY
    created = steward.request("POST", "/v1/vehicles/from-ivi", params=params, data=path.read_bytes(), headers=XML,
                              expect=(200, 201))
    assert created.json()["outcome"] in ("accepted", "unchanged")
    assert VehicleFromIvi().validate(created.json()) == {}
    vehicle = steward.get(f"/v1/vehicles/{coc['VehicleIdentificationNumber']}")
    assert (vehicle["vin"], vehicle["entity"], vehicle["approval_number"], vehicle["type"], vehicle["variant"],
            vehicle["version"]) == (coc["VehicleIdentificationNumber"], entity, coc["TypeApprovalNumber"],
                                    coc["Type"], coc["Variant"], coc["Version"])
    assert vehicle["production_date"] == coc.get("DateManufactureVehicle", PRODUCTION_DATE)
    assert vehicle["intended_country"] == header.get("IntendedCountryRegistration", INTENDED_COUNTRY)
    assert vehicle["coc"] == {k: v for k, v in vehicle_level.items()
                              if k not in ("VehicleIdentificationNumber", "DateManufactureVehicle")}

    # both parts composed again are the sample's CoC data
    assert compose_coc(version["type_level_coc"], vehicle) == coc
