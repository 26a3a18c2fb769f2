"""Entity scope: a caller acts only for the legal entities of its token (`["*"]` or None: all)."""


def allowed(entity, entities):
    return entities is None or "*" in entities or entity in entities
