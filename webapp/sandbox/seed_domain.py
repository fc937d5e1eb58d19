"""Demo data of the card programme: Guatemalan cardholders, their cards, free card pools, balances and a few
process requests. Deterministic for a given `random.Random`; inserted in bulk so a full seed stays fast.

The platform seed (partners, users) calls `seed_domain` inside its transaction and commits afterwards.
Rows go in through Core `INSERT ... executemany`, one statement per table.
"""

from __future__ import annotations

import calendar
import hashlib
import random
import struct
import unicodedata
import zlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from flask import current_app, has_app_context
from sqlalchemy import Table, insert

from webapp.sandbox.clock import utcnow
from webapp.sandbox.db import Base, session
from webapp.sandbox.domain_models import Balance, Card, Cardholder, ProcessRequest

FREE_CARDS_PER_PARTNER = 520
CARDHOLDERS_AFTER_FIRST = (150, 40)
OTHER_PARTNER_CARDHOLDERS = 20
OPENING_BALANCES = (Decimal("250000.00"), Decimal("75000.00"), Decimal("12500.00"))
FIRST_CARD_ID = 500001
BINS = ("410000", "520000")

# fmt: off
FEMALE_NAMES = (
    "María", "Ana", "Lucía", "Sofía", "Gabriela", "Andrea", "Carmen", "Rosa", "Marta", "Claudia", "Paola",
    "Fernanda", "Valeria", "Alejandra", "Ingrid", "Mónica", "Brenda", "Karla", "Elena", "Isabel", "Juana",
    "Dulce", "Rocío", "Silvia", "Patricia", "Lesbia", "Vilma", "Olga", "Hilda", "Glendy",
)
FEMALE_SECOND = (
    "José", "Lucía", "Fernanda", "Isabel", "Alejandra", "Guadalupe", "del Carmen", "Elena", "Sofía",
)
MALE_NAMES = (
    "José", "Juan", "Carlos", "Luis", "Jorge", "Mario", "Pedro", "Francisco", "Manuel", "Diego", "Andrés",
    "Javier", "Rodrigo", "Alejandro", "Fernando", "Ricardo", "Sergio", "Edgar", "Byron", "Otto", "Erick",
    "Marvin", "Walter", "Hugo", "Rony", "Selvin", "Kevin", "Héctor", "Julio", "Óscar",
)
MALE_SECOND = ("Luis", "Carlos", "Antonio", "Manuel", "Alberto", "Fernando", "David", "Rafael", "Enrique")
SURNAMES = (
    "Ajú", "Xicará", "Núñez", "López", "García", "Pérez", "Hernández", "Morales", "Cux", "Tzoc", "Batz",
    "Chávez", "Ramírez", "Gómez", "Rodríguez", "Martínez", "Castillo", "Méndez", "Orellana", "Cifuentes",
    "Barrios", "Juárez", "Estrada", "Sandoval", "Quiñónez", "Coyoy", "Tuyuc", "Sicán", "Chocooj", "Xoyón",
    "Par", "Ixcot", "Cojtí", "Tum", "Son", "Velásquez", "Monterroso", "Aguilar", "Recinos", "Arévalo",
    "Girón", "De León", "Mazariegos", "Samayoa", "Villatoro", "Alvarado", "Solórzano", "Contreras",
)
PLACES = (
    ("Guatemala", 1, 25), ("Mixco", 1, 11), ("Villa Nueva", 1, 12), ("Quetzaltenango", 1, 11),
    ("Antigua Guatemala", 1, 1), ("Cobán", 1, 12), ("Escuintla", 1, 5), ("Huehuetenango", 1, 5),
    ("San Miguel Petapa", 1, 8), ("Chimaltenango", 1, 4), ("Santa Catarina Pinula", 1, 5),
)
# fmt: on
STREET_KINDS = ("Avenida", "Calle")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "correo.example.gt")
COUNTRIES_ABROAD = ("SV", "HN", "MX", "NI", "CR", "US")
OTHER_DOCUMENTS = ("PASSPORT", "LEGAL_ID", "PERSONAL_ID", "RESIDENCE_ID")
OBSERVATIONS = (
    "Recarga para dispersión de nómina quincenal.",
    "Fondeo de tarjetas de viáticos del equipo de ventas.",
    "Recarga mensual del programa de incentivos.",
    "Depósito por transferencia ACH, ver comprobante adjunto.",
    "Fondeo extraordinario por campaña de fin de año.",
    "Reposición de saldo por ajuste contable.",
)


def _table(model: type[Base]) -> Table:
    """The model's Core table: Core executemany inserts thousands of rows in one statement."""
    return cast(Table, model.__table__)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and c.isascii()).lower()


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial + digit` pass the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def _pan(rng: random.Random, bin_prefix: str, taken: set[str]) -> str:
    while True:
        partial = f"{bin_prefix}{rng.randrange(10**9):09d}"
        pan = partial + luhn_check_digit(partial)
        if pan not in taken:
            taken.add(pan)
            return pan


def _month_end(moment: datetime, years: int) -> date:
    year = moment.year + years
    return date(year, moment.month, calendar.monthrange(year, moment.month)[1])


def _person(rng: random.Random) -> tuple[str, str, str]:
    """(name, lastName, gender)."""
    gender = rng.choices(("F", "M", "OTHER"), weights=(49, 49, 2))[0]
    if gender == "F" or (gender == "OTHER" and rng.random() < 0.5):
        first, second = FEMALE_NAMES, FEMALE_SECOND
    else:
        first, second = MALE_NAMES, MALE_SECOND
    name = rng.choice(first)
    if rng.random() < 0.55:
        name = f"{name} {rng.choice(second)}"
    last_name = f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
    return name, last_name, gender


def _phone(rng: random.Random) -> str:
    """A Guatemalan number libphonenumber calls valid: mobiles start 3, 4 or 5; landlines 2 then 2-9.
    The same two draws as before, so every later seeded value stays what it was."""
    first, rest = rng.choice("2345"), f"{rng.randint(0, 9999999):07d}"
    if first == "2" and rest[0] in "01":
        first = "3"  # 20… and 21… are no Guatemalan numbers: read them as mobiles instead
    return f"502{first}{rest}"


def _address(rng: random.Random) -> str:
    place, low_zone, high_zone = rng.choice(PLACES)
    number = rng.randint(1, 30)
    suffix = "a" if rng.random() < 0.5 else "a."
    return (
        f"{number}{suffix} {rng.choice(STREET_KINDS)} {rng.randint(1, 40)}-{rng.randint(1, 99):02d}, "
        f"Zona {rng.randint(low_zone, high_zone)}, {place}"
    )


def _document(rng: random.Random, taken: set[tuple[str, str]]) -> tuple[str, str]:
    while True:
        roll = rng.random()
        if roll < 0.85:
            kind = "DPI"
            # eight digits, a check digit, then department and municipality codes
            serial = f"{rng.randint(10_000_000, 99_999_999)}{rng.randint(0, 9)}"
            number = f"{serial}{rng.randint(1, 22):02d}{rng.randint(1, 30):02d}"
        elif roll < 0.93:
            kind = "NIT"
            number = str(rng.randint(100000, 99999999)) + ("K" if rng.random() < 0.1 else "")
        elif roll < 0.98:
            kind = "PASSPORT"
            number = rng.choice("AGP") + str(rng.randint(10000000, 99999999))
        else:
            kind = rng.choice(OTHER_DOCUMENTS[1:])
            number = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10))
        if (kind, number) not in taken:
            taken.add((kind, number))
            return kind, number


def _email(rng: random.Random, name: str, last_name: str, taken: set[str]) -> str:
    base = f"{_ascii(name.split()[0])}.{_ascii(last_name.split()[0])}"
    domain = rng.choice(EMAIL_DOMAINS)
    candidate = f"{base}@{domain}"
    while candidate in taken:
        candidate = f"{base}{rng.randint(1, 9999)}@{domain}"
    taken.add(candidate)
    return candidate


def _cardholder_rows(rng: random.Random, partner_id: int, count: int, now: datetime) -> list[dict[str, Any]]:
    emails: set[str] = set()
    documents: set[tuple[str, str]] = set()
    rows = []
    for _ in range(count):
        name, last_name, gender = _person(rng)
        document_type, document_number = _document(rng, documents)
        created = now - timedelta(seconds=rng.randint(3600, 730 * 86400))
        status = rng.choices(("active", "inactive", "closed"), weights=(88, 8, 4))[0]
        closed_at = created + (now - created) * rng.random() if status == "closed" else None
        born = now.date() - timedelta(days=rng.randint(19 * 365, 75 * 365))
        rows.append(
            {
                "partner_id": partner_id,
                "name": name,
                "last_name": last_name,
                "address": _address(rng),
                "country_of_birth": "GT" if rng.random() < 0.93 else rng.choice(COUNTRIES_ABROAD),
                "date_of_birth": born,
                "marital_status": rng.choices(
                    ("soltero", "casado", "viudo", "divorciado", "separado"), weights=(45, 40, 4, 7, 4)
                )[0],
                "gender": gender,
                "phone_number": _phone(rng),
                "email": _email(rng, name, last_name, emails),
                "document_type": document_type,
                "document_number": document_number,
                "status": status,
                "created_at": created,
                "updated_at": closed_at or created + (now - created) * rng.random() * 0.2,
                "closed_at": closed_at,
                "close_reason": "Solicitud del tarjetahabiente" if closed_at else None,
            }
        )
    return rows


def _card_status(rng: random.Random, holder_status: str) -> str:
    if holder_status == "closed":
        return "cancelled"
    if holder_status == "inactive":
        return rng.choice(("inactive", "blocked"))
    return rng.choices(("active", "inactive", "blocked"), weights=(82, 10, 8))[0]


def _cards_for(
    rng: random.Random,
    holders: list[dict[str, Any]],
    partner_id: int,
    currency: str,
    bin_prefix: str,
    pans: set[str],
    now: datetime,
) -> list[dict[str, Any]]:
    cards = []
    for holder in holders:
        for extra in range(2 if rng.random() < 0.1 else 1):
            status = _card_status(rng, holder["status"])
            if extra and status == "active" and rng.random() < 0.5:
                status = "cancelled"
            created = holder["created_at"] + timedelta(minutes=rng.randint(0, 60 * 24 * (30 * extra + 1)))
            created = min(created, now)
            cards.append(
                {
                    "partner_id": partner_id,
                    "pan": _pan(rng, bin_prefix, pans),
                    "status": status,
                    "balance": Decimal(rng.randint(0, 500000)) / 100 if status != "cancelled" else Decimal(0),
                    "currency": currency,
                    "expires_at": _month_end(created, rng.randint(3, 5)),
                    "cardholder_id": holder["id"],
                    "created_at": created,
                }
            )
    return cards


def _free_cards(
    rng: random.Random, partner_id: int, currency: str, bin_prefix: str, pans: set[str], now: datetime
) -> list[dict[str, Any]]:
    created = now - timedelta(days=rng.randint(5, 60))
    return [
        {
            "partner_id": partner_id,
            "pan": _pan(rng, bin_prefix, pans),
            "status": "inactive",
            "balance": Decimal("0.00"),
            "currency": currency,
            "expires_at": _month_end(created, 5),
            "cardholder_id": None,
            "created_at": created,
        }
        for _ in range(FREE_CARDS_PER_PARTNER)
    ]


def tiny_png() -> bytes:
    """A valid 8x8 PNG in the partner's brand green, built with zlib so no image library is needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes((0x1B, 0x7F, 0x4A)) * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF with an exact cross-reference table, so strict readers open it too."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _find_user(users: list[Any], prefix: str, fallback: int) -> Any:
    for user in users:
        if str(user.email).startswith(prefix):
            return user
    return users[min(fallback, len(users) - 1)]


def _process_requests(
    rng: random.Random, partner_id: int, currency: str, users: list[Any], now: datetime
) -> list[dict[str, Any]]:
    requester = _find_user(users, "ana.operadora", 0)
    approver = _find_user(users, "bruno.aprobador", 1)
    statuses = ["pending"] * 5 + ["approved"] * 4 + ["rejected"] * 2 + ["cancelled"]
    rows = []
    for index, status in enumerate(statuses):
        created = now - timedelta(days=rng.randint(1, 120), minutes=rng.randint(0, 1440))
        if index % 2:
            evidence, name, kind = tiny_png(), f"comprobante-{index + 1}.png", "image/png"
        else:
            evidence = tiny_pdf(f"Comprobante de deposito {index + 1}")
            name, kind = f"comprobante-{index + 1}.pdf", "application/pdf"
        decided = status in ("approved", "rejected")
        decided_at = created + timedelta(hours=rng.randint(1, 48)) if status != "pending" else None
        rows.append(
            {
                "partner_id": partner_id,
                "requested_amount": Decimal(rng.randint(500_000, 15_000_000)) / 100,
                "currency": currency,
                "observations": rng.choice(OBSERVATIONS),
                "status": status,
                "requested_by": requester.id,
                "decided_by": approver.id if decided else (requester.id if status == "cancelled" else None),
                "decision_reason": (
                    "Comprobante verificado."
                    if status == "approved"
                    else "El comprobante no coincide con el monto."
                    if status == "rejected"
                    else "Solicitud duplicada."
                    if status == "cancelled"
                    else None
                ),
                "evidence": evidence,
                "evidence_file_name": name,
                "evidence_content_type": kind,
                "evidence_size": len(evidence),
                "evidence_sha256": hashlib.sha256(evidence).hexdigest(),
                "created_at": created,
                "updated_at": decided_at or created,
                "decided_at": decided_at,
            }
        )
    rows.sort(key=lambda row: row["created_at"])
    return rows


def seed_domain(rng: random.Random, partners: list[Any], users: list[Any]) -> dict[str, Any]:
    """Insert the demo card programme for `partners` (platform `Partner` rows, flushed) and answer counts."""
    now = utcnow()
    first_count = 2400
    if has_app_context():
        first_count = int(current_app.config.get("SANDBOX_SEED_CARDHOLDERS", 2400))
    ordered = sorted(partners, key=lambda partner: partner.partner_id)
    counts = [first_count, *CARDHOLDERS_AFTER_FIRST]

    holders_by_partner: dict[int, list[dict[str, Any]]] = {}
    for index, partner in enumerate(ordered):
        count = counts[index] if index < len(counts) else OTHER_PARTNER_CARDHOLDERS
        holders_by_partner[partner.partner_id] = _cardholder_rows(rng, partner.partner_id, count, now)

    # Ids grow with creation time across all partners, as a real sequence would.
    everyone = sorted(
        (h for rows in holders_by_partner.values() for h in rows), key=lambda h: h["created_at"]
    )
    for number, holder in enumerate(everyone, start=1):
        holder["id"] = number
    if everyone:
        session.execute(insert(_table(Cardholder)), everyone)

    pans: set[str] = set()
    cards: list[dict[str, Any]] = []
    free_total = 0
    for index, partner in enumerate(ordered):
        currency = partner.currency or "GTQ"
        bin_prefix = BINS[index % len(BINS)]
        cards += _cards_for(
            rng, holders_by_partner[partner.partner_id], partner.partner_id, currency, bin_prefix, pans, now
        )
        free = _free_cards(rng, partner.partner_id, currency, bin_prefix, pans, now)
        free_total += len(free)
        cards += free
    cards.sort(key=lambda card: card["created_at"])
    for number, card in enumerate(cards, start=FIRST_CARD_ID):
        card["id"] = number
    if cards:
        session.execute(insert(_table(Card)), cards)

    balances = [
        {
            "client_id": partner.partner_id,
            "available": OPENING_BALANCES[index] if index < len(OPENING_BALANCES) else Decimal("5000.00"),
            "currency": partner.currency or "GTQ",
            "created_at": now - timedelta(days=730),
            "updated_at": now - timedelta(days=rng.randint(0, 5)),
        }
        for index, partner in enumerate(ordered)
    ]
    if balances:
        session.execute(insert(_table(Balance)), balances)

    requests: list[dict[str, Any]] = []
    if ordered and users:
        requests = _process_requests(rng, ordered[0].partner_id, ordered[0].currency or "GTQ", users, now)
        session.execute(insert(_table(ProcessRequest)), requests)

    return {
        "cardholders": len(everyone),
        "cards": len(cards) - free_total,
        "freeCards": free_total,
        "balances": len(balances),
        "processRequests": len(requests),
    }
