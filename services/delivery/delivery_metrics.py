"""Deliveries per entity and state, and those rejected or failed that are not resolved yet (no later accepted
delivery of the VIN), for /metrics (read at scrape time); the second is what the EcocDeliveryFailed alert watches."""
from prometheus_client.core import GaugeMetricFamily

from common.dependencies import Database
from services.delivery import repository as repo


def deliveries_by_state(ops):
    database = next(d for d in ops.container.dependencies if isinstance(d, Database))
    family = GaugeMetricFamily("ecoc_deliveries", "Deliveries to National Access Points per entity and state",
                               labels=["entity", "state"])
    open_ones = GaugeMetricFamily("ecoc_delivery_exceptions", "Rejected or failed deliveries not resolved by a later "
                                  "accepted delivery of the VIN, per entity and state", labels=["entity", "state"])
    with database.session_factory() as session:
        for row in repo.counts_by_state(session):
            family.add_metric([row["entity"], row["state"]], row["count"])
        for row in repo.exception_counts(session):
            open_ones.add_metric([row["entity"], row["state"]], row["count"])
    yield family
    yield open_ones
