"""Fill a stack's databases with a region's volume, directly with COPY (not through the API):

    .venv/bin/python -m bench.seed [--vehicles N] [--certificates N] [--audit N] [--entities N] [--batch N]

Defaults: 1,000,000 vehicles, 1,000,000 certificates, 10,000,000 audit entries, 20 entities, batches of 10,000.
The stack is the one the environment configures (ECOC_DB_PREFIX, ECOC_KEYS_DIR, as for every `ecoc` command);
`bench.read_latency` seeds the stack of its own. Rows are generated and copied in a streaming loop, one batch
at a time, so memory stays flat whatever the counts.

What is written, in each service's own table layout:
- vehicles: entities `SEED00`.. with VINs of their own; 95 % released (one revision, a release of up to 1,000
  items per entity, the item `released` with its pin and certificate), the rest valid, blocked or draft;
- signing: a self-signed seal per seeded entity (in the keys directory), one certificate per released vehicle,
  the extra ones as a superseded earlier version. The document is a real sealed IVI document of the demo made
  once and given each VIN, with its sha256: realistic in size, but its seal does not verify (sealing a million
  documents would take hours);
- audit: entries in the current format (domain/entries.py) for the seeded vehicles' lifecycle, chained from the
  stored head with the audit service's own code under its chain lock (so a running audit service may go on
  appending; an entry's digest does not depend on the chain, so one worker process per core digests the next
  batches while one is linked and copied), a head sealed with the stack's audit key every 1,000 entries and at each batch's end (as the service
  seals its head every minute): the service's next seal re-hashes only what came after the last, and a seeded VIN's evidence
  proof runs to the checkpoint after its entries. The append-only triggers and the writer role stay as the migrations made them: COPY inserts.
"""
import argparse
import functools
import hashlib
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import psycopg
from psycopg.types.json import Jsonb

from cli import demo_data
from common.config import settings
from services.audit.domain import chain, checkpoints
from services.audit.domain.canonical import canonical_json, sha256_hex
from services.audit.domain.entries import fields_of, with_payload
from services.audit.repository import CHAIN_LOCK, COPIED, SEALING_LOCK
from services.vehicles.domain.impact import base_number

# The service seals its head every minute (ECOC_AUDIT_CHECKPOINT_SECONDS): a region building 1,000 vehicles an hour
# appends about 170 entries a minute at its peak, so a checkpoint every 1,000 entries is on the sparse side.
CHECKPOINT_EVERY = 1000
REGION = {"vehicles": 1_000_000, "certificates": 1_000_000, "audit": 10_000_000}
ITEMS_PER_RELEASE = 1000
START = datetime(2025, 1, 6, 6, 0, tzinfo=timezone.utc)
# each vehicle's share of the log, in the order its life writes it
LIFE = (("vehicles", "vehicle_imported"), ("validation", "vehicle_validated"), ("vehicles", "vehicle_status_changed"),
        ("vehicles", "release_requested"), ("vehicles", "release_approved"), ("vehicles", "release_sign_requested"),
        ("signing", "certificate_signed"), ("vehicles", "vehicle_status_changed"), ("vehicles", "vehicle_viewed"),
        ("vehicles", "vehicle_changed"))
SIGNATORY = demo_data.SIGNATORY


def entity_code(index):
    return f"SEED{index:02d}"


def vin_of(number):
    """The seeded vehicle `number`'s VIN: a WMI of its own and 14 characters of VIN_CHARS."""
    chars, digits = demo_data.VIN_CHARS, []
    for _ in range(14):
        number, rest = divmod(number, len(chars))
        digits.append(chars[rest])
    return "SD9" + "".join(reversed(digits))


class Plan:
    """Which seeded vehicle has which entity, status, release and certificates (pure arithmetic on its number,
    so every table can be streamed on its own)."""

    def __init__(self, vehicles, certificates, entities):
        self.vehicles, self.certificates, self.entities = vehicles, certificates, entities
        self.released = vehicles * 95 // 100
        self.extra = max(0, min(certificates - self.released, self.released))  # second versions

    def entity(self, n):
        return entity_code(n % self.entities)

    def status(self, n):
        if n < self.released:
            return "released"
        return ("valid", "blocked", "draft")[n % 3]

    def release_id(self, n):
        """Released vehicles of one entity are released 1,000 at a time."""
        if n >= self.released:
            return None
        batch = n // (self.entities * ITEMS_PER_RELEASE)
        return str(uuid.uuid5(uuid.NAMESPACE_OID, f"seed-release-{n % self.entities}-{batch}"))

    def moment(self, n, step=0):
        return START + timedelta(seconds=n * 30 + step * 600)

    def reference_id(self, n, version):
        return str(uuid.uuid5(uuid.NAMESPACE_OID, f"seed-certificate-{n}-{version}"))

    def versions(self, n):
        return 2 if n < self.extra else 1


def vehicle_record(n, plan):
    rng = n * 2654435761 % 2**32
    return {"approval_number": demo_data.APPROVAL_NUMBER, "type": demo_data.VERSIONS[0]["type"],
            "variant": demo_data.VERSIONS[0]["variant"], "version": demo_data.VERSIONS[0]["version"],
            "production_date": (date(2025, 1, 6) + timedelta(days=n % 600)).isoformat(),
            "intended_country": ("B", "NL", "D", "F")[rng % 4], "entity": plan.entity(n),
            "coc": {"MassGroup": {"ActualMass": 1900 + rng % 50}, "ColourTable": [{"Colour": "158"[rng % 3]}]}}


def vehicle_rows(plan, lo, hi):
    for n in range(lo, hi):
        record, status, at = vehicle_record(n, plan), plan.status(n), plan.moment(n)
        version = plan.versions(n)
        certificate = ({"reference_id": plan.reference_id(n, version), "version_number": version}
                       if status == "released" else None)
        findings = ([{"code": "mass_out_of_range", "severity": "error", "field": "MassGroup.ActualMass",
                      "message": "actual mass outside the approved range"}] if status == "blocked" else [])
        yield (vin_of(n), record["entity"], record["approval_number"], record["type"], record["variant"],
               record["version"], record["production_date"], record["intended_country"], Jsonb(record["coc"]),
               status, 1, "seed", Jsonb(findings), plan.release_id(n), Jsonb(certificate) if certificate else None,
               at, plan.moment(n, 6 if status == "released" else 1), base_number(demo_data.APPROVAL_NUMBER))


VEHICLE_COLUMNS = ("vin", "entity", "approval_number", "type", "variant", "version", "production_date",
                   "intended_country", "coc", "status", "revision", "last_editor", "findings", "release_id",
                   "certificate", "created_at", "updated_at", "base_number")


def revision_rows(plan, lo, hi):
    for n in range(lo, hi):
        record = vehicle_record(n, plan)
        diff = [{"path": k, "old": None, "new": v} for k, v in sorted(record.items())]
        yield vin_of(n), 1, Jsonb(record), Jsonb(diff), "seed", "import", plan.moment(n)


def release_rows(plan):
    seen = set()
    for n in range(0, plan.released):
        release_id = plan.release_id(n)
        if release_id in seen:
            continue
        seen.add(release_id)
        at = plan.moment(n, 3)
        yield (release_id, plan.entity(n), "released", "seeded", "seed-steward", at, "seed-reviewer",
               plan.moment(n, 4), SIGNATORY["sub"], plan.moment(n, 5), plan.moment(n, 6))


def item_rows(plan, lo, hi):
    for n in range(lo, min(hi, plan.released)):
        record = vehicle_record(n, plan)
        content = {"vin": vin_of(n), **record}
        yield (plan.release_id(n), vin_of(n), 1, "released", plan.reference_id(n, plan.versions(n)),
               plan.versions(n), "seed-approval", demo_data.APPROVAL_NUMBER, 1, Jsonb({"core": "1"}), Jsonb(content),
               sha256_hex(canonical_json(content)))


def seal_fingerprints(plan):
    """{entity: fingerprint} of each seeded entity's seal in the stack's keys directory, made (self-signed) where
    missing, so the dashboard counts the seeded certificates of each seal as it would a real entity's."""
    from services.signing.domain.keys import FileKeyProvider, generate_self_signed, write_seal

    keys_dir = settings().keys_dir
    provider = FileKeyProvider(keys_dir)
    out = {}
    for index in range(plan.entities):
        entity = entity_code(index)
        if not provider.has(entity):
            write_seal(keys_dir, entity, *generate_self_signed(entity, f"{entity} SEEDED MOTORS"))
        out[entity] = provider.get(entity).fingerprint_sha256
    return out


def certificate_rows(plan, lo, hi, document, fingerprints):
    for n in range(lo, min(hi, plan.released)):
        vin = vin_of(n).encode("ascii")
        for version in range(1, plan.versions(n) + 1):
            current = version == plan.versions(n)
            body = document.replace(b"@@@@@@@@@@@@@@@@@", vin)
            yield (plan.reference_id(n, version), vin_of(n), version, "current" if current else "superseded",
                   plan.entity(n), plan.release_id(n) if current else None, 1, demo_data.APPROVAL_NUMBER, 1,
                   SIGNATORY["sub"], SIGNATORY["name"], fingerprints[plan.entity(n)], hashlib.sha256(body).hexdigest(),
                   body, plan.moment(n, 6 if current else 2))


def template_document():
    """A real sealed IVI document of one demo vehicle, its VIN replaced by a placeholder of the same length."""
    from common.ivi.schema import load_schema
    from common.ivi.xsd import SchemaValidator
    from services.signing.domain.issuance import issue_batch
    from services.signing.domain.keys import FileKeyProvider, generate_self_signed, write_seal
    from services.signing.domain.seal import Sealer

    s = settings()
    with tempfile.TemporaryDirectory() as keys_dir:
        write_seal(keys_dir, demo_data.ENTITY, *generate_self_signed(demo_data.ENTITY, demo_data.LEGAL_NAME))
        vehicle = dict(demo_data.vehicles(1, seed=7)[0], revision=1)
        result = issue_batch(load_schema(s.schema_path), SchemaValidator(s.schema_path),
                             Sealer(FileKeyProvider(keys_dir).get(demo_data.ENTITY)), [vehicle],
                             [demo_data.resolution(vehicle)], SIGNATORY, {vehicle["vin"]: 1})
    document = result.issued[0].document
    return document.replace(vehicle["vin"].encode("ascii"), b"@" * 17)


def audit_envelope(plan, i):
    """The event of audit entry `i`: vehicles live in groups of 1,000 whose lifecycle events interleave, so a
    VIN's entries lie close together, as they would in a working day."""
    group, rest = divmod(i, len(LIFE) * 1000)
    step, member = divmod(rest, 1000)
    n = (group * 1000 + member) % plan.vehicles
    source, event_type = LIFE[step]
    vin = vin_of(n)
    return {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"seed-event-{i}")), "event_type": event_type,
        "source": source, "occurred_at": plan.moment(n, step).isoformat(), "actor": f"seed-user-{n % 50}",
        "roles": ["data_steward"], "entity": plan.entity(n), "subject": vin, "subjects": [vin],
        "data": {"vehicles": [{"vin": vin, "revision": 1, "status": plan.status(n)}], "release_id": plan.release_id(n)},
        "trace": {},
    }


def audit_contents(plan, recorded_at, span):
    """[(content, (digest, leaf digests))] of entries `span` = (lo, hi): what an entry is before it is chained. An
    entry's digests do not depend on the entry before it, so worker processes compute these while the chain grows."""
    out = []
    for i in range(*span):
        envelope = audit_envelope(plan, i)
        content = with_payload(fields_of(envelope, recorded_at), envelope)
        out.append((content, chain.digests(content)))
    return out


def audit_rows(contents, prev):
    """The rows of `contents` chained after `prev`, each linked as `chain.link` links it."""
    rows = []
    for content, (digest, leaf_digests) in contents:
        entry = dict(content, prev_hash=prev, digest=digest, leaf_digests=leaf_digests,
                     hash=chain.link_hash(prev, digest))
        prev = entry["hash"]
        rows.append([Jsonb(entry["payload"]) if name == "payload" else entry[name] for name in COPIED])
    return rows


def copy_rows(conn, table, columns, rows):
    with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        written = 0
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


class Progress:
    def __init__(self, echo):
        self.echo, self.rates = echo, {}

    def run(self, what, total, step):
        """Call `step(lo, hi)` over batches of `total` and print rows/s; `step` returns rows written."""
        start, done = time.perf_counter(), 0
        for lo, hi in total:
            done += step(lo, hi)
            elapsed = time.perf_counter() - start
            self.echo(f"  {what}: {done:,} rows, {done / elapsed if elapsed else 0:,.0f} rows/s")
        self.rates[what] = (done, time.perf_counter() - start)


def vacuum(conn, *tables):
    """Statistics for the planner and the visibility map that index-only scans need (autovacuum would get there
    later); VACUUM changes no row."""
    conn.commit()
    conn.autocommit = True
    for name in tables:
        conn.execute(f"VACUUM (ANALYZE) {name}")
    conn.autocommit = False


def spans(count, batch):
    return [(lo, min(count, lo + batch)) for lo in range(0, count, batch)]


def conninfo(service):
    return settings().database_url(service).replace("postgresql+psycopg://", "postgresql://")


def seed(vehicles=REGION["vehicles"], certificates=REGION["certificates"], audit=REGION["audit"], entities=20,
         batch=10_000, echo=print):
    """Seed the configured stack; returns {table: (rows, seconds)}."""
    plan = Plan(vehicles, certificates, entities)
    progress = Progress(echo)
    with psycopg.connect(conninfo("vehicles"), autocommit=False) as conn:
        def step(table, columns, make):
            def run(lo, hi):
                written = copy_rows(conn, table, columns, make(lo, hi))
                conn.commit()
                return written
            return run

        progress.run("vehicles", spans(vehicles, batch), step("vehicles", VEHICLE_COLUMNS,
                                                              lambda lo, hi: vehicle_rows(plan, lo, hi)))
        progress.run("vehicle_revisions", spans(vehicles, batch), step(
            "vehicle_revisions", ("vin", "revision", "data", "diff", "actor", "reason", "created_at"),
            lambda lo, hi: revision_rows(plan, lo, hi)))
        progress.run("releases", [(0, 1)], step(
            "releases", ("id", "entity", "status", "note", "requested_by", "requested_at", "reviewed_by",
                         "reviewed_at", "signer", "sign_requested_at", "completed_at"),
            lambda lo, hi: release_rows(plan)))
        progress.run("release_items", spans(plan.released, batch), step(
            "release_items", ("release_id", "vin", "revision", "state", "reference_id", "version_number",
                              "approval_id", "approval_number", "approval_revision", "rule_packs", "content",
                              "content_sha256"), lambda lo, hi: item_rows(plan, lo, hi)))
        vacuum(conn, "vehicles", "vehicle_revisions", "releases", "release_items")
    document, fingerprints = template_document(), seal_fingerprints(plan)
    with psycopg.connect(conninfo("signing")) as conn:
        def certificates_step(lo, hi):
            written = copy_rows(conn, "certificates", (
                "reference_id", "vin", "version_number", "status", "entity", "release_id", "vehicle_revision",
                "approval_number", "approval_revision", "signer_sub", "signer_name", "seal_fingerprint", "sha256",
                "document", "signed_at"), certificate_rows(plan, lo, hi, document, fingerprints))
            conn.commit()
            return written

        progress.run(f"certificates ({len(document):,} bytes each)", spans(plan.released, batch), certificates_step)
        vacuum(conn, "certificates")
    seed_audit(plan, audit, batch, progress)
    webhooks_intake_at_head()
    return progress.rates


def webhooks_intake_at_head():
    """Move the webhooks service's intake past the seeded entries, as if it had taken them in while they were
    written (a region's log grows over years and the intake follows it): otherwise it reads the whole seeded log
    from the audit service in steps right after seeding, and every read measured meanwhile pays for that."""
    with psycopg.connect(conninfo("audit")) as conn:
        head = conn.execute("SELECT event_id::text FROM audit_entries ORDER BY seq DESC LIMIT 1").fetchone()
    if head is None:
        return
    with psycopg.connect(conninfo("webhooks")) as conn:
        conn.execute("INSERT INTO intake (id, after_event, updated_at) VALUES (1, %(head)s, now()) ON CONFLICT (id) "
                     "DO UPDATE SET after_event = %(head)s, updated_at = now()", {"head": head[0]})


def seed_audit(plan, count, batch, progress):
    """Chain `count` entries after the stored head, a batch per transaction under the audit service's chain
    lock, and seal a head every CHECKPOINT_EVERY entries and at each batch's end with the stack's audit key under
    its sealing lock, as the service seals its head every minute."""
    s = settings()
    key = checkpoints.load_or_create_key(s.audit_keys_dir, s.local_mode)
    recorded_at = datetime.now(timezone.utc).replace(microsecond=0)
    contents = functools.partial(audit_contents, plan, recorded_at)
    with multiprocessing.get_context("fork").Pool(os.cpu_count()) as pool, \
            psycopg.connect(conninfo("audit")) as conn:
        ready = pool.imap(contents, spans(count, batch))  # the next batches are digested while one is copied

        def step(lo, hi):
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (CHAIN_LOCK,))
            row = conn.execute("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1").fetchone()
            done = copy_rows(conn, "audit_entries", COPIED, audit_rows(next(ready), row[1] if row else chain.GENESIS))
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SEALING_LOCK,))
            heads = conn.execute(
                "SELECT seq, hash FROM audit_entries WHERE seq > %(after)s AND (seq %% %(every)s = 0 "
                "OR seq = (SELECT max(seq) FROM audit_entries)) ORDER BY seq",
                {"after": row[0] if row else 0, "every": CHECKPOINT_EVERY}).fetchall()
            for seq, head in heads:
                conn.execute("INSERT INTO audit_checkpoints (seq, head_hash, at, key_id, signature) "
                             "VALUES (%(seq)s, %(head_hash)s, %(at)s, %(key_id)s, %(signature)s)",
                             checkpoints.seal(key, seq, head, datetime.now(timezone.utc)))
            conn.commit()
            return done

        progress.run("audit_entries", spans(count, batch), step)
        vacuum(conn, "audit_entries")


def main(argv):
    parser = argparse.ArgumentParser(prog="bench.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--vehicles", type=int, default=REGION["vehicles"])
    parser.add_argument("--certificates", type=int, default=REGION["certificates"])
    parser.add_argument("--audit", type=int, default=REGION["audit"])
    parser.add_argument("--entities", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args(argv)
    rates = seed(args.vehicles, args.certificates, args.audit, args.entities, args.batch)
    for table, (rows, secs) in rates.items():
        print(f"{table}: {rows:,} rows in {secs:.1f} s ({rows / secs if secs else 0:,.0f} rows/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
