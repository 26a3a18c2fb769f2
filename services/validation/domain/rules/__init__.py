"""The rules, one module per subject. Each module exports `RULES`, a list of `Rule`s in run order."""
