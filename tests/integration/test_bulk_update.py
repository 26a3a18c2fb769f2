"""`update_each`: one UPDATE gives each row its own values, typed as the target columns, on PostgreSQL."""
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, select
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Session

from common.bulk_update import update_each

metadata = MetaData()
items = Table(
    "bulk_items", metadata,
    Column("batch", UUID(as_uuid=False), primary_key=True),
    Column("vin", String(17), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("version_number", Integer),
    Column("failure", Text),
    Column("certificate", JSONB),
)
R1, R2 = "6a2957d3-4a32-41a6-a2d0-50681e0bf5e1", "0b3c6a1e-1111-4a32-a2d0-50681e0bf5e2"


def test_each_row_gets_its_own_values_and_only_the_rows_named(service_db):
    engine = create_engine(service_db("vehicles", "bulk"))
    try:
        metadata.create_all(engine)
        with Session(engine) as session:
            session.execute(items.insert(), [{"batch": b, "vin": v, "state": "signing"} for b in (R1, R2)
                                             for v in ("A", "B", "C")])
            update_each(session, items, [
                {"vin": "A", "version_number": 2, "failure": None, "certificate": {"sha256": "ab", "n": [1, 2]}},
                {"vin": "B", "version_number": None, "failure": "no seal: é ' \" \\ ;", "certificate": None},
            ], items.c.batch == R1, state="answered")
            update_each(session, items, [], state="never")  # nothing to do: no statement at all
            session.commit()
            rows = session.execute(select(items).order_by(items.c.batch.desc(), items.c.vin)).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        (R1, "A", "answered", 2, None, {"sha256": "ab", "n": [1, 2]}),
        (R1, "B", "answered", None, "no seal: é ' \" \\ ;", None),
        (R1, "C", "signing", None, None, None),
        (R2, "A", "signing", None, None, None),
        (R2, "B", "signing", None, None, None),
        (R2, "C", "signing", None, None, None),
    ]
