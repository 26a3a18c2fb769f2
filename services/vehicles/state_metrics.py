"""Vehicles per legal entity and state, for /metrics (read at scrape time, one grouped query)."""
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from services.vehicles.models import vehicles


def vehicle_states(ops):
    stmt = select(vehicles.c.entity, vehicles.c.status, func.count()).group_by(vehicles.c.entity, vehicles.c.status)
    with ops.database.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    family = GaugeMetricFamily("ecoc_vehicles", "Vehicles per legal entity and state", labels=["entity", "state"])
    for entity, status, count in rows:
        family.add_metric([entity, status], count)
    yield family
