"""The gateway's reading limits: body size (chunked bodies included) and JSON depth and numbers."""
import io

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.http import json_body
from gateway.limits import MAX_JSON_DEPTH, BodyCap, json_depth
from gateway.problems import HttpProblem


def request_with(body, limit=100, content_type="application/json"):
    """A request whose body is read as the gateway's server hands it over (terminated, capped)."""
    environ = EnvironBuilder(method="POST", path="/", data=body, content_type=content_type).get_environ()
    closed = []
    environ["wsgi.input_terminated"] = True
    environ["wsgi.input"] = BodyCap(io.BytesIO(body), limit, lambda: closed.append(True))
    return Request(environ), closed


def test_a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_413_closing_the_connection():
    request, closed = request_with(b"[" + b" " * 98 + b"]")
    assert request.get_data() == b"[" + b" " * 98 + b"]" and not closed
    request, closed = request_with(b" " * 101)
    with pytest.raises(HttpProblem) as caught:
        request.get_data()
    assert caught.value.status == 413 and caught.value.errors[0]["field"] == "_body" and closed


def test_json_depth_counts_lists_and_objects():
    assert [json_depth(v) for v in (1, [], {"a": 1}, [[{"a": [1]}]], [[], [[]]])] == [0, 1, 1, 4, 3]


@pytest.mark.parametrize("depth,status", [(MAX_JSON_DEPTH, None), (MAX_JSON_DEPTH + 1, 422), (100_000, 422)])
def test_json_nested_deeper_than_the_limit_is_422_naming_the_body(depth, status):
    body = ("[" * depth + "]" * depth).encode()
    request, _ = request_with(body, limit=len(body))
    if status is None:
        assert json_depth(json_body(request)) == depth
        return
    with pytest.raises(HttpProblem) as caught:
        json_body(request)
    assert caught.value.status == 422 and caught.value.errors == [
        {"field": "_body", "message": f"nested deeper than {MAX_JSON_DEPTH} levels"}]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_numbers_json_has_no_value_for_are_400(number):
    request, _ = request_with(f'{{"limit": {number}}}'.encode())
    with pytest.raises(HttpProblem) as caught:
        json_body(request)
    assert caught.value.status == 400 and caught.value.errors[0]["field"] == "_body"
