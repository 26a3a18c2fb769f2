"""Both transport profiles against the NAP simulator over mutual TLS: the default soap11-embedded profile, and the
wsdl profile that zeep drives from the WSDL the simulator serves. The seal must verify at the NAP either way (the
sealed element travels as sealed); transport failures are transient, never an exception."""
import pytest

from cli.nap_sim import pki
from cli.nap_sim.faults import FaultPlan
from cli.nap_sim.nap import Nap, TrustedSeals
from cli.nap_sim.server import start_in_thread
from services.delivery.transport import Transports
from tests import sealed_messages as messages

pytestmark = pytest.mark.skipif(not messages.available(), reason="the official IVI 2.0 schema is not in ../shared/ivi")


@pytest.fixture
def nap(tmp_path):
    client = pki.ensure_client(tmp_path, "ACME")
    _, _, cert_pem = messages.sealed("VNKKTUD3X0A000100")
    (tmp_path / "trusted.pem").write_bytes(cert_pem)
    sim = Nap(messages.validator(), TrustedSeals([tmp_path / "trusted.pem"]),
              faults=FaultPlan(reject_vin="0A0002"))
    server, _ = start_in_thread(sim, tmp_path)
    yield server, client
    server.shutdown()


def target(server, client, tmp_path, profile, **extra):
    return dict({"id": f"t-{profile}", "revision": 1, "name": profile, "profile": profile,
                 "endpoint": server.endpoint, "wsdl": server.endpoint + "?wsdl" if profile == "wsdl" else None,
                 "client_cert": client.cert.name, "client_key": client.key.name, "ca_cert": "ca.pem",
                 "timeout_seconds": 10, "concurrency": 2}, **extra)


@pytest.mark.parametrize("profile", ["soap11-embedded", "wsdl"])
def test_a_profile_delivers_accepts_duplicates_and_sees_rejections(nap, tmp_path, profile):
    server, client = nap
    transports = Transports(str(tmp_path))
    t = target(server, client, tmp_path, profile)
    document, reference_id, _ = messages.sealed(f"VNKKTUD3X0A00010{profile == 'wsdl':d}")
    sent = transports.send(t, document)
    assert (sent.outcome.kind, sent.http_status, sent.outcome.errors) == ("accepted", 200, []), sent.outcome
    assert sent.outcome.receipt_id and sent.latency_ms > 0
    again = transports.send(t, document)
    assert (again.outcome.kind, again.outcome.duplicate, again.outcome.receipt_id) == (
        "accepted", True, sent.outcome.receipt_id)
    refused = transports.send(t, messages.sealed(f"VNKKTUD3X0A00020{profile == 'wsdl':d}")[0])
    assert refused.outcome.kind == "rejected"
    assert [(e["code"], e["message"]) for e in refused.outcome.errors] == [
        ("INJECTED", "rejected for VINs matching '0A0002'")]
    transports.close()


def test_unreachable_nap_and_missing_credentials_are_transient(nap, tmp_path):
    server, client = nap
    transports = Transports(str(tmp_path))
    document = messages.sealed("VNKKTUD3X0A000300")[0]
    down = transports.send(target(server, client, tmp_path, "soap11-embedded",
                                  endpoint="https://127.0.0.1:9/nap"), document)
    assert down.outcome.kind == "transient" and down.http_status is None
    missing = transports.send(target(server, client, tmp_path, "soap11-embedded", id="t-2",
                                     client_key="nowhere.key"), document)
    assert missing.outcome.kind == "transient" and "nowhere.key does not exist" in missing.outcome.detail
    pki.ensure_ca(tmp_path / "other")
    untrusted = transports.send(target(server, client, tmp_path, "soap11-embedded", id="t-3",
                                       ca_cert="other/ca.pem"), document)
    assert untrusted.outcome.kind == "transient" and "SSLError" in untrusted.outcome.detail
    outside = transports.send(target(server, client, tmp_path, "soap11-embedded", id="t-4",
                                     client_key=str(tmp_path.parent / "elsewhere.key")), document)
    assert outside.outcome.kind == "transient" and "not a file in the credentials directory" in outside.outcome.detail
