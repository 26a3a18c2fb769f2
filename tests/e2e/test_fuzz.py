"""A bounded fuzz run of the whole HTTP API from its own `/openapi.json` (schemathesis): requests that fit
the contract and requests that break it, to every operation, as an admin of an entity of its own. No answer
may be a 5xx, and every answer must be one the contract lists for the operation, with that media type and
schema."""
import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks
from schemathesis.generation import GenerationMode

from gateway.openapi import openapi_document

pytestmark = pytest.mark.e2e

FUZZ_ENTITY = "FUZZ"
# per operation and generation mode: the whole run stays within a few minutes; ECOC_FUZZ_EXAMPLES=200 digs deeper
MAX_EXAMPLES = int(os.environ.get("ECOC_FUZZ_EXAMPLES", "10"))
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]
OPERATIONS = sorted((path, method) for path, item in openapi_document()["paths"].items() for method in item)


@pytest.fixture(scope="module")
def fuzz_admin(stack):
    """An admin acting for FUZZ only (registered here), so the run cannot touch other tests' entities."""
    admin = stack.client("fuzz-admin", ["admin"], [FUZZ_ENTITY])
    admin.put(f"/v1/entities/{FUZZ_ENTITY}", {
        "legal_name": "FUZZ MOTORS", "role": "manufacturer",
        "address": {"line1": "1 TEST STREET", "place": "GENT", "country": "BELGIUM"}})
    return admin


@pytest.fixture(scope="module")
def live_schema(stack, fuzz_admin):
    """The contract as the running gateway serves it."""
    return schemathesis.openapi.from_url(stack.url("/openapi.json"))


def test_the_served_contract_is_the_generated_one(live_schema):
    assert live_schema.raw_schema == json.loads(json.dumps(openapi_document()))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("path,method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_every_answer_is_within_the_contract(live_schema, stack, fuzz_admin, path, method, mode):
    operation = live_schema[path][method]
    auth = {"Authorization": fuzz_admin.session.headers["Authorization"]}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(base_url=stack.base_url, checks=CHECKS, headers=auth, timeout=60)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        pytest.skip("every input this operation declares accepts anything: no invalid request to make")
