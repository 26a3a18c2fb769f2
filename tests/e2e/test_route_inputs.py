"""Property: whatever a caller sends to any declared route (gateway.http.ROUTES), the gateway never answers
with a 5xx of its own making. 503 and 504 (a service down or slow) are not caused by the caller and allowed.

Beside the schemathesis run of test_fuzz.py, which works from the published contract, this one generates from
the routes themselves and goes where a contract does not: path parameters, query strings, headers and bodies
with NUL, unpaired surrogates (also as bytes that are not UTF-8), deep nesting, huge and non-finite numbers,
wrong types, wrong or missing content types, and tokens that are missing, malformed or carry odd claims. A few
examples per route by default (seconds); ECOC_ROUTE_EXAMPLES=200 digs deeper."""
import copy
import json
import os
import re
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from marshmallow import fields

import gateway.service  # noqa: F401 - declares every route
from cli import demo_data
from common.contracts.vehicles import VehicleIn
from gateway.auth import issue_token
from gateway.http import ROUTES

pytestmark = pytest.mark.e2e

ENTITY = "PROPS"
EXAMPLES = int(os.environ.get("ECOC_ROUTE_EXAMPLES", "3"))  # generated per route, beside the explicit ones
NOT_CALLER_CAUSED = (503, 504)
CSV_HEADER = b"vin,approval_number,type,variant,version,production_date,intended_country,entity\n"

NASTY_TEXT = ["", " ", "\x00", "a\x00b", "\ud800", "x\udfff", "\ud83d", "%00", "%ED%A0%80", "../../etc/passwd",
              "' OR '1'='1", "\u202e\u0000", "\r\n", "null", "[]", "{}", "-1", "0", "1e999", "NaN", "-Infinity",
              "9" * 400, "x" * 5000, "2026-02-30", "*", ENTITY, "NORDWIND", "\ufeff", "<a/>"]
NASTY_NUMBERS = ["1e999", "-1e999", "NaN", "Infinity", "-Infinity", "1" * 5000, "1" * 4000, "-" + "9" * 30,
                 "1e-999", "0.1e400", "123456789012345678901234567890"]
CONTENT_TYPES = ["application/json", "application/json; charset=latin-1", "text/csv", "application/xml", "text/xml",
                 "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "",
                 "application/octet-stream", "*/*", "application/json; charset=\x01"]

text = st.one_of(st.sampled_from(NASTY_TEXT), st.text(st.characters(codec=None), max_size=30),
                 st.text(st.characters(categories=["Cs", "Cc", "Zs", "So"]), max_size=8))
latin1 = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=300).map(str.lstrip)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-10**40, 10**40),
                    st.floats(allow_nan=False, allow_infinity=False), text)


def json_values(keys):
    return st.recursive(scalars, lambda children: st.lists(children, max_size=4) |
                        st.dictionaries(keys, children, max_size=4), max_leaves=12)


def field_names(schema, seen=None):
    """Every field name of a marshmallow schema class, nested schemas included."""
    seen = seen if seen is not None else set()
    if schema is None or schema in seen:
        return set()
    seen.add(schema)
    names = set()
    for name, field in schema._declared_fields.items():
        names.add(field.data_key or name)
        for inner in (field, getattr(field, "inner", None), getattr(field, "value_field", None)):
            nested = getattr(inner, "nested", None) if isinstance(inner, fields.Nested) else None
            if callable(nested) and not isinstance(nested, type):
                nested = nested()
            if nested is not None:
                names |= field_names(nested if isinstance(nested, type) else type(nested), seen)
    return names


def names_in(value):
    """Every key of a JSON document."""
    if isinstance(value, list):
        return set().union(*map(names_in, value)) if value else set()
    if isinstance(value, dict):
        return set(value).union(*map(names_in, value.values()))
    return set()


# names a body of any route may hold: the routes' own fields, a vehicle row's and CoC element names
KNOWN_NAMES = sorted(set().union(*(field_names(r.body) for r in ROUTES)) | field_names(VehicleIn)
                     | names_in(demo_data.vehicles(1)) | names_in(demo_data.approval()))


WMI, APPROVAL_NUMBER = "ZZP", "e6*2018/858*09876*00"  # PROPS's own: nothing of NORDWIND's is reused


def _ours(document):
    """A demo document made PROPS's: its entity, WMI and approval number."""
    text = json.dumps(document)
    for demo, own in ((demo_data.ENTITY, ENTITY), (demo_data.LEGAL_NAME, "PROPS MOTORS"),
                      (demo_data.APPROVAL_NUMBER, APPROVAL_NUMBER)):
        text = text.replace(f'"{demo}"', f'"{own}"')
    return json.loads(text.replace(f'"{demo_data.WMI}', f'"{WMI}'))


# valid bodies of the routes that take JSON, so one changed value gets past the shape checks
VEHICLE = _ours(demo_data.vehicles(1, seed=77)[0])
TEMPLATES = {
    ("POST", "/v1/vehicles/import"): {"vehicles": [VEHICLE], "reason": "property test"},
    ("PATCH", "/v1/vehicles/{vin}"): {"coc": VEHICLE["coc"], "intended_country": "B", "reason": "property test"},
    ("POST", "/v1/approvals"): _ours(demo_data.approval()),
    ("PUT", "/v1/entities/{code}"): _ours(demo_data.entity()),
    ("POST", "/v1/releases"): {"vins": [VEHICLE["vin"]], "note": "property test"},
}


def paths_in(value, path=()):
    """The path of every value in a JSON document, containers included."""
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from paths_in(child, path + (key,))


@st.composite
def one_value_changed(draw, template, keys):
    document = copy.deepcopy(template)
    path = draw(st.sampled_from(list(paths_in(document))[1:]))
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = draw(json_values(keys))
    return document


def deep(n):
    return ("[" * n + "]" * n) if n % 2 else ('{"a":' * n + "1" + "}" * n)


def bodies(spec):
    own = sorted(field_names(spec.body))
    keys = st.one_of(*([st.sampled_from(own)] if own else []), st.sampled_from(KNOWN_NAMES), text)
    as_json = st.one_of(st.dictionaries(keys, json_values(keys), max_size=6), json_values(keys))
    template = TEMPLATES.get((spec.method, spec.path))
    if template is not None:
        as_json = one_value_changed(template, keys) | as_json
    raw = st.one_of(
        as_json.map(lambda value: json.dumps(value)),
        st.integers(1, 5000).map(deep),
        st.sampled_from(NASTY_NUMBERS).map(lambda n: '{"vehicles": [%s], "limit": %s}' % (n, n)),
        st.lists(text, min_size=1, max_size=9).map(lambda cells: CSV_HEADER.decode() + ",".join(cells) + "\n"),
        st.sampled_from(["<a>" * 300 + "</a>" * 300, '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM '
                         '"file:///etc/passwd">]><x>&e;</x>', "<IVI>\x00</IVI>", "token=\x00&x=%ff"]),
    )
    return st.one_of(st.none(), raw.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=300))


def encode(value):
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def requests_for(draw, spec, tokens):
    path = re.sub(r"\{\w+\}", lambda _: encode(draw(text)) or "x", spec.path)
    query_names = sorted(field_names(spec.query)) + ["limit", "cursor", "entity"]
    query = draw(st.dictionaries(st.sampled_from(query_names) | text, text, max_size=4))
    if query:
        path += "?" + "&".join(f"{encode(k)}={encode(v)}" for k, v in query.items())
    headers = {}
    token = draw(st.sampled_from(tokens))
    if token is not None:
        headers["Authorization"] = token
    content_type = draw(st.sampled_from(list(spec.consumes) + CONTENT_TYPES))
    if content_type:
        headers["Content-Type"] = content_type
    for name in ("Idempotency-Key", "If-Match"):
        if draw(st.booleans()):
            headers[name] = draw(latin1)
    return path, headers, draw(bodies(spec))


@pytest.fixture(scope="module")
def tokens(stack):
    """An admin of PROPS only (registered here) most of the time, else no token, a broken one or odd claims."""
    admin = stack.client("props-admin", ["admin"], [ENTITY])
    admin.put(f"/v1/entities/{ENTITY}", {"legal_name": "PROPS MOTORS", "role": "manufacturer",
                                         "address": {"line1": "1 TEST STREET", "place": "GENT", "country": "BELGIUM"}})
    s = stack.settings
    bearer = admin.session.headers["Authorization"]
    return [bearer, bearer, bearer, None, "Bearer ", "Bearer x.y.z", "Basic YTpi",
            "Bearer " + issue_token(s, "p" * 300, ["admin"], [ENTITY]),
            "Bearer " + issue_token(s, "props\x00admin", ["admin"], [ENTITY]),
            "Bearer " + issue_token(s, "props-admin", ["admin", "\ud800"], [ENTITY, "\x00"])]


def explicit(spec, tokens):
    """Requests every run makes to the route, whatever is generated: one of each input that once made a 500."""
    admin, long_sub, nul_sub, odd_claims = tokens[0], tokens[7], tokens[8], tokens[9]
    path = re.sub(r"\{\w+\}", "a%00b", spec.path) + "?limit=%ED%A0%80&cursor=%00&entity=%00"
    json_type = {"Content-Type": "application/json"}
    cases = [(path, {"Authorization": admin}, None)]
    if spec.roles is not None:
        plain = re.sub(r"\{\w+\}", "x", spec.path)
        cases += [(plain, {"Authorization": token, "Idempotency-Key": "k", **json_type}, b"{}")
                  for token in (long_sub, nul_sub, odd_claims)]
    if spec.consumes:
        plain = re.sub(r"\{\w+\}", "x", spec.path)
        cases += [(plain, {"Authorization": admin, **json_type}, deep(100_001).encode()),
                  (plain, {"Authorization": admin, **json_type}, b'{"vehicles": [1e999, NaN], "limit": -Infinity}'),
                  (plain, {"Authorization": admin, "Content-Type": "text/csv"}, CSV_HEADER + b"A\x00,B\n"),
                  (plain, {"Authorization": admin, "Content-Type": "text/csv"}, CSV_HEADER + b"x" * 200_000)]
    return cases


ORDERED = sorted(ROUTES, key=lambda r: (r.path, r.method))


@pytest.mark.parametrize("spec", ORDERED, ids=[f"{r.method} {r.path}" for r in ORDERED])
def test_no_input_makes_the_gateway_fail(stack, tokens, spec):
    def run(request):
        path, headers, body = request
        response = requests.request(spec.method, stack.base_url + path, headers=headers, data=body, timeout=60,
                                    allow_redirects=False)
        assert response.status_code < 500 or response.status_code in NOT_CALLER_CAUSED, (
            f"{spec.method} {path} {headers} {body[:300] if body else body!r}: "
            f"{response.status_code} {response.text[:300]}")

    for case in explicit(spec, tokens):
        run = example(request=case)(run)
    run = given(request=requests_for(spec, tokens))(run)
    settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
             suppress_health_check=list(HealthCheck))(run)()
