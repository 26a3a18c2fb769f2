"""Running one service class in this process until SIGTERM or SIGINT: the first signal stops it gracefully,
later ones are ignored while it stops.

nameko's own `run` stops the runner again at every SIGTERM (and at Ctrl-C besides); a second stop of a container
still stopping stops its timer once more and fails ("Trying to re-send() an already-triggered event")."""
import errno
import logging
import signal

import eventlet
from nameko.runners import ServiceRunner

log = logging.getLogger(__name__)


def serve(service_cls):
    runner = ServiceRunner()
    runner.add_service(service_cls)
    stopping = []

    def stop(signum, frame):
        if stopping:
            log.info("already stopping (signal %d ignored)", signum)
            return
        stopping.append(signum)
        eventlet.spawn_n(runner.stop)  # a signal handler runs on the main loop: stop in a green thread

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    waiting = eventlet.spawn(runner.wait)  # a signal interrupts the main green thread's waits (EINTR), not this
    while True:
        try:
            return waiting.wait()
        except OSError as exc:
            if exc.errno != errno.EINTR:
                raise
