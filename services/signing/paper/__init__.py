"""The paper Certificate of Conformity, printed from the sealed eCoC bytes (issue 19)."""
