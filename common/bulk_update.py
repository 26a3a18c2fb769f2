"""One UPDATE for many rows, each with values of its own.

An `executemany` of one UPDATE per row costs the database a statement per row; a release chunk answered by
signing moves 250 vehicles and 250 release items at once. Here the rows travel as one JSON array that
PostgreSQL reads back as a table with the target columns' own types (`jsonb_to_recordset(...) AS
each(vin varchar, certificate jsonb, ...)`), joined to the target by its key: one statement, one plan.
"""
from sqlalchemy import bindparam, column, func, update
from sqlalchemy.dialects.postgresql import JSONB


def update_each(session, table, rows, *where, key="vin", **same):
    """Set, in `table`, each row's own values (`rows`: `{key: …, column: value, …}`, all with the same
    columns, JSON values: PostgreSQL casts them to the columns' types) and `same` (any values) on all of them;
    `where` narrows the rows further (e.g. to one release)."""
    if not rows:
        return
    columns = list(rows[0])
    each = (func.jsonb_to_recordset(bindparam("each_rows", rows, type_=JSONB))
            .table_valued(*(column(name, table.c[name].type) for name in columns))
            .render_derived(name="each", with_types=True))
    session.execute(update(table).where(table.c[key] == each.c[key], *where)
                    .values(**same, **{name: each.c[name] for name in columns if name != key}))
