"""`ecoc demo`: one manufacturer's day, end to end, against the running stack (or one it starts)."""
import sys
import time
from pathlib import Path

from cli import demo_data
from cli.client import ApiError, Client
from cli.prerequisites import problems
from cli.stack import Stack, gateway_health, migrate_all
from common.config import settings


class DemoFailed(RuntimeError):
    """The demo cannot go on; the message says why in one line."""


def progress(label, done, total, failed=0, out=sys.stdout):
    """A progress bar on a terminal (a line at the end otherwise); `failed` of `done` are counted apart."""
    failures = f" ({failed} failed)" if failed else ""
    if not out.isatty():
        if done >= total:
            out.write(f"  {label:<28} {done}/{total}{failures}\n")
        return
    width = 30
    filled = int(width * done / total) if total else width
    out.write(f"\r  {label:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{failures}")
    out.flush()
    if done >= total:
        out.write("\n")


def wait_for(label, check, total, timeout=600.0, interval=0.5):
    """Poll `check()` → count done (or `(done, failed)`) until it reaches `total`; show progress."""
    def counted():
        answer = check()
        return answer if isinstance(answer, tuple) else (answer, 0)

    deadline = time.monotonic() + timeout
    done, failed = counted()
    progress(label, done, total, failed)
    while done < total:
        if time.monotonic() > deadline:
            sys.stdout.write("\n")
            raise DemoFailed(f"{label}: {done}/{total} after {timeout:.0f}s")
        time.sleep(interval)
        before, (done, failed) = done, counted()
        if done != before:
            progress(label, done, total, failed)
    return done


def running_stack(s, echo=print):
    """The running stack, or a new one started here (returned so the caller can stop it)."""
    if (gateway_health(s.gateway_url) or {}).get("status") == "ok":
        return None
    missing = problems(s)
    if missing:
        raise DemoFailed("\n".join(f"ecoc demo: {line}" for line in missing))
    echo("no running stack found: starting one (logs in var/log/) …")
    migrate_all(s, echo=lambda *_: None)
    stack = Stack(log_dir="var/log")
    stack.start(s.replicas)
    stack.wait_healthy(s.gateway_url, timeout=90)
    return stack


def run_demo(count=100, out_dir="out", keep_running=False, echo=print):
    s = settings()
    try:
        stack = running_stack(s, echo)
    except DemoFailed as exc:
        echo(str(exc))
        return 2
    nap = DemoNap(s)
    try:
        result = ReleaseSequence(count, echo, nap).run(Path(out_dir))
        result.print_summary(echo)
        return 0 if result.ok else 1
    except (DemoFailed, ApiError) as exc:
        echo(f"ecoc demo failed: {exc}")
        return 1
    finally:
        nap.stop()
        if stack is not None and not keep_running:
            echo("stopping the stack the demo started …")
            stack.stop()


class DemoNap:
    """A NAP simulator in this process (HTTPS, client certificates of its own CA in the stack's
    ECOC_DELIVERY_CREDENTIALS_DIR, trusting the stack's local seals) and the demo entity's target pointing at it;
    the target is switched off again when the demo ends, since the simulator ends with it."""

    TARGET = f"/v1/delivery-targets/{demo_data.ENTITY}/nap-simulator"

    def __init__(self, s):
        self.settings = s
        self.server = None
        self.body = None

    def start(self, admin):
        from cli.nap_sim import pki
        from cli.nap_sim.nap import Nap, TrustedSeals
        from cli.nap_sim.server import start_in_thread
        from common.ivi.xsd import SchemaValidator, schema_available

        directory = Path(self.settings.delivery_credentials_dir)
        client = pki.ensure_client(directory, demo_data.ENTITY)
        schema = self.settings.schema_path
        validator = SchemaValidator(schema) if schema and schema_available(schema) else None
        self.server, _ = start_in_thread(Nap(validator, TrustedSeals([self.settings.keys_dir])), directory)
        self.body = {"endpoint": self.server.endpoint, "client_cert": client.cert.name,
                     "client_key": client.key.name, "ca_cert": "ca.pem", "timeout_seconds": 30, "concurrency": 8}
        admin.put(self.TARGET, self.body)
        self.admin = admin
        return self.server.endpoint

    def accepted(self, vins):
        wanted = set(vins)
        return len({r["vin"] for r in self.server.nap.listing() if r["vin"] in wanted and r["status"] == "ACCEPTED"})

    def stop(self):
        if self.server is None:
            return
        try:
            self.admin.put(self.TARGET, dict(self.body, enabled=False, auto_deliver=False))
        finally:
            self.server.shutdown()
            self.server = None


class ReleaseSequence:
    """The main job through the gateway, as five people with different roles; times every phase."""

    def __init__(self, count, echo=print, nap=None):
        self.count = count
        self.echo = echo
        self.nap = nap
        self.phases = {}
        self.admin = Client("ada", ["admin"])
        self.manager = Client("alice", ["approvals_manager"], [demo_data.ENTITY])
        self.steward = Client("dana", ["data_steward"], [demo_data.ENTITY])
        self.reviewer = Client("rita", ["reviewer"], [demo_data.ENTITY])
        self.signer = Client(demo_data.SIGNATORY["sub"], ["signer"], [demo_data.ENTITY])
        self.auditor = Client("audrey", ["auditor"], ["*"])

    def timed(self, phase, fn, *args):
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.phases[phase] = time.perf_counter() - start

    def states(self, vins):
        wanted, counts, cursor = set(vins), {}, None
        while True:
            page = self.steward.get("/v1/vehicles", params={"entity": demo_data.ENTITY, "limit": 1000,
                                                            "cursor": cursor})
            for item in page["items"]:
                if item["vin"] in wanted:
                    counts[item["status"]] = counts.get(item["status"], 0) + 1
            cursor = page["next_cursor"]
            if not cursor:
                return counts

    def in_state(self, status):
        """How many of the entity's vehicles are in `status` (the dashboard's counts: one grouped query, so
        waiting for 10,000 vehicles does not page through them twice a second)."""
        board = self.steward.get("/v1/dashboard", params={"entity": demo_data.ENTITY, "blocked_limit": 1})
        return sum(e["counts"][status] for e in board["entities"] if e["entity"] == demo_data.ENTITY)

    def run(self, out_dir):
        echo, count = self.echo, self.count
        echo(f"1. legal entity {demo_data.ENTITY} ({demo_data.LEGAL_NAME}) with its seal and signatory")
        self.admin.put(f"/v1/entities/{demo_data.ENTITY}", demo_data.entity())
        if self.nap is not None:
            endpoint = self.nap.start(self.admin)
            echo(f"   NAP simulator at {endpoint} (mutual TLS): the entity's delivery target")
        echo(f"2. type approval {demo_data.APPROVAL_NUMBER}")
        if self.manager.get("/v1/approvals", params={"number": demo_data.APPROVAL_NUMBER})["items"]:
            echo("   (already registered)")
        else:
            self.manager.post("/v1/approvals", demo_data.approval())

        vehicles = demo_data.vehicles(count, seed=time.time_ns())  # new VINs on every run
        vins = [v["vin"] for v in vehicles]
        echo(f"3. import {count} vehicles")
        drafts_before = self.in_state("draft")
        imported = self.timed("import", self.steward.post, "/v1/vehicles/import", {"vehicles": vehicles})
        echo(f"   accepted {imported['accepted']}, unchanged {imported['unchanged']}, "
             f"rejected {len(imported['rejected'])}")
        judged = lambda: count - max(0, self.in_state("draft") - drafts_before)  # noqa: E731
        self.timed("validation", wait_for, "validation", judged, count)
        valid_now = set(self._vins_with_status("valid"))
        valid = [v for v in vins if v in valid_now]

        echo(f"4. release of {len(valid)} valid vehicles requested by dana (data steward)")
        release = self.timed("request", self.steward.post, "/v1/releases", {"vins": valid, "note": "ecoc demo"})
        echo(f"   release {release['id']}: {release['status']}, {len(release['rejected'])} refused")
        echo("5. approved by rita (reviewer, four-eyes)")
        self.timed("approve", self.reviewer.post, f"/v1/releases/{release['id']}/approve")
        echo(f"6. signed by {self.signer.sub} (authorised signatory)")
        start = time.perf_counter()
        self.signer.post(f"/v1/releases/{release['id']}/sign")
        wait_for("sealing", lambda: self.sealed(release["id"]), len(valid))
        self.phases["sign"] = time.perf_counter() - start
        final = self.steward.get(f"/v1/releases/{release['id']}")
        failed = [item for item in final["vehicles"] if item["state"] == "failed"]
        if len(failed) == len(valid):
            for item in failed[:20]:
                echo(f"   {item['vin']}: {item['failure']}")
            reasons = sorted({item["failure"] for item in failed})
            raise DemoFailed(f"no certificate was sealed: all {len(failed)} seals failed ({'; '.join(reasons)[:300]})")

        vin = next(item["vin"] for item in final["vehicles"] if item["state"] == "released")
        echo(f"7. certificate of {vin}: download and verify")
        document = self.steward.request("GET", f"/v1/vehicles/{vin}/certificate").content
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{vin}.xml"
        path.write_bytes(document)
        verdict = self.steward.request("POST", "/v1/certificates/verify", data=document,
                                       headers={"Content-Type": "application/xml"}).json()
        delivered = None
        if self.nap is not None:
            released = [v["vin"] for v in final["vehicles"] if v["state"] == "released"]
            echo(f"8. delivery of {len(released)} certificates to the NAP simulator")
            start = time.perf_counter()
            try:
                delivered = wait_for("delivery", lambda: self.nap.accepted(released), len(released), timeout=300)
            except TimeoutError as exc:
                echo(f"   {exc}")
                delivered = self.nap.accepted(released)
            self.phases["deliver"] = time.perf_counter() - start
        echo(f"{9 if self.nap is not None else 8}. audit chain")
        chain = self.auditor.get("/v1/audit/verify", params={"full": "true"})
        return SequenceResult(count, self.states(vins), final, path, len(document), verdict, chain,
                              self.signer.last_trace_id, dict(self.phases), delivered)

    def sealed(self, release_id):
        """(sealed or failed, failed) of a release's vehicles."""
        counts = self.steward.get(f"/v1/releases/{release_id}")["counts"]
        failed = counts.get("failed", 0)
        return counts.get("released", 0) + failed, failed

    def _vins_with_status(self, status):
        cursor = None
        while True:
            page = self.steward.get("/v1/vehicles", params={"status": status, "entity": demo_data.ENTITY,
                                                            "limit": 1000, "cursor": cursor})
            yield from (item["vin"] for item in page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return


class SequenceResult:
    def __init__(self, count, states, release, path, size, verdict, chain, trace_id, phases, delivered=None):
        self.count, self.states, self.release, self.path, self.size = count, states, release, path, size
        self.verdict, self.chain, self.trace_id, self.phases = verdict, chain, trace_id, phases
        self.delivered = delivered  # certificates the NAP simulator accepted (None: no delivery in this run)
        self.failures = [v for v in release["vehicles"] if v["state"] == "failed"]

    @property
    def ok(self):
        released = self.states.get("released", 0)
        delivered = self.delivered is None or self.delivered == self.count
        return (self.verdict["valid"] and self.chain["valid"] and not self.failures and released == self.count
                and delivered)

    def print_summary(self, echo=print):
        for f in self.failures[:20]:
            echo(f"   failed {f['vin']}: {f['failure']}")
        if len(self.failures) > 20:
            echo(f"   … and {len(self.failures) - 20} more failed")
        verdict, chain = self.verdict, self.chain
        signer = (verdict.get("signer") or {}).get("organisation")
        echo("\nsummary")
        echo(f"  vehicles by state     {', '.join(f'{k} {v}' for k, v in sorted(self.states.items()))}")
        echo(f"  release               {self.release['status']} ({self.release['counts']})")
        echo(f"  certificate           {self.path} ({self.size} bytes)")
        echo(f"  verification          {'VALID' if verdict['valid'] else 'INVALID'} — reference "
             f"{verdict['reference_id']}, VIN {verdict['vin']}, signer {signer}"
             + ("" if verdict["valid"] else f" — {verdict['errors']}"))
        if self.delivered is not None:
            echo(f"  delivery              {self.delivered}/{self.count} accepted by the NAP simulator (mutual TLS)")
        echo(f"  audit chain           {'valid' if chain['valid'] else 'BROKEN'}, {chain['entries']} entries, "
             f"head {chain['head']}")
        echo(f"  trace id (sign)       {self.trace_id or 'tracing not configured'}")
