"""Commands for integrators against a running gateway: `ecoc import`, `ecoc release request|approve|sign|status`,
`ecoc events follow`.

They act with the bearer token in `--token` or `ECOC_TOKEN` (an OIDC token in production; `ecoc token` prints a
local one) against `--url` or `ECOC_GATEWAY_URL`. Exit codes (also in `ecoc --help`):

  0  done, everything accepted
  1  done, but some rows were rejected or some vehicles failed to seal
  2  the command could not start: a missing or unreadable file, a bad argument, no token
  3  the gateway refused the request (4xx: the problem it answered is printed)
  4  the gateway could not be reached or failed (5xx)
"""
import json
import os
import sys
import time
from pathlib import Path

import requests

from common.contracts.vehicles import MAX_IMPORT

EXIT_OK, EXIT_PARTLY, EXIT_USAGE, EXIT_REFUSED, EXIT_UNAVAILABLE = 0, 1, 2, 3, 4
EXIT_CODES = __doc__[__doc__.index("  0 "):].rstrip()


class CommandError(Exception):
    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


class Gateway:
    def __init__(self, url, token):
        if not token:
            raise CommandError("no token: pass --token or set ECOC_TOKEN (`ecoc token --sub … --roles …` prints a "
                               "local one)", EXIT_USAGE)
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method, path, **kwargs):
        try:
            response = self.session.request(method, self.url + path, timeout=120, **kwargs)
        except requests.RequestException as exc:
            raise CommandError(f"the gateway at {self.url} cannot be reached: {type(exc).__name__}",
                               EXIT_UNAVAILABLE) from None
        if response.status_code >= 400:
            raise CommandError(_problem_text(response), EXIT_REFUSED if response.status_code < 500
                               else EXIT_UNAVAILABLE)
        return response


def _problem_text(response):
    try:
        problem = response.json()
        fields = "; ".join(f"{e['field']}: {e['message']}" for e in problem.get("errors", []))
        return f"{response.status_code} {problem.get('title')}: {problem.get('detail')}" + (f" ({fields})" if fields
                                                                                            else "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"{response.status_code}: {response.text[:300]}"


def _read(path):
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file", EXIT_USAGE) from None
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read ({exc.strerror})", EXIT_USAGE) from None


def _progress(done, total, out=sys.stderr):
    """A progress line only on a terminal: scripts and logs get the summary alone."""
    if out.isatty():
        out.write(f"\r  imported {done}/{total}")
        out.flush()
        if done >= total:
            out.write("\n")


def import_file(gateway, path, csv=False, reason=None, replace=False, echo=print):
    """Import vehicles from a JSON file (`{"vehicles": [...]}` or a list) or a CSV file, in requests of at most
    10,000 rows; prints accepted, unchanged and every rejected row."""
    data = _read(path)
    if csv or str(path).lower().endswith(".csv"):
        params = {k: v for k, v in (("reason", reason), ("replace", "true" if replace else None)) if v}
        answer = gateway.call("POST", "/v1/vehicles/import", data=data, params=params,
                              headers={"Content-Type": "text/csv"}).json()
        totals = {"accepted": answer["accepted"], "unchanged": answer["unchanged"], "rejected": answer["rejected"]}
    else:
        try:
            parsed = json.loads(data)
        except ValueError as exc:
            raise CommandError(f"{path}: not JSON ({exc})", EXIT_USAGE) from None
        rows = parsed.get("vehicles") if isinstance(parsed, dict) else parsed
        if not isinstance(rows, list) or not rows:
            raise CommandError(f"{path}: no vehicles (a list, or an object with `vehicles`)", EXIT_USAGE)
        totals = {"accepted": 0, "unchanged": 0, "rejected": []}
        for start in range(0, len(rows), MAX_IMPORT):
            body = {"vehicles": rows[start:start + MAX_IMPORT], "replace": replace}
            if reason:
                body["reason"] = reason
            answer = gateway.call("POST", "/v1/vehicles/import", json=body).json()
            totals["accepted"] += answer["accepted"]
            totals["unchanged"] += answer["unchanged"]
            totals["rejected"] += [dict(r, index=r["index"] + start) for r in answer["rejected"]]
            _progress(min(start + MAX_IMPORT, len(rows)), len(rows))
    echo(f"accepted {totals['accepted']}, unchanged {totals['unchanged']}, rejected {len(totals['rejected'])}")
    for row in totals["rejected"]:
        where = f"line {row['row']}" if "row" in row else f"row {row['index']}"
        errors = "; ".join(f"{e['field']}: {e['message']}" for e in row["errors"])
        echo(f"  {where} {row.get('vin') or '-'}{' (conflict)' if row.get('conflict') else ''}: {errors}")
    return EXIT_PARTLY if totals["rejected"] else EXIT_OK


def release_request(gateway, vins, note=None, echo=print):
    answer = gateway.call("POST", "/v1/releases", json={"vins": vins, "note": note}).json()
    echo(f"release {answer['id']}: {answer['status']}")
    for refused in answer["rejected"]:
        echo(f"  refused {refused['vin']}: {refused['reason']}")
    return EXIT_PARTLY if answer["rejected"] else EXIT_OK


def release_approve(gateway, release_id, echo=print):
    answer = gateway.call("POST", f"/v1/releases/{release_id}/approve").json()
    echo(f"release {release_id}: {answer['status']}")
    return EXIT_OK


def release_sign(gateway, release_id, wait=True, timeout=3600.0, echo=print, sleep=time.sleep):
    """Start signing; with `wait`, follow the release (as its `Retry-After` says) until it is done."""
    response = gateway.call("POST", f"/v1/releases/{release_id}/sign")
    echo(f"release {release_id}: {response.json()['status']}")
    if not wait:
        return EXIT_OK
    pause, deadline = int(response.headers.get("Retry-After", "2")), time.monotonic() + timeout
    while True:
        release = gateway.call("GET", response.headers.get("Location", f"/v1/releases/{release_id}")).json()
        if release["status"] not in ("signing", "approved"):
            return release_report(release, echo)
        if time.monotonic() > deadline:
            raise CommandError(f"release {release_id} is still {release['status']} after {timeout:.0f} s",
                               EXIT_UNAVAILABLE)
        sleep(pause)


def release_status(gateway, release_id, echo=print):
    return release_report(gateway.call("GET", f"/v1/releases/{release_id}").json(), echo)


def release_report(release, echo=print):
    counts = ", ".join(f"{state} {n}" for state, n in sorted(release["counts"].items()))
    echo(f"release {release['id']}: {release['status']} ({counts})")
    failed = [item for item in release.get("vehicles", []) if item["state"] == "failed"]
    for item in failed:
        echo(f"  failed {item['vin']}: {item['failure']}")
    return EXIT_PARTLY if failed or release["status"] == "completed_with_failures" else EXIT_OK


def follow_events(gateway, after=None, types=None, cursor_file=None, once=False, poll=2.0, echo=print,
                  sleep=time.sleep):
    """Print the change feed (`GET /v1/events`) as one JSON object a line, from `after`, or from the cursor kept in
    `cursor_file` (written after each page is printed, so a follower restarted after any stop misses nothing and
    prints nothing twice); with `once`, stop when nothing more is ready, else wait `poll` seconds and read on."""
    cursor_path = Path(cursor_file) if cursor_file else None
    if after is None and cursor_path is not None and cursor_path.is_file():
        after = cursor_path.read_text().strip() or None
    try:
        while True:
            params = {"limit": 1000, **({"after": after} if after else {}), **({"types": types} if types else {})}
            page = gateway.call("GET", "/v1/events", params=params).json()
            for event in page["events"]:
                echo(json.dumps(event, sort_keys=True))
            if page["next_cursor"] and page["next_cursor"] != after:
                after = page["next_cursor"]
                if cursor_path is not None:
                    partial = cursor_path.with_name(cursor_path.name + ".new")
                    partial.write_text(after)
                    partial.replace(cursor_path)  # whole or not at all, even if the follower is killed
            if page["has_more"]:
                continue
            if once:
                return EXIT_OK
            sleep(poll)
    except KeyboardInterrupt:
        return EXIT_OK


def gateway_from(args):
    from common.config import settings

    return Gateway(args.url or settings().gateway_url, args.token or os.environ.get("ECOC_TOKEN"))


def run(action, args):
    """Run `action(gateway)`; a CommandError is one line on stderr and its exit code, never a traceback."""
    try:
        return action(gateway_from(args))
    except CommandError as exc:
        print(f"ecoc {args.command}: {exc}", file=sys.stderr)
        return exc.code
