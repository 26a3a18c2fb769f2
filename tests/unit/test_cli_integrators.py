"""The integrators' side of `ecoc`: help text on every option, the version, one-line errors with the documented
exit codes, and the prerequisite checks of `ecoc up` / `ecoc demo` (run as a user runs them)."""
import argparse
import os
import subprocess
import sys
from pathlib import Path

from cli.main import build_parser

REPO = Path(__file__).resolve().parents[2]


def ecoc(*args, **env):
    environment = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env=environment)


def _without_help(parser, path):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _without_help(child, path + [name])
        elif not action.help and not isinstance(action, argparse._HelpAction):
            yield " ".join(path + [action.dest])


def test_every_option_and_argument_has_help_text():
    assert list(_without_help(build_parser(), ["ecoc"])) == []


def test_version_and_the_exit_codes_in_help():
    version = ecoc("--version")
    assert version.returncode == 0 and version.stdout.startswith("ecoc ")
    helped = ecoc("--help")
    assert "exit codes" in helped.stdout and "3  the gateway refused" in helped.stdout


def test_a_missing_file_is_one_line_exit_2(tmp_path):
    result = ecoc("import", str(tmp_path / "nothing.json"), "--token", "x")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"ecoc import: {tmp_path / 'nothing.json'}: no such file"]


def test_no_token_is_one_line_exit_2(tmp_path):
    rows = tmp_path / "rows.json"
    rows.write_text("[]")
    result = ecoc("import", str(rows), ECOC_TOKEN="")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "ECOC_TOKEN" in result.stderr


def test_an_unreachable_gateway_is_one_line_exit_4(tmp_path):
    rows = tmp_path / "rows.json"
    rows.write_text('{"vehicles": [{"vin": "X"}]}')
    result = ecoc("import", str(rows), "--token", "x", "--url", "http://127.0.0.1:9")
    assert result.returncode == 4 and "cannot be reached" in result.stderr
    assert "Traceback" not in result.stderr


def test_up_and_demo_say_what_is_missing_before_starting_anything(tmp_path):
    missing = {"ECOC_IVI_SCHEMA": str(tmp_path / "IVI2.0.xsd"),
               "ECOC_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:9",
               "ECOC_AMQP_URI": "pyamqp://guest:guest@127.0.0.1:9//",
               "ECOC_GATEWAY_URL": "http://127.0.0.1:9"}
    for command in ("up", "demo"):
        result = ecoc(command, **missing)
        lines = result.stdout.strip().splitlines()
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        assert [line.split(":")[1].strip() for line in lines] == ["IVI 2.0 schema not found at " + missing[
            "ECOC_IVI_SCHEMA"], "PostgreSQL not reachable at 127.0.0.1", "RabbitMQ not reachable at 127.0.0.1"], lines
        assert "ECOC_IVI_SCHEMA" in lines[0] and "ECOC_DATABASE_URL" in lines[1] and "ECOC_AMQP_URI" in lines[2]
