"""The plain-text tables every benchmark prints."""


def table(rows, headers, text_columns=1):
    """Columns aligned; the first `text_columns` (and any other text cell there) left, numbers right."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(row):
        return "  ".join(str(c).ljust(w) if i < text_columns and isinstance(c, str) else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths)))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])
