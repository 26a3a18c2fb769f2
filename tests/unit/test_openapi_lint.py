"""Lint of the OpenAPI document the gateway serves, over every declared operation (routes added later
included): valid OpenAPI 3.1 (openapi-spec-validator), and the rules a client generator relies on — good
operationIds, one declared tag each, servers, an example of every request body and main answer that fits its
schema, typed schemas, CoC data as the generated `CocData`, true error lists, `Location` on 201/202 and
`Retry-After` on 202, enumerated filters."""
import json
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from gateway.openapi import openapi_document

from common.config import settings
from common.ivi import schema_available

# the CoC schema is generated from the official IVI schema: without it, `CocData` is an open object
needs_ivi_schema = pytest.mark.skipif(not schema_available(settings().schema_path),
                                      reason="the official IVI 2.0 schema is not configured (ECOC_IVI_SCHEMA)")

DOC = openapi_document()
OPERATIONS = [(method.upper(), path, op) for path, item in DOC["paths"].items() for method, op in item.items()]
IDS = [f"{m} {p}" for m, p, _ in OPERATIONS]
PROBLEM = {"$ref": "#/components/schemas/Problem"}
# the first word of an operationId says what it does; a generator makes it the method name
VERBS = {"get", "list", "find", "create", "register", "put", "update", "delete", "import", "export", "extend",
         "withdraw", "correct", "request", "approve", "reject", "sign", "verify", "test", "redeliver", "follow",
         "check", "login", "logout", "read", "replace", "ping", "cancel", "retry", "subscribe", "unsubscribe",
         "accept", "refuse", "decide", "comment", "print", "download", "save", "add", "start", "complete"}
ENUM_FILTERS = {"status", "state", "source", "role", "severity", "event_type"}  # query filters over a fixed set of values


def _bound(schema):
    """`schema` inside a copy of the document, so `#/components/...` references resolve against it."""
    root = dict(DOC, **{"$id": "urn:ecoc:openapi", "x-checked": schema})
    registry = Registry().with_resource("urn:ecoc:openapi", DRAFT202012.create_resource(root))
    return Draft202012Validator({"$ref": "urn:ecoc:openapi#/x-checked"}, registry=registry)


def test_the_document_is_valid_openapi_3_1():
    assert DOC["openapi"].startswith("3.1")
    validate(json.loads(json.dumps(DOC)))  # as served: plain JSON


def test_servers_and_tags_are_declared():
    assert DOC["servers"] and all(server["url"] for server in DOC["servers"])
    declared = [tag["name"] for tag in DOC["tags"]]
    assert len(declared) == len(set(declared))
    assert all(tag.get("description") for tag in DOC["tags"])
    used = {tag for _, _, op in OPERATIONS for tag in op["tags"]}
    assert used == set(declared), used ^ set(declared)


def test_operation_ids_are_unique_method_names():
    ids = [op["operationId"] for _, _, op in OPERATIONS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for (method, path, op), operation_id in zip(OPERATIONS, ids):
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", operation_id), (method, path, operation_id)
        verb = re.match(r"[a-z]+", operation_id).group(0)
        assert verb in VERBS, f"{method} {path}: {operation_id} does not start with a verb ({verb})"


def test_the_examples_of_the_well_known_operations():
    ids = {f"{m} {p}": op["operationId"] for m, p, op in OPERATIONS}
    assert ids["GET /v1/vehicles"] == "listVehicles"
    assert ids["POST /v1/releases/{id}/approve"] == "approveRelease"
    assert ids["GET /v1/vehicles/{vin}"] == "getVehicle"
    assert ids["POST /v1/approvals"] == "registerApproval"


@pytest.mark.parametrize("method,path,op", OPERATIONS, ids=IDS)
def test_every_operation_has_one_tag_a_summary_and_examples_that_fit(method, path, op):
    assert len(op["tags"]) == 1 and op["summary"]
    for media, content in op.get("requestBody", {}).get("content", {}).items():
        assert "example" in content, f"{method} {path}: no example of the {media} body"
        if media == "application/json":
            errors = [e.message for e in _bound(content["schema"]).iter_errors(content["example"])]
            assert not errors, (method, path, errors[:5])
    main = min(code for code in op["responses"] if code[0] == "2" or code == "303")
    for media, content in op["responses"][main].get("content", {}).items():
        if media == "application/json":
            assert "example" in content, f"{method} {path}: no example of the {main} answer"
            errors = [e.message for e in _bound(content["schema"]).iter_errors(content["example"])]
            assert not errors, (method, path, errors[:5])


@pytest.mark.parametrize("method,path,op", OPERATIONS, ids=IDS)
def test_error_lists_follow_the_declaration(method, path, op):
    codes = {code for code in op["responses"] if code[0] in "45"}
    assert ("404" in codes) >= ("{" in path), f"{method} {path}: names an object but does not answer 404"
    if "security" in op:
        assert {"401", "403"} <= codes, (method, path, codes)
    if op.get("security") == [{"bearer": []}]:  # rate-limited per caller
        assert "Retry-After" in op["responses"]["429"]["headers"], (method, path)
        main = min(code for code in op["responses"] if code[0] == "2")
        assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
            op["responses"][main]["headers"]), (method, path)
    if path.startswith("/v1/"):
        assert op.get("security") == [{"bearer": []}], (method, path)
    if "requestBody" in op:
        assert {"400", "413"} <= codes, (method, path)
    else:
        assert "413" not in codes, (method, path)
    if method == "GET":  # a read changes nothing, so it meets no state and no revision
        assert not codes & {"409", "412", "428"}, (method, path)
    if path.startswith("/v1/"):
        assert {"503", "504"} <= codes, (method, path)
    for code in codes - {"414"}:
        content = op["responses"][code]["content"]
        assert content["application/problem+json"]["schema"] == PROBLEM, (method, path, code)


@pytest.mark.parametrize("method,path,op", OPERATIONS, ids=IDS)
def test_201_and_202_point_to_what_they_made(method, path, op):
    for code in ("201", "202"):
        if code in op["responses"]:
            headers = op["responses"][code].get("headers", {})
            assert "Location" in headers, f"{method} {path}: {code} without Location"
            if code == "202":
                assert "Retry-After" in headers, f"{method} {path}: 202 without Retry-After"


@pytest.mark.parametrize("method,path,op", OPERATIONS, ids=IDS)
def test_filters_over_fixed_values_are_enumerated(method, path, op):
    for parameter in op.get("parameters", []):
        if parameter["in"] == "query" and parameter["name"] in ENUM_FILTERS:
            assert parameter["schema"].get("enum"), f"{method} {path}: ?{parameter['name']}= lists no values"


def _untyped(node, where):
    """Places in a schema where an object or a list item has no shape and no word about it."""
    if isinstance(node, dict):
        kind = node.get("type")
        is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
        if is_object and not node.get("properties") and node.get("additionalProperties") in ({}, None, True) \
                and not node.get("description") and not {"$ref", "anyOf", "allOf", "oneOf"} & set(node):
            yield where
        if node.get("items") == {}:
            yield f"{where}.items"
        for key, value in node.items():
            yield from _untyped(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _untyped(value, f"{where}[{index}]")


def test_schemas_are_typed():
    untyped = list(_untyped(DOC["components"]["schemas"], "components.schemas"))
    untyped += [place for m, p, op in OPERATIONS for place in _untyped(op, f"{m} {p}")]
    assert not untyped, untyped


@needs_ivi_schema
def test_coc_data_references_the_schema_generated_from_the_ivi_schema():
    coc_fields = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.get("properties", {}).items():
                if key == "coc":
                    coc_fields.append((where, value))
            for key, value in node.items():
                walk(value, f"{where}.{key}")

    walk(DOC["components"]["schemas"], "components.schemas")
    assert len(coc_fields) >= 8
    for where, value in coc_fields:
        refs = [value] + value.get("anyOf", [])
        assert {"$ref": "#/components/schemas/CocData"} in refs or value == {
            "$ref": "#/components/schemas/CocData"}, (where, value)
    coc = DOC["components"]["schemas"]["CocData"]
    assert coc["properties"]["MassGroup"]["$ref"] == "#/components/schemas/IviMassGroup"
    mass = DOC["components"]["schemas"]["IviMassGroup"]["properties"]["ActualMass"]
    assert mass["type"] == "integer" and mass["description"].startswith("13.2")
    colours = coc["properties"]["ColourTable"]
    assert colours["type"] == "array" and colours["items"]["$ref"].startswith("#/components/schemas/Ivi")


@needs_ivi_schema
def test_a_coc_example_is_checked_against_the_generated_schema():
    """The lint's example check can fail: a CoC with a wrong type is refused by the generated schema."""
    validator = _bound({"$ref": "#/components/schemas/CocData"})
    assert not list(validator.iter_errors({"MassGroup": {"ActualMass": 1707}}))
    assert list(validator.iter_errors({"MassGroup": {"ActualMass": "heavy"}}))
