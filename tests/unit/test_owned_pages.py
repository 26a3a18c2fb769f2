"""Pages of a list kept to one team's work: full pages while the scan lasts, a short page with a cursor after it."""
from services.vehicles.domain.owned_pages import owned_page

ROWS = [{"vin": f"V{i:03d}", "team": "a" if i % 3 == 0 else "b"} for i in range(30)]


def read(cursor, n):
    after = [r for r in ROWS if cursor is None or r["vin"] > cursor]
    return after[:n], len(after) > n


def pages(team, limit, **kw):
    out, cursor = [], None
    while True:
        rows, cursor = owned_page(read, lambda r: r["team"] == team, lambda r: r["vin"], limit, cursor, **kw)
        out.append([r["vin"] for r in rows])
        if cursor is None:
            return out


def test_every_owned_row_once_in_order_across_pages():
    expected = [r["vin"] for r in ROWS if r["team"] == "a"]
    for limit in (1, 3, 4, 10, 100):
        for chunk in (1, 2, 7, 500):
            got = pages("a", limit, chunk=chunk)
            assert [vin for page in got for vin in page] == expected, (limit, chunk)
            assert all(len(page) <= limit for page in got)


def test_a_page_that_fills_on_the_last_row_has_no_next_page():
    assert pages("b", 20) == [[r["vin"] for r in ROWS if r["team"] == "b"]]  # V029 is b's
    assert pages("a", 10)[-1] == []  # V027 fills it: rows remain, so a next (here empty) page is offered


def test_a_bounded_scan_answers_a_short_page_that_goes_on_after_the_last_row_looked_at():
    rows, cursor = owned_page(read, lambda r: r["vin"] == "V029", lambda r: r["vin"], 5, scan=10, chunk=4)
    assert rows == [] and cursor == "V009"  # 10 rows looked at (4 + 4 + 2), none kept
    got = pages("none", 5, scan=10, chunk=4)
    assert all(page == [] for page in got) and len(got) == 3
