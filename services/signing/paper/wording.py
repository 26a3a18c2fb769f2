"""The paper CoC's wording per language, read from `wording/<language>.yaml` (data, so a market adds its own).

Only wording comes from here: item titles by item number, the statement of each model, and the few words of
the page. Values are always printed as sealed. A language file may leave a title out; the English one (and
then the field's label in `common.ivi.labels`) stands in for it.
"""
from __future__ import annotations

import functools
from pathlib import Path

import yaml

WORDING_DIR = Path(__file__).parent / "wording"
DEFAULT_LANGUAGE = "en"


def languages():
    """The languages a paper CoC can be worded in."""
    return sorted(p.stem for p in WORDING_DIR.glob("*.yaml"))


@functools.lru_cache(maxsize=None)
def _load(language):
    with open(WORDING_DIR / f"{language}.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


class Wording:
    def __init__(self, language=DEFAULT_LANGUAGE):
        if language not in languages():
            raise ValueError(f"no wording for language {language!r}; known: {', '.join(languages())}")
        self.language = language
        self._own = _load(language)
        self._en = _load(DEFAULT_LANGUAGE)

    def _get(self, section, key):
        own = (self._own.get(section) or {}).get(key)
        return own if own is not None else (self._en.get(section) or {}).get(key)

    def word(self, key):
        return self._get("words", key) or key

    def __getitem__(self, key):
        return self._own.get(key) or self._en[key]

    def item(self, number, fallback):
        return self._get("items", number) or fallback

    def field(self, name, fallback):
        return self._get("fields", name) or fallback

    def model(self, stage):
        return self._get("models", stage) or ""

    def statement(self, kind, traffic=None, speedometer=None, odometer=None):
        """The model's statement; `kind` is the stage of completion (C, I, V) or "L" (Regulation 901/2014)."""
        text = self._get("statement", kind) or self._get("statement", "C")
        def word(code):  # a code the wording does not know is printed as sealed
            return (self._get("words", code) or code) if code else "…"

        return text.format(traffic=word(traffic), speedometer=word(speedometer), odometer=word(odometer))
