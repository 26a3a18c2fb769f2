"""A page of a keyset-paged list kept to one team's work (plain Python). Which team owns a vehicle or a release is
decided by ownership rules in Python (`ownership.owner`), not in SQL, so the list is read in chunks and filtered
until the page is full or `scan` rows were looked at; then the page is short (even empty) and its cursor goes on
after the last row looked at. No count of what was skipped is given."""

SCAN, CHUNK = 5000, 500


def owned_page(read, owns, position, limit, cursor=None, scan=SCAN, chunk=CHUNK):
    """`(rows, next_cursor)`: up to `limit` rows after `cursor` that `owns(row)` keeps.

    `read(cursor, n)` answers `(rows, more)`: at most n rows after `cursor`, and whether rows remain after them;
    `position(row)` is the cursor that goes on after `row`."""
    kept, looked = [], 0
    while True:
        rows, more = read(cursor, max(1, min(chunk, scan - looked)))
        for i, row in enumerate(rows):
            looked += 1
            cursor = position(row)
            if owns(row):
                kept.append(row)
                if len(kept) == limit:
                    return kept, (cursor if more or i < len(rows) - 1 else None)
        if not more or not rows:
            return kept, None
        if looked >= scan:
            return kept, cursor
