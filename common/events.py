"""Event handling shared by the consumers: envelope check, retry with back-off, dead-lettering.

`on_event(source, event_type)` makes a nameko event handler on nameko's durable queue
`evt-<source>-<type>--<service>.<method>` (see `common.topology`). The decorated method gets the
validated envelope. When it raises, the message is republished to the queue's next delay queue (it comes
back after 1 s, 5 s, 30 s by default: `ECOC_EVENT_RETRY_DELAYS`), and after the last attempt to the
queue's dead-letter queue `Q.dead` with the error in its headers; only then is the original acked. A
malformed envelope goes to `Q.dead` at once. No worker ever sleeps holding a message, and a message that
cannot be moved (broker trouble) is requeued, never dropped.

`FailureRoute` is the same step for a consumer that handles messages itself (e.g. in batches).
"""
import functools
import logging
import traceback
from datetime import datetime, timezone

from nameko import config
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler

from common.contracts.events import Envelope, data_errors
from common.topology import dead_queue_name, declare, failure_queues, parse_delays, retry_queue_name

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-ecoc-attempt"  # failed attempts so far
ERROR_HEADER = "x-ecoc-error"
FAILED_AT_HEADER = "x-ecoc-failed-at"
QUEUE_HEADER = "x-ecoc-queue"
_BROKER_HEADERS = ("x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
                   "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason")
MAX_ERROR_HEADER = 2000


def attempts_of(message):
    try:
        return int((message.headers or {}).get(ATTEMPT_HEADER, 0))
    except (TypeError, ValueError):
        return 0


class FailureRoute:
    """Moves a failed message of consumer queue `queue_name` to its next delay queue or to its DLQ.

    Publishing uses confirms and `mandatory`, so a missing delay queue raises instead of losing the
    message; the caller then requeues it. Call `failed()`/`dead_letter()` before acking the original."""

    def __init__(self, queue_name, amqp_uri, delays):
        self.queue_name = queue_name
        self.delays = tuple(delays)
        self.publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True)

    def failed(self, message, error):
        """Route one failed message; returns the queue it went to."""
        attempt = attempts_of(message) + 1
        if attempt > len(self.delays):
            return self.dead_letter(message, error, attempt)
        target = retry_queue_name(self.queue_name, self.delays[attempt - 1])
        self._republish(message, target, {ATTEMPT_HEADER: attempt, ERROR_HEADER: _short(error)})
        log.warning("%s: attempt %d failed (%s); retried in %gs via %s", self.queue_name, attempt,
                    _short(error, 300), self.delays[attempt - 1], target)
        return target

    def dead_letter(self, message, error, attempt=None):
        target = dead_queue_name(self.queue_name)
        self._republish(message, target, {
            ATTEMPT_HEADER: attempts_of(message) + 1 if attempt is None else attempt,
            ERROR_HEADER: _short(error), FAILED_AT_HEADER: datetime.now(timezone.utc).isoformat(),
            QUEUE_HEADER: self.queue_name,
        })
        log.error("%s: dead-lettered to %s: %s", self.queue_name, target, _short(error, 500))
        return target

    def _republish(self, message, routing_key, extra):
        headers = {k: v for k, v in (message.headers or {}).items() if k not in _BROKER_HEADERS}
        headers.update(extra)
        self.publisher.publish(
            message.body, exchange="", routing_key=routing_key, headers=headers,
            content_type=message.content_type, content_encoding=message.content_encoding,
        )


def _short(error, limit=MAX_ERROR_HEADER):
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return text[:limit]


class RetryingEventHandler(EventHandler):
    """nameko's EventHandler with envelope checks, back-off retries and a dead-letter queue."""

    def setup(self):
        super().setup()
        delays = parse_delays(config.get("EVENT_RETRY_DELAYS"))
        queues = failure_queues(self.queue.name, delays)
        declare(self.amqp_uri, queues)  # the dead-letter queue exists before the first failure
        self.failure_route = FailureRoute(self.queue.name, self.amqp_uri, delays)
        self.failure_route.publisher.declare = queues

    def handle_message(self, body, message):
        errors = Envelope().validate(body) if isinstance(body, dict) else {"_envelope": ["not an object"]}
        errors = errors or data_errors(body)
        if errors:
            self._route(message, lambda: self.failure_route.dead_letter(message, f"malformed envelope: {errors}"))
            return
        super().handle_message(body, message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.consumer.ack_message(message)
            return
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        self._route(message, lambda: self.failure_route.failed(message, error))

    def _route(self, message, move):
        try:
            move()
        except Exception:
            log.exception("%s: could not move a failed message; requeued", self.queue.name)
            self.consumer.requeue_message(message)
            return
        self.consumer.ack_message(message)


def on_event(source, event_type):
    """A nameko event handler that receives the validated envelope dict; failures are retried with back-off
    and finally dead-lettered, never acked and dropped."""

    def decorate(method):
        @functools.wraps(method)
        def handler(self, envelope):
            result = method(self, envelope)
            log.info("handled %s %s from %s", envelope["event_type"], envelope["event_id"], envelope["source"])
            return result

        return RetryingEventHandler.decorator(source, event_type)(handler)

    return decorate
