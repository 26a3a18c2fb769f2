"""The NAP simulator over HTTPS with client certificates: what it accepts, what it rejects and why (schema, seal,
header rules, plausibility), duplicates, injected faults, its WSDL and `GET /received`; and the delivery side's
judgement of each answer (`services.delivery.domain.soap.judge`)."""
import pytest
import requests

from cli.nap_sim import pki
from cli.nap_sim.faults import FaultPlan
from cli.nap_sim.nap import Nap, TrustedSeals
from cli.nap_sim.server import ENDPOINT_PATH, start_in_thread
from services.delivery.domain.soap import CONTENT_TYPE, SOAP_ACTION, envelope, judge
from tests import sealed_messages as messages

pytestmark = pytest.mark.skipif(not messages.available(), reason="the official IVI 2.0 schema is not in ../shared/ivi")

VIN = "VNKKTUD3X0A000001"


@pytest.fixture
def nap_dir(tmp_path):
    pki.ensure_client(tmp_path, "ACME")
    return tmp_path


@pytest.fixture
def seal_file(nap_dir):
    _, _, cert_pem = messages.sealed(VIN)
    path = nap_dir / "trusted.pem"
    path.write_bytes(cert_pem)
    return path


def running(nap_dir, seal_file, faults=None, rules=("vin", "mass")):
    nap = Nap(messages.validator(), TrustedSeals([seal_file]), rules, faults)
    server, _ = start_in_thread(nap, nap_dir)
    return server


@pytest.fixture
def client(nap_dir):
    session = requests.Session()
    pair = pki.client_pair(nap_dir, "ACME")
    session.cert = (str(pair.cert), str(pair.key))
    session.verify = str(pki.ca_pair(nap_dir).cert)
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace `verify`
    yield session
    session.close()


def submit(session, server, document):
    answer = session.post(server.endpoint, data=envelope(document), timeout=30,
                          headers={"Content-Type": CONTENT_TYPE, "SOAPAction": SOAP_ACTION})
    return answer.status_code, answer.content


def test_a_sealed_message_is_accepted_once_and_a_resend_is_a_duplicate_with_the_same_receipt(nap_dir, seal_file,
                                                                                            client):
    server = running(nap_dir, seal_file)
    document, reference_id, _ = messages.sealed(VIN)
    first = judge(*submit(client, server, document))
    assert (first.kind, first.duplicate, first.errors) == ("accepted", False, [])
    again = judge(*submit(client, server, document))
    assert (again.kind, again.duplicate, again.receipt_id) == ("accepted", True, first.receipt_id)
    received = client.get(server.endpoint.replace(ENDPOINT_PATH, "/received"), timeout=30).json()["received"]
    assert [(r["reference_id"], r["vin"], r["status"], r["duplicate"], r["client"]) for r in received] == [
        (reference_id, VIN, "ACCEPTED", False, "ACME"), (reference_id, VIN, "ACCEPTED", True, "ACME")]
    server.shutdown()


def test_header_rules_reference_reuse_and_version_sequence(nap_dir, seal_file, client):
    server = running(nap_dir, seal_file)
    second, _, _ = messages.sealed(VIN, version=2)
    out_of_order = judge(*submit(client, server, second))
    assert out_of_order.kind == "rejected"
    assert [e["code"] for e in out_of_order.errors] == ["VERSION_SEQUENCE"]

    first, reference_id, _ = messages.sealed(VIN)
    assert judge(*submit(client, server, first)).kind == "accepted"
    assert judge(*submit(client, server, second)).kind == "accepted"  # the correction, version 1 + 1

    other, other_reference, _ = messages.sealed("VNKKTUD3X0A000002")
    other = other.replace(other_reference.encode(), reference_id.encode())
    reused = judge(*submit(client, server, other))
    assert reused.kind == "rejected" and reused.errors[0]["code"] == "REFERENCE_ID_REUSED"
    server.shutdown()


def test_schema_seal_and_plausibility_rejections_name_code_and_path(nap_dir, seal_file, client, tmp_path):
    server = running(nap_dir, seal_file)
    document, _, _ = messages.sealed("VNKKTUD3X0A000003")
    tampered = document.replace(b"<ActualMass>", b"<ActualMass>1")
    broken = judge(*submit(client, server, tampered))
    assert broken.kind == "rejected" and {e["code"] for e in broken.errors} == {"SEAL"}

    heavy = messages.sealed("VNKKTUD3X0A000004", change=lambda coc: coc["MassGroup"].update(ActualMass=1))[0]
    light = judge(*submit(client, server, heavy))
    assert light.kind == "rejected"
    assert [(e["code"], e["path"]) for e in light.errors] == [("MASS", "CocDataGroup/MassGroup/ActualMass")]

    untrusted_dir = tmp_path / "other"
    untrusted_dir.mkdir()
    server.shutdown()
    server = running(nap_dir, untrusted_dir)  # no trusted seal at all
    untrusted = judge(*submit(client, server, messages.sealed("VNKKTUD3X0A000005")[0]))
    assert untrusted.kind == "rejected" and "untrusted" in untrusted.errors[0]["message"]
    server.shutdown()


def test_not_an_envelope_is_a_client_fault_and_injected_faults_by_vin_pattern(nap_dir, seal_file, client):
    server = running(nap_dir, seal_file, FaultPlan(transient_vin="0A00001[0-4]/", reject_vin="0A00002[0-4]/1$"))
    answer = client.post(server.endpoint, data=b"<hello/>", timeout=30,
                         headers={"Content-Type": CONTENT_TYPE, "SOAPAction": SOAP_ACTION})
    assert judge(answer.status_code, answer.content).kind == "rejected"

    flaky = judge(*submit(client, server, messages.sealed("VNKKTUD3X0A000010")[0]))
    assert flaky.kind == "transient" and "503" in flaky.detail
    refused = judge(*submit(client, server, messages.sealed("VNKKTUD3X0A000020")[0]))
    assert refused.kind == "rejected" and refused.errors[0]["code"] == "INJECTED"
    corrected = judge(*submit(client, server, messages.sealed("VNKKTUD3X0A000020", version=2)[0]))
    assert corrected.kind == "accepted"  # the rejected first version counts as received: 2 follows it
    server.shutdown()


def test_fault_rates_are_fixed_by_seed_and_reference_id():
    plan = FaultPlan(transient_rate=0.3, reject_rate=0.5, seed="s")
    picks = [plan.rejection(f"ref-{i}", "V", 1) is not None for i in range(400)]
    assert picks == [plan.rejection(f"ref-{i}", "V", 1) is not None for i in range(400)]
    assert 150 < sum(picks) < 250
    assert 60 < sum(plan.transient(f"ref-{i}", "V", 1, 1) is not None for i in range(400)) < 180
    with pytest.raises(ValueError):
        FaultPlan(reject_rate=1.5)


def test_a_client_without_a_certificate_of_the_ca_is_refused_and_the_wsdl_names_the_endpoint(nap_dir, seal_file,
                                                                                           client):
    server = running(nap_dir, seal_file)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.endpoint + "?wsdl", verify=str(pki.ca_pair(nap_dir).cert), timeout=30)
    wsdl = client.get(server.endpoint + "?wsdl", timeout=30)
    assert wsdl.status_code == 200
    assert f'location="{server.endpoint}"'.encode() in wsdl.content
    assert b'soapAction="submitInitialVehicleInformation"' in wsdl.content
    server.shutdown()


def test_judging_answers_http_errors_and_server_faults_are_transient():
    assert judge(502, b"<html/>").kind == "transient"
    assert judge(500, b"").kind == "transient"
    assert judge(404, b"not found").kind == "transient"
