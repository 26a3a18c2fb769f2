"""The broker topology: every event handler of every service gets its queue, delay queues and dead-letter queue."""
import pytest

from common.config import SERVICES
from common.topology import (
    dead_letter_queues, declarations, dead_queue_name, event_handlers, failure_queues, parse_delays, retry_queue_name, service_class,
)


def test_every_event_handler_of_every_service_is_declared_with_its_failure_queues():
    entities = {e.name: e for e in declarations(delays=(1.0, 5.0))}
    handlers = [(svc, h) for svc in SERVICES for h in event_handlers(service_class(svc))]
    assert ("signing", ("vehicles", "release_sign_requested", "on_release_sign_requested")) in handlers
    assert ("vehicles", ("signing", "certificate_signed", "on_certificate_signed")) in handlers
    for service, (source, event_type, method) in handlers:
        queue = f"evt-{source}-{event_type}--{service}.{method}"  # nameko's own naming
        assert entities[queue].exchange.name == f"{source}.events"
        assert entities[queue].routing_key == event_type
        assert entities[queue].queue_arguments in (None, {})  # exactly as nameko declares it
        assert entities[retry_queue_name(queue, 1.0)].queue_arguments == {
            "x-message-ttl": 1000, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue}
        assert dead_queue_name(queue) in entities
    for service in SERVICES:
        assert f"{service}.events" in entities
    assert sorted(dead_letter_queues()) == sorted(n for n in entities if n.endswith(".dead"))
    assert len(dead_letter_queues()) == len(handlers)


def test_delay_queue_names_carry_the_delay_so_arguments_never_change_under_a_name():
    names = [q.name for q in failure_queues("Q", (0.5, 30))]
    assert names == ["Q.retry.500ms", "Q.retry.30000ms", "Q.dead"]


def test_retry_delays_are_parsed_from_the_setting():
    assert parse_delays("1,5,30") == (1.0, 5.0, 30.0)
    assert parse_delays(None) == (1.0, 5.0, 30.0)
    with pytest.raises(ValueError):
        parse_delays("1,-2")
