"""docs/api.md against /openapi.json: every route the guide names exists, and every request body of its curl
examples is valid for the operation it calls (so the guide cannot drift from the contract)."""
import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from gateway.openapi import openapi_document

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
DOC = openapi_document()
CURL = re.compile(r"curl (?:-X (?P<method>[A-Z]+) )?\$E(?P<path>/[^\s?']*)(?:\?\S*)?(?: -d '(?P<body>.*?)')?"
                  r"(?: -o \S+)?$", re.S | re.M)
NAMED = re.compile(r"`(?P<method>GET|POST|PUT|PATCH|DELETE) (?P<path>/[^`?\s]*)")


def _operation(method, path):
    """The operation of the document a concrete path (`$RELEASE`, a VIN) calls, or None."""
    for template, item in DOC["paths"].items():
        pattern = "^" + re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return item[method.lower()]
    return None


def _validator(schema):
    root = dict(DOC, **{"$id": "urn:ecoc:openapi", "x-checked": schema})
    registry = Registry().with_resource("urn:ecoc:openapi", DRAFT202012.create_resource(root))
    return Draft202012Validator({"$ref": "urn:ecoc:openapi#/x-checked"}, registry=registry)


def _examples():
    text = GUIDE.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [m for block in blocks for m in CURL.finditer(block.strip())]


def test_the_guide_has_curl_examples_of_the_release_sequence():
    called = {(m["method"] or "GET", m["path"]) for m in _examples()}
    assert ("POST", "/v1/releases/$RELEASE/sign") in called and ("PUT", "/v1/entities/NORDWIND") in called
    assert len(called) >= 10


def test_every_curl_example_calls_an_operation_with_a_valid_body():
    for match in _examples():
        method = match["method"] or "GET"
        operation = _operation(method, match["path"].replace("$RELEASE", "0b7c6c1e"))
        assert operation is not None, f"{method} {match['path']} is not in /openapi.json"
        if match["body"]:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            body = json.loads(match["body"])
            errors = [e.message for e in _validator(schema).iter_errors(body)]
            assert not errors, (method, match["path"], errors)


def test_every_route_the_guide_names_exists():
    named = [(m["method"], m["path"]) for m in NAMED.finditer(GUIDE.read_text())]
    assert len(named) >= 4
    for method, path in named:
        assert _operation(method, path.replace("{vin}", "NWAJETH8571PG8B14")) is not None, (method, path)
