"""Errors a service raises for a caller's mistake. They cross RPC as themselves (nameko
`deserialize_to_instance`), so the gateway can answer with the right 4xx and the field names."""
from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    status = 400
    problem = "urn:ecoc:problem:bad-request"
    title = "Bad request"

    def __init__(self, detail, errors=None):
        super().__init__(detail, errors or [])
        self.detail = detail
        self.errors = errors or []


@deserialize_to_instance
class InvalidInput(DomainError):
    status = 422
    problem = "urn:ecoc:problem:validation"
    title = "Invalid input"


@deserialize_to_instance
class NotFound(DomainError):
    status = 404
    problem = "urn:ecoc:problem:not-found"
    title = "Not found"


@deserialize_to_instance
class Conflict(DomainError):
    status = 409
    problem = "urn:ecoc:problem:conflict"
    title = "Conflict"


@deserialize_to_instance
class FourEyes(DomainError):
    status = 403
    problem = "urn:ecoc:problem:four-eyes"
    title = "Four-eyes rule"


@deserialize_to_instance
class Forbidden(DomainError):
    status = 403
    problem = "urn:ecoc:problem:forbidden"
    title = "Forbidden"


EXPECTED = (InvalidInput, NotFound, Conflict, FourEyes, Forbidden)


def field_errors(marshmallow_messages, prefix=""):
    """Flatten marshmallow's nested error dict into [{field, message}] with dotted/indexed paths."""
    out = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, int):
                    walk(value, f"{path}[{key}]")
                else:
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        else:
            out.append({"field": path or "_body", "message": str(node)})

    walk(marshmallow_messages, prefix)
    return out


def load_or_raise(schema, data, prefix=""):
    """Load with a marshmallow schema; raise InvalidInput naming every offending field."""
    from marshmallow import ValidationError

    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidInput("The request has invalid fields.", field_errors(exc.messages, prefix)) from None
