"""What an unrevealed value may show: last four of documents, a phone's tail, an email's first letter and
domain, and never more of a card number than the first six and last four digits."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from webapp.cardholders.masking import DOT, mask_document, mask_email, mask_pan, mask_phone


def test_document_keeps_the_last_four() -> None:
    assert mask_document("1234567890101") == DOT * 9 + "0101"
    assert mask_document("") == ""
    assert mask_document(None) == ""


def test_short_values_hide_at_least_half() -> None:
    assert mask_document("12K") == DOT * 2 + "K"
    assert mask_phone("1234") == DOT * 2 + "34"


def test_phone_keeps_four_of_a_full_number_three_of_a_short_one() -> None:
    assert mask_phone("50230001234") == DOT * 7 + "1234"
    assert mask_phone("30001234") == DOT * 5 + "234"


def test_email_keeps_the_first_letter_and_the_domain() -> None:
    assert mask_email("lucia.perez@example.com") == f"l{DOT * 3}@example.com"
    assert mask_email("no-at-sign") == DOT * 8 + "gn"
    assert mask_email(None) == ""


def test_upstream_masked_values_stay_masked() -> None:
    assert mask_document("*********0101") == DOT * 9 + "0101"
    assert mask_email("a***@demo.migo") == f"a{DOT * 3}@demo.migo"


def test_pan_last_four_by_default_and_bin_only_when_allowed() -> None:
    assert mask_pan("411111******1234", "1234", show_bin=False) == f"{DOT * 4} 1234"
    assert mask_pan("411111******1234", "1234", show_bin=True) == f"411111 {DOT * 6} 1234"


def test_pan_without_usable_digits_shows_nothing() -> None:
    assert mask_pan(None, None, show_bin=True) == DOT * 4
    assert mask_pan("41", "12", show_bin=True) == DOT * 4


@given(st.text(alphabet="0123456789", min_size=12, max_size=19), st.booleans())
def test_a_full_pan_never_shows_more_than_bin_and_last_four(pan: str, show_bin: bool) -> None:
    shown = mask_pan(pan, pan[-4:], show_bin=show_bin)
    digits = re.sub(r"\D", "", shown)
    assert len(digits) <= 10
    assert shown.endswith(pan[-4:])
    if show_bin:
        assert shown.startswith(pan[:6])
    else:
        assert len(digits) == 4


@given(st.text(alphabet="0123456789", min_size=5, max_size=20))
def test_a_document_never_shows_more_than_four_characters(number: str) -> None:
    shown = mask_document(number)
    assert len(shown) == len(number)
    assert len(shown.replace(DOT, "")) <= 4
