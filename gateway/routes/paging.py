"""Query parameters shared by the list routes."""
from gateway.problems import invalid


def limit_param(raw):
    if raw is None:
        return 100
    try:
        value = int(raw)
    except ValueError:
        raise invalid("Bad limit.", [{"field": "limit", "message": "must be an integer"}]) from None
    if not 1 <= value <= 1000:
        raise invalid("Bad limit.", [{"field": "limit", "message": "must be between 1 and 1000"}])
    return value
