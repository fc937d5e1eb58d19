"""The machine-readable CMS contract (`openapi.yaml` beside this file); ASSUMPTIONS.md is its human list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CONTRACT_PATH = Path(__file__).with_name("openapi.yaml")


def load_contract() -> dict[str, Any]:
    """Parse the OpenAPI document afresh on each call, so a caller may change what it gets."""
    document = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise TypeError(f"{CONTRACT_PATH} does not hold a mapping")
    return document
