"""Marking text for translation where it is defined, without importing Flask (webapp/textmarks.py translates it)."""


def N_(text: str) -> str:
    """Mark `text` for the extractor (babel.cfg) and return it unchanged; `translate` looks it up at render time."""
    return text
