"""Values written the way a homologation engineer reads them: "1,650 kg", "2024-04-08", "Y"."""
from decimal import Decimal


def num(value):
    """1650 -> "1,650"; 44.0 -> "44"; Decimal("7.590") -> "7.59"; text stays text."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return f"{int(value):,}"
        return f"{value.normalize():,f}"
    return str(value)


def unit(value, symbol):
    return f"{num(value)} {symbol}"


def kg(value):
    return unit(value, "kg")


def mm(value):
    return unit(value, "mm")


def listing(items, empty="none"):
    items = [str(i) for i in items]
    return ", ".join(items) if items else empty


def quoted(value):
    return "missing" if value is None or value == "" else f"'{value}'"
