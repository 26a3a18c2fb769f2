"""CSV import: a header row naming columns of `CSV_COLUMNS`, one vehicle a row, turned into import rows.

Record columns become the row's fields; CoC columns become IVI-shaped `coc` values typed by the schema
(an integer element gets an int). A value that does not fit its element is kept as text, so the CoC
check names it; errors then name the CSV column and the row's line in the file.
"""
import csv
import io
import re

from common.contracts.vehicles import CSV_COLUMNS
from common.ivi.values import LeafValueError, parse_leaf
from common.text import NOT_STORABLE, storable

COLUMNS = {name: path for name, path, _ in CSV_COLUMNS}
REQUIRED = tuple(name for name, path, description in CSV_COLUMNS if description.endswith("— required"))
_STEP = re.compile(r"^(\w+)(?:\[(\d+)\])?$")


class CsvError(ValueError):
    """The file as a whole cannot be read (encoding, header); `errors` name the offending columns."""

    def __init__(self, message, errors):
        super().__init__(message)
        self.errors = errors


def parse_csv(text, ivi_schema=None):
    """`(rows, lines, pre_errors)`: import rows, the file line each starts on, errors found while reading."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = _next(reader)
    _check_text(header, (), 1)
    columns = _header(header)
    rows, lines, pre_errors = [], [], {}
    line = reader.line_num + 1
    while (cells := _next(reader)) is not None:
        start, line = line, reader.line_num + 1
        _check_text(cells, columns, start)
        if not any(c.strip() for c in cells):
            continue  # blank line
        index = len(rows)
        if len(cells) != len(columns):
            pre_errors[index] = [{"field": "_row", "message": f"row {start} has {len(cells)} cells; "
                                                             f"the header has {len(columns)}"}]
        rows.append(_row(columns, cells, ivi_schema))
        lines.append(start)
    if not rows:
        raise CsvError("The CSV file holds no vehicle rows.",
                       [{"field": "_body", "message": "no rows after the header"}])
    return rows, lines, pre_errors


def _next(reader):
    """The next row's cells, or None at the end; a row the csv module cannot read is a CsvError naming it."""
    try:
        return next(reader, None)
    except csv.Error as exc:
        row = reader.line_num
        raise CsvError("The CSV file cannot be read.",
                       [{"field": "_body", "message": f"row {row}: {exc}"}]) from None


def _check_text(cells, columns, row):
    """Every cell, header included, must be storable text; the first that is not is named by column and row."""
    for position, value in enumerate(cells or ()):
        if not storable(value):
            name = columns[position] if position < len(columns) else f"column {position + 1}"
            raise CsvError("The CSV file holds text that cannot be stored.",
                           [{"field": name, "message": f"row {row}: {NOT_STORABLE}"}])


def column_errors(rejected, lines):
    """Rejections of parsed rows, with each field named as its CSV column and the row's file line added."""
    by_path = {f"coc.{path}": name for name, path in COLUMNS.items() if path}
    out = []
    for item in rejected:
        errors = [dict(e, field=by_path.get(e["field"], e["field"])) for e in item["errors"]]
        out.append(dict(item, row=lines[item["index"]], errors=errors))
    return out


def _delimiter(text):
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _header(header):
    if not header or not any(h.strip() for h in header):
        raise CsvError("The CSV file has no header row.", [{"field": "_body", "message": "the first row must name "
                                                           f"the columns: {', '.join(COLUMNS)}"}])
    columns = [h.strip().lower() for h in header]
    errors = []
    for position, name in enumerate(columns):
        if name not in COLUMNS:
            errors.append({"field": name or f"column {position + 1}",
                           "message": f"unknown column; the columns are {', '.join(COLUMNS)}"})
        elif columns.index(name) != position:
            errors.append({"field": name, "message": "column named twice"})
    errors.extend({"field": name, "message": "required column missing"} for name in REQUIRED if name not in columns)
    if errors:
        raise CsvError("The CSV header is not usable.", errors)
    return columns


def _row(columns, cells, ivi_schema):
    row = {}
    for name, value in zip(columns, cells):
        value = value.strip()
        if not value:
            continue  # an empty cell is an absent value
        path = COLUMNS[name]
        if path is None:
            row[name] = value
        else:
            _put(row.setdefault("coc", {}), path, _leaf(ivi_schema, path, value))
    for value in row.get("coc", {}).values():
        if isinstance(value, list):
            value[:] = [r for r in value if r]  # a second colour without a first is the first
    return row


def _leaf(ivi_schema, path, text):
    if ivi_schema is None:
        return int(text) if text.isdigit() else text
    try:
        return parse_leaf(text, ivi_schema.find(path).simple)
    except LeafValueError:
        return text  # the CoC check names the column and says what fits


def _put(coc, path, value):
    """Set `value` at a JSON path such as `ColourTable[1].Colour` (rows of a table filled up in order)."""
    node = coc
    steps = path.split(".")
    for position, step in enumerate(steps):
        name, row = _STEP.match(step).groups()
        last = position == len(steps) - 1
        if row is None:
            if last:
                node[name] = value
            else:
                node = node.setdefault(name, {})
            continue
        table = node.setdefault(name, [])
        while len(table) <= int(row):
            table.append({})
        node = table[int(row)]
