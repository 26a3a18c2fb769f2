"""What the approvals domain refuses; the service answers them as 422 and 409."""


class Rejected(ValueError):
    """The input is wrong; `errors` name each offending field: [{"field", "message"}]."""

    def __init__(self, detail, errors):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class Clash(ValueError):
    """The input is fine but contradicts what is stored (an existing version, a withdrawn approval...);
    `errors` may name the fields concerned."""

    def __init__(self, detail, errors=None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
