"""Marking a string for translation without translating it: usable where Flask is not (webapp/cms,
webapp/files), since the marked text is translated only when it is shown (webapp.textmarks.translate)."""


def N_(text: str) -> str:
    """`text` unchanged; only marks it for extraction."""
    return text


def NP_(context: str, text: str) -> tuple[str, str]:
    """`text` as meant in `context`, unchanged; only marks the pair for extraction (`-k NP_:1c,2`, see
    babel.cfg). `webapp.textmarks.pgettext(*pair)` translates it when it is shown."""
    return context, text
