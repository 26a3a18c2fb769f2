"""Direct nameko RPC, past the gateway: the owning service re-checks identity, roles, entity scope and
four-eyes from the passport in the context data. A missing, hand-written or badly signed identity is
refused; so is the requester or the last editor approving their own release."""
import json
from dataclasses import replace

import jwt
import pytest
from nameko.testing.services import entrypoint_waiter, replace_dependencies

from cli import demo_data
from common import authz
from common.config import settings
from common.contracts.events import RELEASE_APPROVED, VALIDATION_COMPLETED
from common.dependencies import IDENTITY_KEY
from common.errors import Forbidden, FourEyes, InvalidInput, NotFound
from common.outbox import Outbox
from services.approvals.service import ApprovalsService
from services.validation.models import outbox as validation_outbox
from services.vehicles.service import VehiclesService
from tests.approvals_double import canned_entity, canned_resolve

pytestmark = pytest.mark.integration

ENTITY = demo_data.ENTITY
ALICE = ("alice", ["data_steward"], [ENTITY])  # imports: the last editor of every vehicle
BOB = ("bob", ["data_steward", "reviewer"], [ENTITY])  # requests the release, and also holds the reviewer role
RITA = ("rita", ["reviewer"], [ENTITY])
ADA = ("ada", ["admin"], ["*"])
WAIT = 15


def forged(sub, roles, entities=("*",)):
    """What a caller on the broker can write into the context data without the internal secret."""
    return {
        "plain JSON": {IDENTITY_KEY: json.dumps({"sub": sub, "roles": list(roles), "entities": list(entities)})},
        "wrong secret": {IDENTITY_KEY: authz.passport({"sub": sub, "roles": list(roles), "entities": list(entities)},
                                                      replace(settings(), internal_secret="guessed-" + "x" * 32))},
        "alg none": {IDENTITY_KEY: jwt.encode({"sub": sub, "roles": list(roles), "entities": list(entities),
                                               "iss": authz.PASSPORT_ISSUER, "aud": authz.PASSPORT_AUDIENCE,
                                               "exp": 4102444800}, None, algorithm="none")},
        "none": {},
    }


@pytest.fixture
def vehicles(container_factory, service_config, service_db):
    container = container_factory(VehiclesService, service_config("vehicles", service_db("vehicles")))
    approvals = replace_dependencies(container, "approvals")  # a release pins the demo approval's data
    approvals.resolve.side_effect = canned_resolve
    approvals.get_entity.side_effect = canned_entity
    container.start()
    return container


@pytest.fixture
def as_(vehicles, call, as_user):
    return lambda user, method, *args: call(vehicles, method, *args, context_data=as_user(*user))


@pytest.fixture
def release(vehicles, as_, publish_event):
    """Three vehicles imported by alice, judged valid, in a release requested by bob."""
    batch = demo_data.vehicles(3, seed=4711)
    assert as_(ALICE, "import_vehicles", {"vehicles": batch})["accepted"] == 3
    vins = [v["vin"] for v in batch]
    results = [{"vin": vin, "revision": 1, "status": "valid", "findings": []} for vin in vins]
    envelope = Outbox("validation", validation_outbox).envelope(
        VALIDATION_COMPLETED, {"results": results}, subject=vins[0], subjects=vins, entity=ENTITY)
    with entrypoint_waiter(vehicles, "on_validation_completed", timeout=WAIT):
        publish_event(envelope)
    return as_(BOB, "request_release", {"vins": vins, "note": "week 47"})


@pytest.mark.parametrize("how", ["plain JSON", "wrong secret", "alg none", "none"])
def test_a_forged_or_missing_identity_cannot_approve(vehicles, release, call, how):
    with pytest.raises(Forbidden, match="verif|passport"):
        call(vehicles, "approve_release", release["id"], context_data=forged("rita", ["reviewer"])[how])
    with pytest.raises(Forbidden):
        call(vehicles, "get_release", release["id"], context_data=forged("rita", ["admin"])[how])


def test_four_eyes_holds_for_a_direct_rpc(vehicles, release, as_, outbox_rows):
    with pytest.raises(FourEyes, match="requested"):
        as_(BOB, "approve_release", release["id"])  # the requester, though a reviewer too
    with pytest.raises(FourEyes, match="requested"):
        as_(BOB, "reject_release", release["id"], {"reason": "second thoughts"})
    with pytest.raises(FourEyes, match="last edited"):
        as_(("alice", ["reviewer"], [ENTITY]), "approve_release", release["id"])  # the last editor
    with pytest.raises(Forbidden, match="needs the role reviewer"):
        as_(("dana", ["data_steward", "viewer"], [ENTITY]), "approve_release", release["id"])
    with pytest.raises(NotFound):
        as_(("olga", ["reviewer"], ["OTHERCO"]), "approve_release", release["id"])
    assert as_(RITA, "get_release", release["id"])["status"] == "in_review"  # nothing above changed it

    approved = as_(RITA, "approve_release", release["id"])
    assert (approved["status"], approved["reviewed_by"]) == ("approved", "rita")
    # the verified identity travels with the event: the envelope names rita, read from her passport
    url = vehicles.config["DATABASE_URL"]
    [event] = outbox_rows(url, RELEASE_APPROVED)
    assert (event["actor"], event["entity"]) == ("rita", ENTITY)


def test_admin_is_still_subject_to_four_eyes(vehicles, release, as_):
    vins = [v["vin"] for v in as_(ADA, "get_release", release["id"])["vehicles"]]
    assert len(vins) == 3
    as_(RITA, "reject_release", release["id"], {"reason": "recheck the masses"})  # vehicles back to valid
    again = as_(ADA, "request_release", {"vins": vins})
    with pytest.raises(FourEyes, match="requested"):
        as_(ADA, "approve_release", again["id"])
    assert as_(("rob", ["admin"], ["*"]), "approve_release", again["id"])["status"] == "approved"


def test_a_signer_signs_only_as_themself(vehicles, release, as_, approvals, call, as_user):
    call(approvals, "put_entity", dict(demo_data.entity(), code=ENTITY), context_data=as_user(*ADA))
    as_(RITA, "approve_release", release["id"])
    with pytest.raises(Forbidden, match="needs the role signer"):
        as_(RITA, "sign_release", release["id"], demo_data.SIGNATORY)
    with pytest.raises(Forbidden, match="signs only as themself"):
        as_(("mallory", ["signer"], [ENTITY]), "sign_release", release["id"], demo_data.SIGNATORY)
    with pytest.raises(Forbidden, match="not an authorised signatory of NORDWIND"):  # as themself, but not named
        as_(("mallory", ["signer"], [ENTITY]), "sign_release", release["id"], dict(demo_data.SIGNATORY, sub="mallory"))
    with pytest.raises(Forbidden, match="not an authorised signatory of NORDWIND"):
        as_(("ada", ["admin"], ["*"]), "sign_release", release["id"], dict(demo_data.SIGNATORY, sub="ada"))
    assert as_(("sam", ["signer"], [ENTITY]), "sign_release", release["id"], demo_data.SIGNATORY)["status"] == "signing"


def test_roles_and_scope_of_the_other_mutations(vehicles, release, as_, call):
    vin = as_(RITA, "get_release", release["id"])["vehicles"][0]["vin"]
    with pytest.raises(Forbidden):
        call(vehicles, "import_vehicles", {"vehicles": demo_data.vehicles(1, seed=9)}, context_data={})
    with pytest.raises(Forbidden, match="needs the role data_steward"):
        as_(RITA, "import_vehicles", {"vehicles": demo_data.vehicles(1, seed=9)})
    with pytest.raises(Forbidden, match="needs the role data_steward"):
        as_(("vera", ["viewer"], [ENTITY]), "update", vin, {"reason": "x", "intended_country": "BE"}, 1)
    with pytest.raises(Forbidden, match="needs the role signer"):
        as_(ALICE, "withdraw", vin, {"reason": "sold outside the EU"})
    with pytest.raises(NotFound):
        as_(("olga", ["viewer"], ["OTHERCO"]), "get", vin)
    assert as_(("olga", ["viewer"], ["OTHERCO"]), "list")["items"] == []
    with pytest.raises(Forbidden):
        call(vehicles, "list", context_data={})


# -- approvals -------------------------------------------------------------------------------------------

@pytest.fixture
def approvals(container_factory, service_config, service_db):
    container = container_factory(ApprovalsService, service_config("approvals", service_db("approvals")))
    container.start()
    return container


def test_approvals_rechecks_roles_and_scope(approvals, call, as_user):
    def as_(user, method, *args):
        return call(approvals, method, *args, context_data=as_user(*user))

    body = dict(demo_data.entity(), code=ENTITY)
    for context in forged("ada", ["admin"]).values():
        with pytest.raises(Forbidden):
            call(approvals, "put_entity", body, context_data=context)
    with pytest.raises(Forbidden, match="needs the role admin"):
        as_(("mia", ["approvals_manager"], ["*"]), "put_entity", body)
    as_(ADA, "put_entity", body)

    with pytest.raises(Forbidden, match="needs the role approvals_manager"):
        as_(ALICE, "register", demo_data.approval())
    with pytest.raises(InvalidInput, match="Unknown legal entity"):
        as_(("otto", ["approvals_manager"], ["OTHERCO"]), "register", demo_data.approval())
    created = as_(("mia", ["approvals_manager"], [ENTITY]), "register", demo_data.approval())

    outsider = ("olga", ["admin"], ["OTHERCO"])
    for method, args in [("get", (created["id"],)), ("get_entity", (ENTITY,)),
                         ("withdraw", (created["id"], {"reason": "x", "effective_date": "2030-01-01"}))]:
        with pytest.raises(NotFound):
            as_(outsider, method, *args)
    assert as_(outsider, "find", demo_data.APPROVAL_NUMBER, None) == []
    assert as_(outsider, "find", demo_data.APPROVAL_NUMBER, [ENTITY]) == []  # asking for more does not widen it
    assert [a["id"] for a in as_(("vera", ["viewer"], [ENTITY]), "find", demo_data.APPROVAL_NUMBER, None)] == [
        created["id"]]
    with pytest.raises(Forbidden):
        call(approvals, "resolve", [], context_data={})
