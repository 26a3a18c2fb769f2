"""`ecoc demo`: one manufacturer's day, end to end, against the running stack (or one it starts)."""
import sys
import time
from pathlib import Path

from cli import demo_data
from cli.client import Client
from cli.stack import Stack, gateway_health, migrate_all
from common.config import settings


def progress(label, done, total, out=sys.stdout):
    width = 30
    filled = int(width * done / total) if total else width
    out.write(f"\r  {label:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    out.flush()
    if done >= total:
        out.write("\n")


def wait_for(label, check, total, timeout=600.0, interval=0.5):
    """Poll `check()` → count done until it reaches `total`; show progress."""
    deadline = time.monotonic() + timeout
    done = check()
    progress(label, done, total)
    while done < total:
        if time.monotonic() > deadline:
            sys.stdout.write("\n")
            raise TimeoutError(f"{label}: {done}/{total} after {timeout:.0f}s")
        time.sleep(interval)
        before, done = done, check()
        if done != before:
            progress(label, done, total)
    return done


def run_demo(count=100, out_dir="out", keep_running=False, echo=print):
    s = settings()
    stack = None
    if not (gateway_health(s.gateway_url) or {}).get("status") == "ok":
        echo("no running stack found: starting one (logs in var/log/) …")
        migrate_all(s, echo=lambda *_: None)
        stack = Stack(log_dir="var/log")
        stack.start()
        stack.wait_healthy(s.gateway_url, timeout=90)
    try:
        return _sequence(s, count, Path(out_dir), echo)
    finally:
        if stack is not None and not keep_running:
            echo("stopping the stack the demo started …")
            stack.stop()


def _sequence(s, count, out_dir, echo):
    admin = Client("ada", ["admin"])
    manager = Client("alice", ["approvals_manager"], [demo_data.ENTITY])
    steward = Client("dana", ["data_steward"], [demo_data.ENTITY])
    reviewer = Client("rita", ["reviewer"], [demo_data.ENTITY])
    signer = Client(demo_data.SIGNATORY["sub"], ["signer"], [demo_data.ENTITY])
    auditor = Client("audrey", ["auditor"], ["*"])

    echo(f"1. legal entity {demo_data.ENTITY} ({demo_data.LEGAL_NAME}) with its seal and signatory")
    admin.put(f"/v1/entities/{demo_data.ENTITY}", demo_data.entity())

    echo(f"2. type approval {demo_data.APPROVAL_NUMBER}")
    found = manager.get("/v1/approvals", params={"number": demo_data.APPROVAL_NUMBER})["items"]
    if found:
        echo("   (already registered)")
    else:
        manager.post("/v1/approvals", demo_data.approval())

    vehicles = demo_data.vehicles(count, seed=time.time_ns())  # new VINs on every run
    vins = [v["vin"] for v in vehicles]
    echo(f"3. import {count} vehicles")
    result = steward.post("/v1/vehicles/import", {"vehicles": vehicles})
    echo(f"   accepted {result['accepted']}, unchanged {result['unchanged']}, rejected {len(result['rejected'])}")

    def states():
        counts = {}
        for start in range(0, len(vins), 1000):
            page = steward.get("/v1/vehicles", params={"entity": demo_data.ENTITY, "limit": 1000,
                                                       "cursor": vins[start - 1] if start else None})
            for item in page["items"]:
                if item["vin"] in set(vins[start:start + 1000]):
                    counts[item["status"]] = counts.get(item["status"], 0) + 1
        return counts

    done = lambda: sum(n for st, n in states().items() if st != "draft")  # noqa: E731
    wait_for("validation", done, count)
    releasable = [v for v in vins if steward.get(f"/v1/vehicles/{v}")["status"] == "valid"] if count <= 200 else \
        [item["vin"] for item in _all(steward, "valid")]
    echo(f"4. release of {len(releasable)} valid vehicles requested by dana (data steward)")
    release = steward.post("/v1/releases", {"vins": releasable, "note": "ecoc demo"})
    echo(f"   release {release['id']}: {release['status']}, {len(release['rejected'])} refused")
    echo("5. approved by rita (reviewer, four-eyes)")
    reviewer.post(f"/v1/releases/{release['id']}/approve")
    echo(f"6. signed by {signer.sub} (authorised signatory)")
    signer.post(f"/v1/releases/{release['id']}/sign")
    trace_id = signer.last_trace_id

    def released():
        r = steward.get(f"/v1/releases/{release['id']}")
        return sum(n for st, n in r["counts"].items() if st in ("released", "failed"))

    wait_for("sealing", released, len(releasable))
    final = steward.get(f"/v1/releases/{release['id']}")
    failures = [v for v in final["vehicles"] if v["state"] == "failed"]
    for f in failures[:5]:
        echo(f"   failed {f['vin']}: {f['failure']}")

    vin = releasable[0]
    echo(f"7. certificate of {vin}: download and verify")
    document = steward.request("GET", f"/v1/vehicles/{vin}/certificate").content
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{vin}.xml"
    path.write_bytes(document)
    verdict = steward.request("POST", "/v1/certificates/verify", data=document,
                              headers={"Content-Type": "application/xml"}).json()
    echo("8. audit chain")
    chain = auditor.get("/v1/audit/verify")
    counts = states()

    echo("\nsummary")
    echo(f"  vehicles by state     {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}")
    echo(f"  release               {final['status']} ({final['counts']})")
    echo(f"  certificate           {path} ({len(document)} bytes)")
    echo(f"  verification          {'VALID' if verdict['valid'] else 'INVALID'} — reference {verdict['reference_id']},"
         f" VIN {verdict['vin']}, signer {(verdict.get('signer') or {}).get('organisation')}"
         + ("" if verdict["valid"] else f" — {verdict['errors']}"))
    echo(f"  audit chain           {'valid' if chain['valid'] else 'BROKEN'}, {chain['entries']} entries, "
         f"head {chain['head']}")
    echo(f"  trace id (sign)       {trace_id or 'tracing not configured'}")
    ok = verdict["valid"] and chain["valid"] and counts.get("released", 0) == len(releasable) and not failures
    return 0 if ok else 1


def _all(client, status):
    cursor = None
    while True:
        page = client.get("/v1/vehicles", params={"status": status, "entity": demo_data.ENTITY, "limit": 1000,
                                                  "cursor": cursor})
        yield from page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return
