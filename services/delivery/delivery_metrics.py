"""Deliveries per entity and state, for /metrics (read at scrape time): `failed` and `rejected` are what an alert
watches (`ecoc_deliveries{state="failed"} > 0`)."""
from prometheus_client.core import GaugeMetricFamily

from common.dependencies import Database
from services.delivery import repository as repo


def deliveries_by_state(ops):
    database = next(d for d in ops.container.dependencies if isinstance(d, Database))
    family = GaugeMetricFamily("ecoc_deliveries", "Deliveries to National Access Points per entity and state",
                               labels=["entity", "state"])
    with database.session_factory() as session:
        for row in repo.counts_by_state(session):
            family.add_metric([row["entity"], row["state"]], row["count"])
    yield family
