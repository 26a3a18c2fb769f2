"""The `ecoc` command."""
import argparse
import os
import sys

import common  # noqa: F401 - first: quiets eventlet's import-time deprecation notice
from common.config import PROCESSES


def cmd_up(args):
    from cli.stack import up

    return up()


def cmd_run(args):
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")
    os.execv(sys.executable, [sys.executable, "-m", "cli.run_service", args.name])


def cmd_migrate(args):
    from cli.stack import migrate_when_reachable

    migrate_when_reachable(wait=args.wait)
    return 0


def cmd_token(args):
    from common.config import settings
    from gateway.auth import issue_token

    print(issue_token(settings(), args.sub, _split(args.roles), _split(args.entities), args.ttl,
                      groups=_split(args.groups) if args.groups else ()))
    return 0


def cmd_keys_generate(args):
    from common.config import settings
    from services.signing.domain.keys import generate_self_signed, write_seal

    keys_dir = args.keys_dir or settings().keys_dir
    key_pem, cert_pem = generate_self_signed(args.entity, args.organisation or args.entity, country=args.country)
    try:
        key_path, cert_path = write_seal(keys_dir, args.entity, key_pem, cert_pem, overwrite=args.force)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"seal key   {key_path}\nseal cert  {cert_path}\n(self-signed RSA-3072, for local use only)")
    return 0


def cmd_demo(args):
    from cli.demo import run_demo

    return run_demo(count=args.vehicles, out_dir=args.out, keep_running=args.keep)


def cmd_probe(args):
    from cli.probe import probe

    return probe(args.name)


def cmd_verify(args):
    from cli.verify import verify_file

    return verify_file(args.file, args.cert)


def cmd_evidence_verify(args):
    from cli.evidence import verify_evidence

    return verify_evidence(args.pack, args.key)


def cmd_dead_letters(args):
    from cli.dead_letters import run
    from common.config import settings

    return run(args, settings().amqp_uri)


def cmd_audit_verify(args):
    from cli.audit_verify import run

    return run(args.database_url, args.audit_public_key)


def cmd_backup(args):
    from cli import backup

    if args.directory == "verify" and args.target:
        return backup.run_verify(args.target)
    if args.target:
        print(f"error: unexpected argument {args.target!r} (ecoc backup DIR, or ecoc backup verify DIR)",
              file=sys.stderr)
        return 2
    return backup.run_backup(args.directory, args.audit_public_key)


def cmd_restore(args):
    from cli.restore import run_restore

    return run_restore(args.directory, args.prefix, replace=args.replace, check_keys=args.check_keys,
                       audit_public_key=args.audit_public_key)


def cmd_archive(args):
    from cli import archive

    if args.archive_command == "export":
        return archive.run_export(args.directory, args.since, args.audit_public_key)
    return archive.run_verify(args.directory)


def cmd_import(args):
    from cli import integrate

    return integrate.run(lambda gateway: integrate.import_file(
        gateway, args.file, csv=args.csv, reason=args.reason, replace=args.replace), args)


def cmd_release(args):
    from cli import integrate

    if args.release_command == "request":
        vins = list(args.vins)
        if args.file:
            try:
                vins += [line.strip() for line in open(args.file, encoding="utf-8") if line.strip()]
            except OSError as exc:
                print(f"ecoc release: {args.file}: {exc.strerror}", file=sys.stderr)
                return integrate.EXIT_USAGE
        if not vins:
            print("ecoc release: no VINs (give them as arguments or with --file)", file=sys.stderr)
            return integrate.EXIT_USAGE
        action = lambda gateway: integrate.release_request(gateway, vins, args.note)  # noqa: E731
    elif args.release_command == "approve":
        action = lambda gateway: integrate.release_approve(gateway, args.id)  # noqa: E731
    elif args.release_command == "sign":
        action = lambda gateway: integrate.release_sign(gateway, args.id, wait=not args.no_wait)  # noqa: E731
    else:
        action = lambda gateway: integrate.release_status(gateway, args.id)  # noqa: E731
    return integrate.run(action, args)


def cmd_events(args):
    from cli import integrate

    return integrate.run(lambda gateway: integrate.follow_events(
        gateway, after=args.after, types=args.types, cursor_file=args.cursor_file, once=args.once,
        poll=args.poll), args)


def _gateway_options(parser):
    parser.add_argument("--url", help="the gateway (default: ECOC_GATEWAY_URL, else http://127.0.0.1:8000)")
    parser.add_argument("--token", help="bearer token (default: ECOC_TOKEN)")


def _version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ecoc")
    except PackageNotFoundError:
        return "unknown (not installed)"


def cmd_nap_sim(args):
    from cli.nap_sim.server import serve
    from common.config import settings

    if args.trust is None:
        args.trust = [settings().keys_dir]
    return serve(args)


def _split(text):
    return [part.strip() for part in text.split(",") if part.strip()]


def build_parser():
    from cli.integrate import EXIT_CODES

    parser = argparse.ArgumentParser(prog="ecoc", description="EU eCoC (IVI 2.0) production: run, demo, tools.",
                                     epilog="exit codes of import and release:\n" + EXIT_CODES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ecoc {_version()}", help="print the version")
    sub = parser.add_subparsers(dest="command", required=True)
    importing = sub.add_parser("import", help="import vehicles from a JSON or CSV file through the gateway")
    importing.add_argument("file", help="JSON (a list, or {\"vehicles\": [...]}) or CSV with a header row")
    importing.add_argument("--csv", action="store_true", help="the file is CSV (default: by its .csv suffix)")
    importing.add_argument("--reason", help="why, kept in each vehicle's history")
    importing.add_argument("--replace", action="store_true",
                           help="overwrite vehicles changed by PATCH or a correction since their import")
    _gateway_options(importing)
    importing.set_defaults(func=cmd_import)
    release = sub.add_parser("release", help="request, approve, sign a release, or show its state")
    release_sub = release.add_subparsers(dest="release_command", required=True)
    requesting = release_sub.add_parser("request", help="request a release of valid vehicles")
    requesting.add_argument("vins", nargs="*", help="the VINs")
    requesting.add_argument("--file", help="a file of VINs, one a line")
    requesting.add_argument("--note", help="a note for the reviewers")
    _gateway_options(requesting)
    for name, text in (("approve", "approve a release (four-eyes: not one you requested)"),
                       ("sign", "sign an approved release and wait until it is sealed"),
                       ("status", "a release's state, counts and failures")):
        command = release_sub.add_parser(name, help=text)
        command.add_argument("id", help="the release id")
        if name == "sign":
            command.add_argument("--no-wait", action="store_true", help="start signing and return at once")
        _gateway_options(command)
    release.set_defaults(func=cmd_release)
    events = sub.add_parser("events", help="the change feed of your entities")
    events_sub = events.add_subparsers(dest="events_command", required=True)
    follow = events_sub.add_parser("follow", help="print events as JSON lines, and keep reading (Ctrl-C stops)")
    follow.add_argument("--after", help="start after this cursor or event id (default: the cursor file's, or the "
                                        "first event)")
    follow.add_argument("--types", help="comma-separated event types (default: all)")
    follow.add_argument("--cursor-file", help="keep the cursor here after each page, and start from it")
    follow.add_argument("--once", action="store_true", help="stop when nothing more is ready")
    follow.add_argument("--poll", type=float, default=2.0, help="seconds between reads when nothing is new")
    _gateway_options(follow)
    events.set_defaults(func=cmd_events)
    sub.add_parser("up", help="migrate and run every service and the gateway until Ctrl-C").set_defaults(func=cmd_up)
    run = sub.add_parser("run", help="run one service in the foreground (containers)")
    run.add_argument("name", choices=PROCESSES, help="the service to run")
    run.set_defaults(func=cmd_run)
    migrate = sub.add_parser("migrate", help="create the databases if missing, migrate them and declare the broker "
                                             "topology (waiting for PostgreSQL and RabbitMQ to be reachable)")
    migrate.add_argument("--wait", type=float, default=120.0, metavar="SECONDS",
                         help="how long to keep trying while PostgreSQL or RabbitMQ cannot be reached (default 120)")
    migrate.set_defaults(func=cmd_migrate)
    token = sub.add_parser("token", help="print an HS256 token for local use")
    token.add_argument("--sub", required=True, help="the caller the token names")
    token.add_argument("--roles", required=True, help="comma-separated roles")
    token.add_argument("--entities", default="*", help="comma-separated entity codes, or *")
    token.add_argument("--ttl", type=int, default=3600, help="seconds")
    token.add_argument("--groups", default="", help="comma-separated groups (teams may name them)")
    token.set_defaults(func=cmd_token)
    keys = sub.add_parser("keys", help="seal keys").add_subparsers(dest="keys_command", required=True)
    gen = keys.add_parser("generate", help="create a self-signed RSA-3072 seal for an entity")
    gen.add_argument("--entity", required=True, help="the legal-entity code the seal belongs to")
    gen.add_argument("--organisation", help="the certificate's O: the entity's legal name")
    gen.add_argument("--country", default="BE", help="the certificate's C (default BE)")
    gen.add_argument("--keys-dir", help="where the seal is written (default: ECOC_KEYS_DIR)")
    gen.add_argument("--force", action="store_true", help="replace an existing seal")
    gen.set_defaults(func=cmd_keys_generate)
    demo = sub.add_parser("demo", help="drive the whole release sequence against the stack (starting it if needed)")
    demo.add_argument("--vehicles", type=int, default=100, help="how many vehicles to import and release")
    demo.add_argument("--out", default="out", help="where the downloaded certificate is written (default out/)")
    demo.add_argument("--keep", action="store_true", help="leave a stack the demo started running")
    demo.set_defaults(func=cmd_demo)
    probe = sub.add_parser("probe", help="exit 0 when a service answers its health check")
    probe.add_argument("name", choices=PROCESSES, help="the service to ask")
    probe.set_defaults(func=cmd_probe)
    verify = sub.add_parser("verify", help="verify a sealed eCoC file")
    verify.add_argument("file", help="the sealed eCoC (IVI 2.0 XML)")
    verify.add_argument("--cert", help="PEM of the trusted seal certificate (default: the local seals)")
    verify.set_defaults(func=cmd_verify)
    evidence = sub.add_parser("evidence", help="evidence packs").add_subparsers(dest="evidence_command", required=True)
    check = evidence.add_parser("verify", help="check a vehicle's evidence pack offline and say what it proves")
    check.add_argument("pack", help="the zip from GET /v1/vehicles/{vin}/evidence")
    check.add_argument("--key", help="PEM of the operator's audit public key (default: the key in the pack)")
    check.set_defaults(func=cmd_evidence_verify)
    audit = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_command", required=True)
    audit_check = audit.add_parser("verify", help="re-hash the whole audit chain from the audit database and check "
                                                  "every checkpoint's seal (exit 1 at the first fault)")
    audit_check.add_argument("--database-url", help="the audit database (default: the configured one)")
    audit_check.add_argument("--audit-public-key", metavar="PEM",
                             help="the audit public key (default: derived from the key in ECOC_AUDIT_KEYS_DIR)")
    audit_check.set_defaults(func=cmd_audit_verify)
    dead = sub.add_parser("dead-letters", help="events no consumer could handle: list, show, redrive")
    dead_sub = dead.add_subparsers(dest="dead_command", required=True)
    listing = dead_sub.add_parser("list", help="dead letters waiting, per dead-letter queue")
    listing.add_argument("--all", action="store_true", help="also the empty queues")
    show = dead_sub.add_parser("show", help="the dead letters of a queue with the reason of each (left in place)")
    show.add_argument("queue", help="the dead-letter queue, as `list` names it")
    show.add_argument("--limit", type=int, default=100, help="show at most this many (default 100)")
    again = dead_sub.add_parser("redrive", help="hand a queue's dead letters back to their consumer")
    again.add_argument("queue", help="the dead-letter queue, as `list` names it")
    again.add_argument("--event-id", action="append", help="only this event (repeatable); default: all")
    dead.set_defaults(func=cmd_dead_letters)
    backup = sub.add_parser("backup", help="dump every database with a manifest of SHA-256s and key references "
                                           "(ecoc backup DIR), or check one (ecoc backup verify DIR)")
    backup.add_argument("directory", help="a new directory for the backup, or `verify`")
    backup.add_argument("target", nargs="?", help="with `verify`: the backup directory to check")
    backup.add_argument("--audit-public-key", metavar="PEM",
                        help="the audit public key to record (default: derived from the key in ECOC_AUDIT_KEYS_DIR)")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup into new databases and verify its audit chain")
    restore.add_argument("directory", help="the backup directory `ecoc backup` wrote")
    restore.add_argument("--prefix", required=True, help="database prefix of the restored databases")
    restore.add_argument("--replace", action="store_true", help="drop databases of that prefix that exist")
    restore.add_argument("--check-keys", action="store_true",
                         help="fail (not only warn) when the referenced seal or audit keys are not here")
    restore.add_argument("--audit-public-key", metavar="PEM",
                         help="verify the checkpoints with this key (default: the one the manifest names)")
    restore.set_defaults(func=cmd_restore)
    archive = sub.add_parser("archive", help="the ten-year archive of sealed certificates and checkpoints")
    archive_sub = archive.add_subparsers(dest="archive_command", required=True)
    export = archive_sub.add_parser("export", help="add what was sealed to a write-once archive directory")
    export.add_argument("directory", help="the archive directory (created on first use)")
    export.add_argument("--since", metavar="ISO", help="only what was sealed from this time on")
    export.add_argument("--audit-public-key", metavar="PEM",
                        help="the audit public key (default: derived from the key in ECOC_AUDIT_KEYS_DIR)")
    check_archive = archive_sub.add_parser("verify", help="check an archive offline")
    check_archive.add_argument("directory", help="the archive directory")
    archive.set_defaults(func=cmd_archive)
    nap_sim = sub.add_parser("nap-sim", help="a National Access Point simulator: HTTPS with client certificates, "
                                             "the soap11-embedded profile, its WSDL at ?wsdl, GET /received")
    from cli.nap_sim.options import add_arguments

    add_arguments(nap_sim, {"dir": os.path.join("var", "nap-sim"), "schema": _schema_default()})
    nap_sim.set_defaults(func=cmd_nap_sim)
    return parser


def _schema_default():
    from common.config import settings

    return settings().schema_path


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
