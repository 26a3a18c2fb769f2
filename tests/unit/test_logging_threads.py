"""Regression: rules that crash in `eventlet.tpool` threads log their traceback, from many threads at once,
without hanging the process (a green lock taken in an OS thread parks it on a hub of its own forever).

The validation service judges chunks in tpool threads and `engine._run` logs every crashing rule there;
logging goes through the service's configuration (`common.config.nameko_config`: `common.logs.StreamHandler`
with an OS lock). Each run needs a fresh, monkey-patched interpreter, so it runs as a child process."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHILD = r"""
import eventlet
eventlet.monkey_patch()
import logging.config
from eventlet import tpool
from common.config import nameko_config
from services.validation.domain.context import VehicleContext
from services.validation.domain.engine import Rule, RulePack, run_rules

logging.config.dictConfig(nameko_config("validation")["LOGGING"])

def broken(ctx):
    raise KeyError("boom")

pack = RulePack("broken", "1", tuple(Rule(f"BRK-{n:03d}", "warning", "Type", "Broken.", broken) for n in range(20)))

def judge(i):  # what the service does per chunk: the rules of many vehicles in one tpool thread
    return tpool.execute(lambda: [run_rules(VehicleContext({"vin": f"V{i}-{k}"}, None), [pack]) for k in range(10)])

with eventlet.Timeout(60):
    results = list(eventlet.GreenPool().imap(judge, range(8)))
print("findings", sum(len(f) for chunk in results for f in chunk))
"""


def test_rules_crashing_in_many_tpool_threads_log_and_finish():
    child = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, env=dict(os.environ), capture_output=True,
                           text=True, timeout=120)
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.split() == ["findings", str(8 * 10 * 20)]
    logged = [line for line in child.stderr.splitlines() if "failed on V" in line]
    assert len(logged) == 8 * 10 * 20 and "KeyError: 'boom'" in child.stderr
