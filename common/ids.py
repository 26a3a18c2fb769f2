"""Identifier checks shared by the services."""
import uuid


def is_uuid(value):
    """True for a UUID in its text form: ids from outside are checked before they reach a UUID column."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
