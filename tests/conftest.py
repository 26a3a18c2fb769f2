import os
import sys
from pathlib import Path

import common  # noqa: F401 - first: quiets eventlet's import-time deprecation notice

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")

_REPO = str(Path(__file__).resolve().parent.parent)
if _REPO not in sys.path:  # `tests` has no __init__.py: make `tests.support` importable everywhere
    sys.path.append(_REPO)

import eventlet  # noqa: E402

eventlet.monkey_patch()

# A pytest plugin (schemathesis) imports requests, and so urllib3, before the patch above: urllib3 then holds the
# unpatched ssl.SSLContext, and its context set-up recurses inside the patched ssl module. Hand it the patched
# class, as it would have had if imported after the patch (HTTPS clients in tests: the NAP simulator, delivery).
import ssl  # noqa: E402

import urllib3.util.ssl_  # noqa: E402

urllib3.util.ssl_.SSLContext = ssl.SSLContext

# the whole stack, started once per session, for tests/e2e and tests/security alike
pytest_plugins = ["tests.stack_fixtures"]
