"""The history presenter (webapp/history.py): audit rows into readable lines, masked, repeats collapsed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from webapp.history import history_lines, masked_fields
from webapp.store.models import AuditEvent

T0 = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def event(
    action: str, *, at: datetime = T0, actor: int = 1, outcome: str = "success", **detail: Any
) -> AuditEvent:
    return AuditEvent(
        occurred_at=at,
        action=action,
        outcome=outcome,
        actor_id=actor,
        actor_email=f"op{actor}@example.com",
        detail=detail or None,
    )


def test_masked_fields_keep_nothing_personal_whole() -> None:
    masked = masked_fields(
        {
            "name": "Lucía",
            "address": "5a Avenida 10-20, Zona 1",
            "phoneNumber": "+50251234567",
            "email": "lucia.perez@example.com",
            "documentNumber": "1234567890123",
            "dateOfBirth": "1990-04-12",
            "maritalStatus": "casado",
        }
    )
    assert masked == {
        "name": "L•••",
        "address": "5•••",
        "phoneNumber": "••••••••4567",
        "email": "l•••@example.com",
        "documentNumber": "•••••••••0123",
        "dateOfBirth": "1990-••-••",
        "maritalStatus": "casado",
    }
    # Masking what is already masked changes nothing: the lines mask again on the way out.
    assert masked_fields(masked) == masked


def test_an_edit_names_the_fields_as_the_form_does_in_its_order_with_before_and_after() -> None:
    (line,) = history_lines(
        [
            event(
                "cardholder_update",
                fields=["phoneNumber", "address"],
                before={"phoneNumber": "••••••••4567", "address": "5•••"},
                after={"phoneNumber": "••••••••9876", "address": "C•••"},
            )
        ],
        {"cardholder_update": "Edited"},
    )
    assert line.label == "Edited"
    assert line.fields == ("Address", "Phone number")
    assert [(c.field, c.before, c.after) for c in line.changes] == [
        ("Address", "5•••", "C•••"),
        ("Phone number", "••••••••4567", "••••••••9876"),
    ]


def test_a_value_stored_unmasked_is_masked_on_the_way_out() -> None:
    (line,) = history_lines(
        [
            event(
                "cms_user_update",
                changed=["email"],
                before={"email": "ana@x.org"},
                after={"email": "bo@x.org"},
            )
        ]
    )
    assert line.label == "User edited"  # the Activity page's label when the page has none of its own
    assert [(c.before, c.after) for c in line.changes] == [("a•••@x.org", "b•••@x.org")]


def test_reason_granted_revoked_and_refusal_codes() -> None:
    changed, refused = history_lines(
        [
            event(
                "permissions_change",
                before=["a:list"],
                after=["b:list"],
                granted=["b:list"],
                revoked=["a:list"],
                reason="Moves team",
            ),
            event("permissions_change", outcome="refused", reason="self", at=T0 - timedelta(hours=1)),
        ]
    )
    assert (changed.granted, changed.revoked, changed.reason) == (("b:list",), ("a:list",), "Moves team")
    assert changed.changes == ()  # the lists say it; before/after of a whole grid would not be read
    assert not changed.reason_is_code
    assert refused.reason == "Nobody changes their own permissions."
    assert refused.reason_is_code


def test_a_card_is_named_by_the_pages_masked_number() -> None:
    known, unknown = history_lines(
        [event("card_block", card_id=7, reason="Lost"), event("card_block", card_id=8)],
        cards={7: "•••• 1234"},
    )
    assert (known.card, known.reason) == ("•••• 1234", "Lost")
    assert unknown.card == "#8"


def test_repeated_views_by_one_person_within_five_minutes_collapse_with_a_count() -> None:
    viewed = "process_request_evidence_viewed"
    lines = history_lines(
        [
            event(viewed, at=T0),
            event(viewed, at=T0 - timedelta(minutes=1)),
            event(viewed, at=T0 - timedelta(minutes=4)),
            event(viewed, at=T0 - timedelta(minutes=6)),  # past the window of the run's newest
            event(viewed, at=T0 - timedelta(minutes=7), actor=2),  # someone else
            event("process_request_approve", at=T0 - timedelta(minutes=8), actor=2),
            event(viewed, at=T0 - timedelta(minutes=9), actor=2),
        ]
    )
    assert [(line.action, line.actor_id, line.count) for line in lines] == [
        (viewed, 1, 3),
        (viewed, 1, 1),
        (viewed, 2, 1),
        ("process_request_approve", 2, 1),
        (viewed, 2, 1),  # not folded across another event
    ]
    assert lines[0].first_at == T0 - timedelta(minutes=4)


def test_changes_are_never_collapsed() -> None:
    lines = history_lines([event("cardholder_update", fields=["address"]) for _ in range(3)])
    assert [line.count for line in lines] == [1, 1, 1]
