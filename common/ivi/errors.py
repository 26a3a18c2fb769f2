"""Exceptions of the IVI package: bad XML coming in, bad data going out."""


class IviFormatError(ValueError):
    """An IVI XML document cannot be read: not well-formed, a DTD, an unknown element, a bad value."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line


class IviDataError(ValueError):
    """IVI-shaped data cannot be written: an unknown key, a wrong shape or a value of the wrong type.

    `path` is the exact place in the document, e.g. `AxleTable[1].TyreAxleTable[0].RimSize`
    (`Header.IviVersionNumber` for the header).
    """

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message
