"""Text that PostgreSQL can store and UTF-8 can carry: no NUL, no unpaired surrogate."""


def storable(text):
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate
        return False
    return True


NOT_STORABLE = "must be text without NUL or unpaired surrogates"
