"""Event handling shared by the consumers: envelope check, inbox, and no silent loss on failure."""
import functools
import logging

import eventlet
from nameko.events import event_handler

from common.contracts.events import Envelope, data_errors

log = logging.getLogger(__name__)

RETRY_PAUSE = 2.0  # seconds a failed event waits before it is requeued


def on_event(source, event_type):
    """A nameko event handler that validates the envelope and requeues (after a pause) on failure.

    The decorated method receives the validated envelope dict. Failures are never acked and
    dropped: the message goes back to the queue.
    """

    def decorate(method):
        @functools.wraps(method)
        def handler(self, payload):
            errors = Envelope().validate(payload) or data_errors(payload)
            if errors:
                log.error("discarding malformed %s event from %s: %s", event_type, source, errors)
                return None
            try:
                return method(self, payload)
            except Exception:
                log.exception("handling %s %s failed; requeued", payload.get("event_type"), payload.get("event_id"))
                eventlet.sleep(RETRY_PAUSE)
                raise

        return event_handler(source, event_type, requeue_on_error=True)(handler)

    return decorate
