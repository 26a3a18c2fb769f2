"""Finding 9 of issue 13: input the gateway could not take answered 500, and a body of any size was read.

Each test sends one of the inputs of the finding to the running stack and expects a clear 4xx problem naming
what was wrong; none may be a 500, and a body over the limit must be refused without being read."""
import json
import select
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from gateway.auth import issue_token

pytestmark = pytest.mark.e2e

ENTITY = "LIMITS"
HEADER = "vin,approval_number,type,variant,version,production_date,intended_country,entity"


@pytest.fixture(scope="module")
def steward(stack):
    """A data steward of LIMITS, an entity of this module only."""
    stack.client("limits-admin", ["admin"], [ENTITY]).put(f"/v1/entities/{ENTITY}", {
        "legal_name": "LIMITS MOTORS", "role": "manufacturer",
        "address": {"line1": "9 LIMIT ROAD", "place": "GENT", "country": "BELGIUM"}})
    return stack.client("limits-steward", ["data_steward"], [ENTITY])


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_finding_09_json_nested_100000_deep_is_422_naming_the_body(steward):
    depth = 100_000
    body = '{"vehicles": [' + "[" * depth + "]" * depth + "]}"
    response = steward.request("POST", "/v1/vehicles/import", data=body,
                               headers={"Content-Type": "application/json"}, expect=None)
    found = problem(response, 422)
    assert [e["field"] for e in found["errors"]] == ["_body"]
    assert "nested deeper than" in found["errors"][0]["message"]


def test_finding_09_a_nul_byte_in_a_csv_cell_is_422_naming_row_and_column(steward):
    text = (f"{HEADER}\n"
            f"LIMITS0000000001A,e1*2018/858*00001*00,T1,V1,V1-A,2026-11-02,B,{ENTITY}\n"
            f"LIMITS0000000002A,e1*2018/858*00001*00,T1,V\x001,V1-A,2026-11-02,B,{ENTITY}\n")
    response = steward.request("POST", "/v1/vehicles/import", data=text.encode("utf-8"),
                               headers={"Content-Type": "text/csv"}, expect=None)
    found = problem(response, 422)
    assert found["errors"] == [{"field": "variant",
                                "message": "row 3: must be text without NUL or unpaired surrogates"}]


def test_finding_09_a_token_sub_over_200_characters_with_an_idempotency_key_is_401_naming_sub(stack, steward):
    token = issue_token(stack.settings, "s" * 201, ["data_steward"], [ENTITY])
    response = requests.post(stack.url("/v1/vehicles/import"), json={"vehicles": [{"vin": "X"}]}, timeout=60,
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "limits-1"})
    found = problem(response, 401)
    assert "`sub`" in found["detail"]


def test_finding_09_a_body_over_the_limit_is_refused_from_its_content_length_without_being_read(stack, steward):
    declared = stack.settings.max_body_bytes + 1
    head = (f"POST /v1/vehicles/import HTTP/1.1\r\nHost: gateway\r\n"
            f"Authorization: {steward.session.headers['Authorization']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n")
    started = time.monotonic()
    status, headers, body = _exchange(stack, head.encode("ascii"), [])
    assert time.monotonic() - started < 10  # answered at once: the gateway did not wait for the body
    assert status == 413
    assert headers["content-type"].startswith("application/problem+json")
    assert headers["connection"] == "close"  # the unread body is not taken as the next request
    found = json.loads(body)
    assert found["errors"][0]["field"] == "_body"
    assert f"{stack.settings.max_body_bytes:,}" in found["detail"]


def test_finding_09_a_chunked_body_is_cut_off_at_the_limit(stack, steward):
    head = (f"POST /v1/vehicles/import HTTP/1.1\r\nHost: gateway\r\n"
            f"Authorization: {steward.session.headers['Authorization']}\r\n"
            f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece, limit = 1 << 16, stack.settings.max_body_bytes
    # exactly one byte over the limit, and no end: nothing the gateway leaves unread is still on its way
    last = limit % piece + 1
    chunks = [b"%x\r\n%s\r\n" % (piece, b" " * piece)] * (limit // piece) + [b"%x\r\n%s\r\n" % (last, b" " * last)]
    status, headers, body = _exchange(stack, head.encode("ascii"), chunks)
    assert status == 413, body
    assert headers["content-type"].startswith("application/problem+json")
    assert json.loads(body)["errors"][0]["field"] == "_body"

    small = b'{"vehicles": []}'
    status, _, body = _exchange(stack, head.encode("ascii"), [b"%x\r\n%s\r\n0\r\n\r\n" % (len(small), small)])
    # read, not taken as empty
    assert status == 422 and [e["field"] for e in json.loads(body)["errors"]] == ["vehicles"]


def test_finding_09_a_body_cut_short_by_its_client_is_a_4xx_and_the_gateway_keeps_serving(stack, steward):
    head = (f"POST /v1/vehicles/import HTTP/1.1\r\nHost: gateway\r\n"
            f"Authorization: {steward.session.headers['Authorization']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    status, _, body = _exchange(stack, head.encode("ascii"), [b'{"vehicles": ['], end_of_body=True)
    assert status == 400, body
    assert requests.get(stack.url("/health"), timeout=30).status_code == 200
    assert steward.get("/v1/vehicles", params={"entity": ENTITY})["items"] == []


def _exchange(stack, head, chunks, end_of_body=False):
    """(status, headers, body) of one raw HTTP request: `head`, then `chunks` until the gateway answers (then
    the end of what the client sends, when `end_of_body`)."""
    url = urlsplit(stack.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head)
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break  # answered before the whole body was sent
            sock.sendall(chunk)
        if end_of_body:
            sock.shutdown(socket.SHUT_WR)  # the client sends no more, whatever its Content-Length said
        received = b""
        while b"\r\n\r\n" not in received or len(received) < _length(received):
            data = sock.recv(65536)
            if not data:
                break
            received += data
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _length(received):
    head, _, _ = received.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(head) + 4 + int(line.split(b":")[1])
    return len(received) + 1  # no length yet: read until the gateway closes
