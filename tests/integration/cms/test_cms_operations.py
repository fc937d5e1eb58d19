"""Every read and write operation through the client against the sandbox, with the main error paths."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest

from tests.integration.cms.conftest import ANA, CARLA, DIEGO, SessionHolder
from webapp.cms import CmsClient, errors, models
from webapp.cms.models import PermissionSpec


def _new_cardholder(card_id: int) -> models.NewCardholder:
    rng = random.Random(uuid.uuid4().int)
    return models.NewCardholder(
        name="María José",
        last_name="Ajú Xicará",
        address="5a Avenida 10-20, Zona 1, Guatemala",
        country_of_birth="GT",
        date_of_birth="1991-04-12",
        marital_status="soltero",
        gender="F",
        phone_number=f"5023{rng.randrange(10**7):07d}",
        email=f"mj.{uuid.uuid4().hex[:8]}@example.com",
        document_type="DPI",
        document_number=f"{rng.randrange(10**12, 10**13)}",
        card_id=card_id,
    )


def test_partners_and_balance(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    holder = sign_in(ANA)
    partners = cms.partners.list(holder)
    assert [p.partner_id for p in partners] == [1, 2]
    detail = cms.partners.get(holder, 1)
    assert detail.name == partners[0].name
    assert detail.currency == "GTQ"
    balance = cms.partners.balance(holder, 1)
    assert isinstance(balance.available, Decimal)
    assert balance.currency == "GTQ"


def test_unassigned_partner_is_partner_forbidden(
    cms: CmsClient, sign_in: Callable[..., SessionHolder]
) -> None:
    holder = sign_in(ANA)
    with pytest.raises(errors.PartnerForbidden):
        cms.partners.balance(holder, 3)


def test_cardholder_list_paging_search_and_sort(
    cms: CmsClient, sign_in: Callable[..., SessionHolder]
) -> None:
    holder = sign_in(ANA)
    first = cms.cardholders.list(holder, 1, page=1, limit=5)
    assert len(first.items) == 5
    assert first.total >= 2400
    assert first.total_pages == (first.total + 4) // 5
    second = cms.cardholders.list(holder, 1, page=2, limit=5)
    assert {c.cardholder_id for c in first.items}.isdisjoint({c.cardholder_id for c in second.items})
    target = first.items[0]
    assert target.email is not None
    found = cms.cardholders.list(holder, 1, search=target.email)
    assert target.cardholder_id in {c.cardholder_id for c in found.items}
    by_name = cms.cardholders.list(holder, 1, limit=20, sort_by="name", sort_order="asc")
    names = [c.name for c in by_name.items]
    assert names == sorted(names, key=str.lower) or names == sorted(names)
    with pytest.raises(errors.ValidationFailed):
        cms.cardholders.list(holder, 1, sort_by="password")


def test_create_detail_update_close_cardholder(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    holder = sign_in(ANA)
    free = cms.cards.free(holder, 1, page=1, limit=5)
    assert free.items
    new = _new_cardholder(free.items[0].card_id)
    created = cms.cardholders.create(holder, 1, new, idempotency_key=str(uuid.uuid4()))
    assert created.name == "María José"
    assert created.status == "active"

    masked_client_view = cms.cardholders.detail(holder, 1, created.cardholder_id)
    assert masked_client_view.cardholder_id == created.cardholder_id
    assert [c.card_id for c in masked_client_view.cards] == [new.card_id]
    assert cms.cards.of_cardholder(holder, 1, created.cardholder_id)[0].card_id == new.card_id

    updated = cms.cardholders.update(holder, 1, created.cardholder_id, {"address": "Zona 10", "status": "x"})
    assert updated.address == "Zona 10"
    assert updated.status == "active"

    closed = cms.cardholders.close(holder, 1, created.cardholder_id, "customer request")
    assert closed.status == "closed"
    assert closed.closed_at is not None
    with pytest.raises(errors.Conflict):
        cms.cardholders.close(holder, 1, created.cardholder_id, "again")


def test_create_errors_keep_fields_and_codes(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    holder = sign_in(ANA)
    free = cms.cards.free(holder, 1, page=1, limit=5).items
    bad = {
        **_new_cardholder(free[1].card_id).to_api(),
        "dateOfBirth": "1990-02-31",
        "countryOfBirth": "Guatemala",
    }
    with pytest.raises(errors.ValidationFailed) as info:
        cms.cardholders.create(holder, 1, bad, idempotency_key=str(uuid.uuid4()))
    assert {"dateOfBirth", "countryOfBirth"} <= set(info.value.field_errors())
    assert info.value.code == "7000"

    first = _new_cardholder(free[2].card_id)
    cms.cardholders.create(holder, 1, first, idempotency_key=str(uuid.uuid4()))
    duplicate = _new_cardholder(free[3].card_id)
    duplicate = models.NewCardholder(**{**duplicate.__dict__, "email": first.email})
    with pytest.raises(errors.Conflict) as dup:
        cms.cardholders.create(holder, 1, duplicate, idempotency_key=str(uuid.uuid4()))
    assert dup.value.code == "8013"


def test_idempotent_create_replays_instead_of_creating_twice(
    cms: CmsClient, sign_in: Callable[..., SessionHolder]
) -> None:
    holder = sign_in(ANA)
    card = cms.cards.free(holder, 1, page=1, limit=10).items[4].card_id
    new = _new_cardholder(card)
    key = str(uuid.uuid4())
    one = cms.cardholders.create(holder, 1, new, idempotency_key=key)
    two = cms.cardholders.create(holder, 1, new, idempotency_key=key)
    assert one.cardholder_id == two.cardholder_id
    changed = models.NewCardholder(**{**new.__dict__, "name": "Otra"})
    with pytest.raises(errors.Conflict) as info:
        cms.cardholders.create(holder, 1, changed, idempotency_key=key)
    assert info.value.code == "8022"


def test_missing_cardholder_is_not_found(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    with pytest.raises(errors.NotFound) as info:
        cms.cardholders.detail(sign_in(ANA), 1, 987654321)
    assert info.value.code == "8012"


def test_otp_guarded_reveal(
    make_cms: Callable[..., CmsClient], sign_in: Callable[..., SessionHolder]
) -> None:
    """An elevated token reveals; after a refresh (not elevated) the record is masked."""
    eager = make_cms(refresh_margin=100_000)
    holder = sign_in(ANA, client=eager)
    some = eager.cardholders.list(holder, 1, limit=1).items[0]
    plain = eager.cardholders.detail(holder, 1, some.cardholder_id)  # the call refreshed first: not elevated
    assert plain.pii_masked is True
    assert plain.document_number is not None
    assert plain.document_number != some.document_number


def test_card_state_machine(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    holder = sign_in(ANA)
    card = cms.cards.free(holder, 1, page=1, limit=10).items[5]
    new = _new_cardholder(card.card_id)
    cms.cardholders.create(holder, 1, new, idempotency_key=str(uuid.uuid4()))
    assert cms.cards.activate(holder, 1, card.card_id).status == "active"
    assert cms.cards.block(holder, 1, card.card_id, "lost").status == "blocked"
    with pytest.raises(errors.Conflict):
        cms.cards.activate(holder, 1, card.card_id)
    assert cms.cards.unblock(holder, 1, card.card_id).status == "active"


def test_permission_denied_for_a_read_only_operator(
    cms: CmsClient, sign_in: Callable[..., SessionHolder]
) -> None:
    holder = sign_in(CARLA)
    with pytest.raises(errors.PermissionDenied) as info:
        cms.cardholders.close(holder, 1, 1, "no")
    assert info.value.code == "8011"


def test_users_and_permissions_admin_flow(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    admin = sign_in(DIEGO)
    me = cms.auth.me(admin)
    assert me.is_admin
    email = f"new-{uuid.uuid4().hex[:8]}@test.migo"
    user = cms.users.create(admin, 1, email, "Nuevo Operador", "Una-Clave-Larga-2026!", str(uuid.uuid4()))
    assert user.email == email
    assert cms.users.get(admin, 1, user.id).id == user.id
    listed = cms.users.list(admin, 1, search=email)
    assert [u.id for u in listed.items] == [user.id]
    renamed = cms.users.update(admin, 1, user.id, name="Nombre Nuevo")
    assert renamed.name == "Nombre Nuevo"
    assert cms.users.set_status(admin, 1, user.id, "inactive").status == "inactive"

    modules = cms.permissions.modules(admin)
    by_key = {p.key: p for m in modules for p in m.permissions}
    target = by_key["cardholders:list"]
    granted = cms.permissions.grant(admin, user.id, [(target.permission_id, 1)])
    assert "cardholders:list" in granted[0].permission_keys()
    assert "cardholders:list" in cms.permissions.of_user(admin, user.id, 1).permission_keys()
    revoked = cms.permissions.revoke(admin, user.id, [(target.permission_id, 1)])
    assert "cardholders:list" not in revoked[0].permission_keys()

    with pytest.raises(errors.Forbidden) as self_edit:
        cms.permissions.grant(admin, me.id, [(target.permission_id, 1)])
    assert self_edit.value.code == "8024"


def test_create_permission_is_admin_only(cms: CmsClient, sign_in: Callable[..., SessionHolder]) -> None:
    spec = PermissionSpec(resource=f"reports-{uuid.uuid4().hex[:6]}", action="export", description="Export")
    created = cms.permissions.create(sign_in(DIEGO), [spec])
    assert [p.key for p in created] == [f"{spec.resource}:export"]
    with pytest.raises(errors.PermissionDenied):
        cms.permissions.create(sign_in(ANA), [PermissionSpec("x", "y")])
