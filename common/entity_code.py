"""The one rule for a legal entity's code: it names the entity in every service and its seal's key files."""
import re

PATTERN = r"\A[A-Z0-9_-]{2,32}\Z"
MESSAGE = "an entity code is 2 to 32 characters: capital letters A-Z, digits, '_' and '-'"
_CODE = re.compile(PATTERN)


def code_problem(code):
    """Why `code` cannot be an entity code, or None."""
    return None if isinstance(code, str) and _CODE.match(code) else MESSAGE
