import os
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")

import eventlet  # noqa: E402

eventlet.monkey_patch()
