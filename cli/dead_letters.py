"""`ecoc dead-letters list|show|redrive`: the events no consumer could handle, for the person who decides.

A dead letter is an event that failed every retry (or could not be read at all); it waits in its consumer
queue's `Q.dead` with the reason in its headers (`common.events.FailureRoute`). `list` counts them per queue,
`show` prints them (without taking them), and `redrive` hands them back to their consumer queue once the cause
is fixed, with their attempt count reset; a redriven event is published with confirms before its dead letter is
acked, so none is lost, and every consumer's inbox makes a redelivered event a no-op."""
import json

from amqp.protocol import queue_declare_ok_t
from kombu import Connection
from nameko.amqp.publish import Publisher

from common.events import ATTEMPT_HEADER, ERROR_HEADER, FAILED_AT_HEADER, QUEUE_HEADER
from common.topology import dead_letter_queues

DEAD_SUFFIX = ".dead"


def counts(amqp_uri):
    """{dead-letter queue: messages waiting} for every dead-letter queue of the installation."""
    found = {}
    with Connection(amqp_uri) as conn:
        for queue in dead_letter_queues():
            channel = conn.channel()
            try:
                found[queue] = channel.queue_declare(queue, passive=True).message_count
            except conn.channel_errors:  # never declared: nothing can be in it
                found[queue] = queue_declare_ok_t(queue, 0, 0).message_count
            finally:
                if channel.is_open:
                    channel.close()
    return found


def _known(queue):
    if queue not in dead_letter_queues():
        raise SystemExit(f"{queue} is not a dead-letter queue of ecoc (see `ecoc dead-letters list`)")


def letters(amqp_uri, queue, limit=100):
    """The first `limit` dead letters of `queue`, described; they stay in the queue (read, then given back)."""
    _known(queue)
    described = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        try:
            for _ in range(limit):
                message = channel.basic_get(queue=queue, no_ack=False)
                if message is None:
                    break
                described.append(describe(message))
        finally:
            channel.close()  # unacked: every message read goes back to the queue, in its order
    return described


def describe(message):
    headers = message.headers or {}
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError):
        body = None
    event = body if isinstance(body, dict) else {}
    return {
        "event_id": event.get("event_id"), "event_type": event.get("event_type"), "source": event.get("source"),
        "subject": event.get("subject"), "entity": event.get("entity"), "attempts": headers.get(ATTEMPT_HEADER),
        "failed_at": headers.get(FAILED_AT_HEADER), "reason": headers.get(ERROR_HEADER),
        "queue": headers.get(QUEUE_HEADER),
    }


def redrive(amqp_uri, queue, event_ids=None):
    """Hand `queue`'s dead letters (only `event_ids` when given) back to their consumer queue; returns the
    event ids (or None for an unreadable message) handed back."""
    _known(queue)
    target = queue[: -len(DEAD_SUFFIX)]
    wanted = set(event_ids or ())
    moved = []
    publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True)
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        try:
            while True:
                message = channel.basic_get(queue=queue, no_ack=False)
                if message is None:
                    break
                event_id = describe(message)["event_id"]
                if wanted and event_id not in wanted:
                    continue  # left unacked: back in the queue when the channel closes
                headers = {k: v for k, v in (message.headers or {}).items()
                           if k not in (ATTEMPT_HEADER, ERROR_HEADER, FAILED_AT_HEADER, QUEUE_HEADER)}
                publisher.publish(message.body, exchange="", routing_key=target, headers=headers,
                                  content_type=message.content_type, content_encoding=message.content_encoding)
                channel.basic_ack(message.delivery_tag)
                moved.append(event_id)
        finally:
            channel.close()
    return moved


def run(args, amqp_uri, echo=print):
    if args.dead_command == "list":
        waiting = {q: n for q, n in counts(amqp_uri).items() if n or args.all}
        for queue, n in sorted(waiting.items()):
            echo(f"{n:8d}  {queue}")
        if not waiting:
            echo("no dead letters")
        return 0
    if args.dead_command == "show":
        for letter in letters(amqp_uri, args.queue, args.limit):
            echo(json.dumps(letter, ensure_ascii=False))
        return 0
    moved = redrive(amqp_uri, args.queue, args.event_id)
    echo(f"{len(moved)} dead letter(s) handed back to {args.queue[: -len(DEAD_SUFFIX)]}")
    return 0
