"""The audit's rules on their own: sensitive categories, risky combinations, dormancy, and the snapshot diff
(including a property: applying the diff to the older run gives the newer one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from webapp.audit.data import AuditData, AuditUser
from webapp.audit.rules import category_of, changes, is_dormant, matrix, risk_flags

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _user(uid: int, days_ago: int | None = 1) -> AuditUser:
    last = None if days_ago is None else NOW - timedelta(days=days_ago)
    return AuditUser(uid, f"User {uid}", f"u{uid}@test.migo", "active", False, last)


def test_sensitive_categories() -> None:
    assert category_of("cards-admin:addFunds") == "money"
    assert category_of("cards-admin:transfer") == "money"
    assert category_of("cards-admin:block") is None
    assert category_of("balance-management:list") == "balance"
    assert category_of("cardholders:otp") == "pii"
    assert category_of("cardholders:detail") == "pii"
    assert category_of("cardholders:list") is None
    assert category_of("users:list") == "user_admin"


def test_risky_combinations() -> None:
    assert risk_flags(frozenset({"balance-management:create", "approvals:update"})) == ["maker_checker"]
    assert risk_flags(frozenset({"balance-management:create", "approvals:list"})) == []
    assert risk_flags(frozenset({"users:update", "cards-admin:withdrawFunds"})) == ["admin_and_money"]
    assert (
        risk_flags(frozenset({"users:list", "cards-admin:withdrawFunds"})) == []
    )  # reading is not administering


def test_dormancy_threshold_and_never_signed_in() -> None:
    assert is_dormant(_user(1, days_ago=90), NOW, 90)
    assert not is_dormant(_user(1, days_ago=89), NOW, 90)
    assert is_dormant(_user(1, days_ago=None), NOW, 90)
    naive_as_of = NOW.replace(tzinfo=None)  # SQLite gives timestamps back without a zone
    assert is_dormant(_user(1, days_ago=120), naive_as_of, 90)


def test_matrix_flags_dormant_only_with_sensitive_permissions() -> None:
    data = AuditData(
        partners={1: "P"},
        users={1: _user(1, 200), 2: _user(2, 200)},
        grants={1: {1: frozenset({"users:update"}), 2: frozenset({"cardholders:list"})}},
    )
    rows = {r.user.id: r for r in matrix(data, NOW, 90)}
    assert rows[1].dormant_with_sensitive
    assert not rows[2].dormant_with_sensitive


def test_changes_name_who_gained_and_lost_what() -> None:
    before = AuditData(
        {1: "P"}, {1: _user(1), 2: _user(2)}, {1: {1: frozenset({"a:x", "b:y"}), 2: frozenset({"c:z"})}}
    )
    after = AuditData(
        {1: "P"}, {1: _user(1), 3: _user(3)}, {1: {1: frozenset({"a:x", "d:w"}), 3: frozenset({"e:v"})}}
    )
    found = {(c.user_id, c.gained, c.lost) for c in changes(before, after)}
    assert found == {(1, ("d:w",), ("b:y",)), (2, (), ("c:z",)), (3, ("e:v",), ())}
    assert changes(after, after) == []


_perms = st.frozensets(st.sampled_from(["a:x", "b:y", "c:z", "d:w"]), max_size=4)
_grants = st.dictionaries(
    st.integers(1, 2), st.dictionaries(st.integers(1, 4), _perms, max_size=4), max_size=2
)


def _held(grants: dict[int, dict[int, frozenset[str]]]) -> dict[tuple[int, int], frozenset[str]]:
    return {(pid, uid): perms for pid, by_user in grants.items() for uid, perms in by_user.items() if perms}


@given(_grants, _grants)
def test_applying_the_changes_to_the_older_run_gives_the_newer(
    old: dict[int, dict[int, frozenset[str]]], new: dict[int, dict[int, frozenset[str]]]
) -> None:
    users = {uid: _user(uid) for uid in range(1, 5)}
    before, after = AuditData({}, users, old), AuditData({}, users, new)
    rebuilt = {pid: dict(by_user) for pid, by_user in old.items()}
    for change in changes(before, after):
        held = rebuilt.setdefault(change.partner_id, {}).get(change.user_id, frozenset())
        rebuilt[change.partner_id][change.user_id] = (held - set(change.lost)) | set(change.gained)
    assert _held(rebuilt) == _held(new)
