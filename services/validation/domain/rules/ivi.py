"""IVI data completeness: the mandatory fields of the composed certificate."""
from ..engine import Rule
from ..findings import ERROR, Problem


def mandatory_fields(ctx):
    for path in ctx.missing_mandatory:
        yield Problem(
            f"The mandatory IVI field {path} is missing from the certificate data: it must come from the "
            "type approval or from the vehicle record before the certificate can be issued.",
            expected="a value", found="missing", path=path,
        )


RULES = [
    Rule("IVI-001", ERROR, "CocDataGroup",
         "Every field IVI 2.0 makes mandatory is present in the composed CoC (except the signing authority, "
         "added at signing).", mandatory_fields, requires=("APR-002",)),
]
