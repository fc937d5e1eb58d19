"""The Activity page's pure parts: filters read from the URL, and what a row may show of an event's detail."""

from __future__ import annotations

from datetime import date

import pytest

from webapp.activity.trail import change, mask_value, parse_filters, reason, subject_of


def test_filters_round_trip_through_the_query_string() -> None:
    args = {
        "operator": "12",
        "kind": "pii_reveal",
        "outcome": "refused",
        "subject": "cardholder:7",
        "from": "2026-11-01",
        "to": "2026-11-30",
        "scope": "all",
        "page": "3",
    }
    filters = parse_filters(args)
    assert filters.errors == {}
    assert filters.page == 3
    assert (filters.date_from, filters.date_to) == (date(2026, 11, 1), date(2026, 11, 30))
    assert parse_filters({k: str(v) for k, v in filters.params().items()}).params() == filters.params()
    assert filters.params(subject=None, operator=99)["operator"] == 99
    assert "subject" not in filters.params(subject=None)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"operator": "²"}, "operator"),
        ({"operator": "0"}, "operator"),
        ({"operator": "99999999999"}, "operator"),
        ({"kind": "everything"}, "kind"),
        ({"outcome": "maybe"}, "outcome"),
        ({"subject": "someone"}, "subject"),
        ({"subject": "cardholder:١٢"}, "subject"),
        ({"subject": "card:12"}, "subject"),
        ({"from": "01/02/2026"}, "from"),
        ({"from": "9999-12-31"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "to"),
    ],
)
def test_a_bad_value_is_named_and_dropped(args: dict[str, str], field: str) -> None:
    filters = parse_filters(args)
    assert field in filters.errors
    assert not filters.active or filters.date_from  # only the valid start of a reversed range stays


def test_personal_values_are_masked() -> None:
    assert mask_value("maria.lopez@example.com") == "m***@example.com"
    assert mask_value("ref 12345678 ok") == "ref ••••5678 ok"
    assert mask_value(["a@b.co", 7]) == "a***@b.co, 7"
    shown = reason({"email": "x", "documentNumber": "A1", "fields": ["email", "phoneNumber"], "code": 8002})
    assert shown == "code: 8002; documentNumber: •••; email: •••; fields: email, phoneNumber"
    assert change({"before": "active", "after": "inactive"}) == ("active", "inactive")
    assert change({"after": "inactive"}) is None


def test_subjects_are_typed_ids_only() -> None:
    assert subject_of("cms_user:5") == ("cms_user", 5)
    assert subject_of("ana@example.com") is None
    assert subject_of(None) is None


def test_every_action_the_console_writes_has_a_kind_and_a_label() -> None:
    """A new `record_event("...")` must be findable by kind on the Activity page and named in words."""
    import re
    from pathlib import Path

    from webapp.activity.trail import ACTION_LABELS, KINDS

    root = Path(__file__).resolve().parents[3] / "webapp"
    written: set[str] = set()
    for source in root.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        written.update(re.findall(r'record_event\(\s*"([a-z_]+)"', text))
        written.update(re.findall(r'^\s*"([a-z_]+)",\n\s*outcome=', text, flags=re.MULTILINE))
        written.update(re.findall(r'\bWrite\(\s*event="([a-z_]+)"', text))  # webapp/submit_once.py
    # built at run time: f"card_{action}", f"process_request_{action}", the session end's two names
    written |= {"card_activate", "card_block", "card_unblock", "session_expired", "session_ended"}
    written |= {f"process_request_{verb}" for verb in ("approve", "reject", "cancel")}
    assert len(written) > 25
    kinds = {action for _label, actions in KINDS.values() for action in actions}
    assert written - kinds == set()
    assert written - set(ACTION_LABELS) == set()
