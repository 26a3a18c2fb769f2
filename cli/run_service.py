"""Run one ecoc nameko service in this process: `python -m cli.run_service <name>`.

eventlet is monkey-patched before anything else is imported, nameko's config is built from the
environment, tracing is installed, and `cli.runner` stops it gracefully at the first SIGTERM or SIGINT.
"""
import os
import sys

import common  # noqa: F401 - first: quiets eventlet's import-time deprecation notice

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import logging.config  # noqa: E402

from nameko import config as nameko_config_store  # noqa: E402
from nameko.cli.utils import import_services  # noqa: E402

from cli.runner import serve  # noqa: E402
from common.config import SERVICES, nameko_config, settings  # noqa: E402
from common.topology import declare_all, parse_delays  # noqa: E402
from common.tracing import setup_tracing  # noqa: E402

MODULES = {name: f"services.{name}.service:{name.capitalize()}Service" for name in SERVICES}
MODULES["gateway"] = "gateway.service:GatewayService"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in MODULES:
        sys.stderr.write(f"usage: python -m cli.run_service {{{','.join(MODULES)}}}\n")
        return 2
    name = argv[0]
    problems = settings().production_problems(name)
    if problems:
        sys.stderr.write(f"ecoc {name}: refusing to start in production mode (ECOC_LOCAL_MODE=0):\n"
                         + "".join(f"  - {p}\n" for p in problems))
        return 2
    cfg = nameko_config(name)
    nameko_config_store.setup(cfg)
    logging.config.dictConfig(cfg["LOGGING"])
    setup_tracing(name)
    if name != "gateway":  # consumer queues exist before this service's outbox relay publishes
        declare_all(cfg["AMQP_URI"], parse_delays(cfg["EVENT_RETRY_DELAYS"]))
    [service_cls] = import_services(MODULES[name])
    serve(service_cls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
