"""Issue 13, the identity findings (5, 8, 11, 12), each with one regression test.

Findings 5, 8 and 11 run over HTTP against the session's stack (local mode) with legal entities of their own;
finding 12 starts gateway processes of its own in production mode (`ECOC_LOCAL_MODE=0`)."""
import copy
import random
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import jwt
import pytest
import requests
from lxml import etree

from cli import demo_data
from common.config import REPO_ROOT
from services.signing.domain.keys import FileKeyProvider, generate_self_signed, write_seal
from services.signing.domain.seal import Sealer
from tests.support import free_port, stack_env, throwaway_database, throwaway_vhost, wait_until

pytestmark = pytest.mark.e2e

XML = {"Content-Type": "application/xml"}
SAMPLES = REPO_ROOT.parent / "shared" / "ivi" / "samples"
DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
WMI_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # ISO 3779: never I, O or Q


class Maker:
    """A legal entity of this module's own: code, legal name, WMI, signatory, and its people."""

    def __init__(self, stack, label):
        rng = random.Random(uuid.uuid4().int)
        tag = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(6))
        self.code = f"{label}-{tag}"
        self.legal_name = f"{label} {tag} MOTORS NV"
        self.wmi = "W" + "".join(rng.choice(WMI_CHARS) for _ in range(2))
        self.signatory = {"sub": f"signer-{tag.lower()}", "name": "SIGNE SEALER", "position": "HEAD OF HOMOLOGATION",
                          "location": "GENT"}
        self.number = f"e6*2018/858*{rng.randint(60000, 69999)}*00"
        self.admin = stack.client(f"admin-{tag.lower()}", ["admin"], [self.code])
        self.steward = stack.client("dana", ["data_steward"], [self.code])
        self.reviewer = stack.client("rita", ["reviewer"], [self.code])
        self.signer = stack.client(self.signatory["sub"], ["signer"], [self.code])
        self.viewer = stack.client("vic", ["viewer"], [self.code])
        self.auditor = stack.client("audrey", ["auditor"], [self.code])
        self.manager = stack.client("alice", ["approvals_manager"], [self.code])

    def body(self, **changes):
        return dict({"legal_name": self.legal_name, "role": "manufacturer",
                     "address": {"line1": "KAAI 1", "place": "GENT", "country": "BELGIUM"},
                     "wmis": [self.wmi], "signatories": [self.signatory]}, **changes)

    def approval(self):
        approval = copy.deepcopy(demo_data.approval())
        approval.update(number=self.number, entity=self.code)
        approval["coc"]["ManufacturerTable"][0]["ManufacturerName"] = self.legal_name
        return approval

    def vehicles(self, count):
        return [dict(v, vin=self.wmi + v["vin"][3:], entity=self.code, approval_number=self.number)
                for v in demo_data.vehicles(count, seed=uuid.uuid4().int)]


def seal_files(keys_dir, code):
    return sorted(p.name for p in Path(keys_dir).glob(f"{code}*"))


def problem(response, status):
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_finding_05_an_entity_cannot_take_another_entitys_legal_name_or_wmi(stack):
    victim, impostor = Maker(stack, "VICTIM"), Maker(stack, "IMPOSTOR")
    victim.admin.put(f"/v1/entities/{victim.code}", victim.body())

    taken_name = impostor.admin.request("PUT", f"/v1/entities/{impostor.code}", expect=None,
                                        json=impostor.body(legal_name=f"  {victim.legal_name.lower()} "))
    assert problem(taken_name, 409)["errors"] == [{"field": "legal_name", "message": "this legal name is taken"}]
    taken_wmi = impostor.admin.request("PUT", f"/v1/entities/{impostor.code}", expect=None,
                                       json=impostor.body(wmis=[impostor.wmi, victim.wmi]))
    assert problem(taken_wmi, 409)["errors"] == [{"field": "wmis[1]", "message": f"the WMI {victim.wmi} is taken"}]
    for answer in (taken_name, taken_wmi):  # "taken", and nothing of the other entity
        assert victim.code not in answer.text and victim.signatory["sub"] not in answer.text

    # nothing was written: no entity, no seal that verify would trust with the victim's name
    assert seal_files(stack.keys_dir, impostor.code) == []
    assert impostor.admin.request("GET", f"/v1/entities/{impostor.code}", expect=None).status_code == 404
    assert impostor.admin.put(f"/v1/entities/{impostor.code}", impostor.body())["legal_name"] == impostor.legal_name


def _sample_sealed_by_an_orphan_seal(keys_dir, code):
    """The Rav4 sample (manufacturer TOYOTA MOTOR EUROPE NV/SA) sealed by a seal left in the key store for `code`,
    an entity code no legal entity holds, issued to the sample's manufacturer."""
    sample = etree.fromstring((SAMPLES / "M1-05-Rav4Hybrid.xml").read_bytes(),
                              etree.XMLParser(remove_blank_text=True, resolve_entities=False))
    sample.remove(sample.find(DS_SIGNATURE))
    write_seal(keys_dir, code, *generate_self_signed(code, "TOYOTA MOTOR EUROPE NV/SA"))
    return Sealer(FileKeyProvider(keys_dir).get(code)).seal(sample)


def test_finding_08_a_bad_entity_code_is_refused_before_anything_is_written(stack):
    admin = stack.client("ada", ["admin"])
    maker = Maker(stack, "CODES")
    key_store = sorted(p.name for p in Path(stack.keys_dir).iterdir())
    for code in ("%2E%2E", ".x", "A" * 70, "lower.case", maker.code.lower()):  # %2E%2E: the code ".."
        response = admin.request("PUT", f"/v1/entities/{code}", json=maker.body(), expect=None)
        errors = problem(response, 422)["errors"]
        assert [e["field"] for e in errors] == ["code"], (code, errors)
        assert "capital letters" in errors[0]["message"]
    assert sorted(p.name for p in Path(stack.keys_dir).iterdir()) == key_store  # no seal was made

    # a seal in the key store that no registered entity holds is no trust anchor for a document
    orphan = f"ORPHAN-{secrets.token_hex(4).upper()}"
    document = _sample_sealed_by_an_orphan_seal(stack.keys_dir, orphan)
    verdict = stack.client("vic", ["viewer"], ["*"]).request(
        "POST", "/v1/certificates/verify", data=document, headers=XML).json()
    assert verdict["valid"] is False and "the seal belongs to no registered legal entity" in verdict["errors"], verdict


def _released(maker, vins, note, wait):
    wait(lambda: all(maker.viewer.get(f"/v1/vehicles/{vin}")["status"] == "valid" for vin in vins), 60,
         interval=0.3, what=f"{vins} to be valid")
    release = maker.steward.post("/v1/releases", {"vins": vins, "note": note})
    maker.reviewer.request("POST", f"/v1/releases/{release['id']}/approve")
    maker.signer.request("POST", f"/v1/releases/{release['id']}/sign")
    final = wait(lambda: (lambda r: r if r["status"] not in ("approved", "signing") else None)(
        maker.viewer.get(f"/v1/releases/{release['id']}")), 90, interval=0.3, what="the release to be sealed")
    assert final["status"] == "released", final
    return final["id"]


def test_finding_11_sealing_is_attributed_to_the_signatory_and_verify_says_when(stack, wait):
    maker = Maker(stack, "SEALS")
    maker.admin.put(f"/v1/entities/{maker.code}", maker.body())
    maker.manager.post("/v1/approvals", maker.approval())
    vehicles = maker.vehicles(2)
    vins = [v["vin"] for v in vehicles]
    assert maker.steward.post("/v1/vehicles/import", {"vehicles": vehicles})["accepted"] == 2
    first_release = _released(maker, vins, "identity e2e", wait)
    corrected = maker.steward.request("POST", f"/v1/vehicles/{vins[0]}/corrections", json={
        "coc": {"MassGroup": {"ActualMass": 1999}}, "reason": "actual mass measured wrongly"})
    assert corrected.status_code == 201, corrected.text
    second_release = _released(maker, [vins[0]], "identity e2e correction", wait)

    def entries(subject, *types):
        found = maker.auditor.get("/v1/audit", params={"subject": subject, "limit": 500})["entries"]
        return found if {t for t in types} <= {e["event_type"] for e in found} else None

    sealed = wait(lambda: entries(vins[0], "certificate_signed", "certificate_superseded"), 30, interval=0.3,
                  what="the sealing entries")
    completed = [e for release in (first_release, second_release)
                 for e in wait(lambda: entries(release, "release_completed"), 30, interval=0.3, what="release_completed")
                 if e["event_type"] == "release_completed"]
    by_type = {}
    for entry in sealed + completed:
        by_type.setdefault(entry["event_type"], set()).add(entry["actor"])
    sub = maker.signatory["sub"]
    assert {t: by_type[t] for t in ("certificate_signed", "certificate_superseded", "release_completed")} == {
        "certificate_signed": {sub}, "certificate_superseded": {sub}, "release_completed": {sub}}
    assert [e["event_type"] for e in sealed if not e["actor"]] == []  # every entry names who caused it

    document = maker.viewer.request("GET", f"/v1/vehicles/{vins[0]}/certificate").content
    [_, current] = maker.viewer.get(f"/v1/vehicles/{vins[0]}/certificates")["items"]
    verdict = maker.viewer.request("POST", "/v1/certificates/verify", data=document, headers=XML).json()
    assert verdict["valid"] is True, verdict
    assert verdict["signed_at"] == current["signed_at"] and verdict["signed_at"] is not None
    assert (verdict["signer"]["entity"], verdict["signer"]["organisation"]) == (maker.code, maker.legal_name)
    stranger = stack.client("vic", ["viewer"], [f"NOBODY-{secrets.token_hex(3).upper()}"])
    foreign = stranger.request("POST", "/v1/certificates/verify", data=document, headers=XML).json()
    assert foreign["valid"] is True, foreign  # the seal is still checked against its entity, for anyone
    assert (foreign["signed_at"], foreign["signer"]["entity"]) == (None, None)  # what it holds is not shown


# -- finding 12: production mode ---------------------------------------------------------------------------


def _gateway(env, log):
    return subprocess.Popen([sys.executable, "-m", "cli.run_service", "gateway"], env=env, cwd=str(REPO_ROOT),
                            stdout=log, stderr=subprocess.STDOUT)


def _production_env(amqp_uri, port, tmp_path, **extra):
    env = stack_env(amqp_uri, "ecoc_test_unused", port, tmp_path, "unused", REPO_ROOT / "unused.xsd",
                    ECOC_LOCAL_MODE="0")
    for name in ("ECOC_JWT_SECRET", "ECOC_INTERNAL_SECRET"):  # the built-in ones, unless `extra` gives them
        env.pop(name)
    return dict(env, **extra)


def test_finding_12_production_mode_refuses_built_in_secrets_and_the_dashboard_has_no_token_sign_in(tmp_path):
    # built-in secrets: the process says why and stops (the broker below does not exist: nothing else is tried)
    log = tmp_path / "gateway.log"
    with log.open("wb") as out:
        refused = _gateway(_production_env("pyamqp://guest:guest@127.0.0.1:9/", free_port(), tmp_path), out)
        try:
            refused.wait(timeout=60)
        except subprocess.TimeoutExpired:
            refused.kill()
            refused.wait()
    output = log.read_text(errors="replace")
    assert refused.returncode not in (None, 0, -9), f"the gateway kept running with built-in secrets:\n{output[-2000:]}"
    assert "refusing to start in production mode" in output, output
    assert "ECOC_JWT_SECRET" in output and "ECOC_INTERNAL_SECRET" in output, output

    # with secrets of its own it starts, and the dashboard's sign-in reads the issuer's claims like the API
    jwt_secret = secrets.token_hex(32)
    with throwaway_vhost("identity") as amqp_uri, throwaway_database("gateway", "identity") as database_url:
        port = free_port()
        env = _production_env(amqp_uri, port, tmp_path, ECOC_JWT_SECRET=jwt_secret,
                               ECOC_INTERNAL_SECRET=secrets.token_hex(32), ECOC_GATEWAY_DATABASE_URL=database_url,
                               ECOC_JWT_ROLES_CLAIM="realm_access.roles", ECOC_JWT_ENTITIES_CLAIM="tenant.entities",
                               ECOC_JWT_ROLE_PREFIX="ecoc-")
        log = (tmp_path / "gateway-production.log").open("wb")
        gateway = _gateway(env, log)
        try:
            base = f"http://127.0.0.1:{port}"

            def up():
                if gateway.poll() is not None:
                    pytest.fail(f"the gateway stopped:\n{(tmp_path / 'gateway-production.log').read_text()[-3000:]}")
                try:
                    return requests.get(f"{base}/dashboard/login", timeout=2).status_code == 200
                except requests.RequestException:
                    return False

            wait_until(up, 60, "the gateway to answer")
            now = int(time.time())
            token = jwt.encode({"sub": "vera", "iss": env["ECOC_JWT_ISSUER"], "aud": env["ECOC_JWT_AUDIENCE"],
                                "iat": now, "exp": now + 600, "realm_access": {"roles": ["ecoc-viewer", "offline"]},
                                "tenant": {"entities": ["NORDWIND"]}}, jwt_secret, algorithm="HS256")
            api = requests.get(f"{base}/v1/entities/OTHER", headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert api.status_code == 404, api.text  # the API maps the claims: a viewer of NORDWIND only
            # outside local mode a pasted token signs nobody in to the dashboard: only the OIDC issuer does (whose
            # ID token is read with the same claim mapping, `gateway.auth.identity_from_claims`)
            login = requests.post(f"{base}/dashboard/login", data={"token": token}, allow_redirects=False, timeout=30)
            assert login.status_code == 404 and "ecoc_session" not in login.cookies, login.text
            assert 'name="token"' not in requests.get(f"{base}/dashboard/login", timeout=30).text
        finally:
            gateway.terminate()
            try:
                gateway.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gateway.kill()
                gateway.wait()
            log.close()
