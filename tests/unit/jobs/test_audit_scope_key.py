"""An audit's scope key fits its column whatever the number of partners (the store's VARCHAR(200): PostgreSQL
refuses a longer value, SQLite would keep it), and names the same partners the same way every time."""

from __future__ import annotations

from webapp.store.audit_snapshots import SCOPE_KEY_MAX, scope_key_for


def test_a_few_partners_are_named_by_their_ids() -> None:
    assert scope_key_for([3, 1, 2, 3]) == "1,2,3"


def test_a_hundred_partners_fit_the_column_and_keep_one_key() -> None:
    many = list(range(1, 101))
    key = scope_key_for(many)
    assert len(key) <= SCOPE_KEY_MAX
    assert key.startswith("sha256:")
    assert scope_key_for(list(reversed(many))) == key
    assert scope_key_for(many[:-1]) != key
