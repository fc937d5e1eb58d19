"""Marking a string for translation without translating it: usable where Flask is not (webapp/cms,
webapp/files), since the marked text is translated only when it is shown (webapp.textmarks.translate)."""


def N_(text: str) -> str:
    """`text` unchanged; only marks it for extraction."""
    return text
