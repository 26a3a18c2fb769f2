"""A batching event handler: one worker, and so one transaction, for many events of a queue.

nameko runs one worker per message; for the audit log that means one transaction, one advisory lock and
one commit per event. `on_events(source, event_type)` declares the same durable queue as `on_event`
(nameko's naming, see `common.topology`) but hands the service method a list of envelopes: the messages
that arrived while the previous batch was being written (at most MAX_BATCH; the queue's prefetch bounds
how many wait). On success every message of the batch is acked; on failure each goes its way through the
same delay queues and dead-letter queue as `on_event` (`common.events.FailureRoute`), never acked and
dropped: a failed batch is first split, each event tried alone, so one bad event fails only itself.
A malformed envelope is dead-lettered at once. Messages not yet handed to a worker when the
service stops are unacked, so the broker delivers them again.

Only the envelope is checked here, not the `data` of known event types: the audit records what each
service published, whatever a consumer would make of it.
"""
import logging
import traceback
from functools import partial

from eventlet.event import Event
from nameko.exceptions import ContainerBeingKilled

from common.contracts.events import Envelope
from common.events import RetryingEventHandler

log = logging.getLogger(__name__)

MAX_BATCH = 500
ENVELOPE = Envelope()  # one schema instance: building one per message costs more than validating


class BatchEventHandler(RetryingEventHandler):

    def setup(self):
        super().setup()
        self._buffer = []
        self._alone = []  # messages of a failed batch, now tried one by one
        self._wake = Event()

    def start(self):
        super().start()
        self.container.spawn_managed_thread(self._flush_loop, identifier=f"{self.method_name}.batches")

    def handle_message(self, body, message):
        errors = ENVELOPE.validate(body) if isinstance(body, dict) else {"_envelope": ["not an object"]}
        if errors:
            self._route(message, lambda: self.failure_route.dead_letter(message, f"malformed envelope: {errors}"))
            return
        self._buffer.append((body, message))
        if not self._wake.ready():
            self._wake.send(True)

    def _flush_loop(self):
        while True:
            self._wake.wait()
            self._wake = Event()
            while self._alone or self._buffer:
                if self._alone:
                    batch = [self._alone.pop(0)]
                else:
                    batch, self._buffer = self._buffer[:MAX_BATCH], self._buffer[MAX_BATCH:]
                messages = [message for _, message in batch]
                done = Event()
                try:
                    self.container.spawn_worker(self, ([body for body, _ in batch],), {},
                                                handle_result=partial(self._batch_done, batch, done))
                except ContainerBeingKilled:
                    for message in messages:
                        self.consumer.requeue_message(message)
                    return
                done.wait()

    def _batch_done(self, batch, done, worker_ctx, result=None, exc_info=None):
        messages = [message for _, message in batch]
        try:
            if exc_info is None:
                self._ack_all(messages)
            elif len(batch) > 1:  # one bad event must not take the others down with it: try each alone
                log.warning("%s: a batch of %d events failed; trying them one by one", self.queue.name, len(batch))
                self._alone.extend(batch)
            else:
                error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
                for message in messages:
                    self._route(message, partial(self.failure_route.failed, message, error))
        finally:
            done.send(True)
        return result, exc_info

    def _ack_all(self, messages):
        """One ack for the batch: `multiple` acks every delivery of this channel up to the last one, and all
        earlier deliveries were either in this batch or acked already (batches of a queue run one at a time)."""
        last = messages[-1]
        if last.channel.connection:  # else the broker has taken them back already and redelivers them
            try:
                last.ack(multiple=True)
            except ConnectionError:
                pass


def on_events(source, event_type):
    """A batching nameko event handler: the method gets a list of validated envelopes (see the module)."""
    return BatchEventHandler.decorator(source, event_type)
