"""What the processes log, as a log collector reads it: one JSON object a line; the gateway's access line of
each request carries its trace id and caller; a caller's mistake is logged without a traceback."""
import json

import pytest

pytestmark = pytest.mark.e2e


def lines(stack, process):
    """The process's complete log lines so far (a line being written has no newline yet)."""
    text = (stack.log_dir / f"{process}.log").read_text()
    return [json.loads(line) for line in text[: text.rfind("\n")].split("\n") if line.startswith("{")]


def test_access_lines_carry_trace_and_caller_and_a_4xx_has_no_traceback(stack, wait):
    viewer = stack.client("vera-logs", ["viewer"], ["LOGCO"])
    missing = viewer.request("GET", "/v1/vehicles/WAUZZZ00000000000", expect=(404,))
    trace_id = missing.headers["X-Trace-Id"]

    def access_line():
        return next((line for line in lines(stack, "gateway") if line["logger"] == "gateway.access"
                     and line["trace_id"] == trace_id), None)

    access = wait(access_line, 20, what="the access line of the request")
    assert access["sub"] == "vera-logs" and access["service"] == "gateway"
    assert access["message"].startswith("GET /v1/vehicles/WAUZZZ00000000000 404 ")
    refused = [line for process in ("gateway", "vehicles") for line in lines(stack, process)
               if line["trace_id"] == trace_id and line["level"] in ("WARNING", "ERROR")]
    assert refused and all("exception" not in line for line in refused), refused
    assert {line["sub"] for line in refused} == {"vera-logs"}
