"""Odd input everywhere: every route of the console's URL map, every method, as each role, with random and
hostile values (huge and negative numbers, digits that are not ASCII, control characters, NUL, very long
strings, markup, template and format strings) in the path ids, the query string and every form field the
console reads. The property: never a 500, and no markup payload comes back unescaped.

Field names are not listed by hand: they come from every form class of the app and from the names its views
read from `request.args` / `request.form`, so a new field is walked without editing this file. Bounded for CI:
a few derandomized examples per route and role, no deadline, no example database.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, Rule

from tests.integration.console.test_auth_login import csrf_from, new_operator, sign_in
from tests.integration.console.test_hostile_canary import PAYLOAD, assert_inert
from tests.support import leak_scan
from tests.support.console import make_console
from tests.support.sandbox import SandboxHandle
from webapp.parsing import ID_MAX
from webapp.sandbox.seed import OPERATORS

ROOT = Path(__file__).resolve().parents[3]
URL_VALUE_MAX = 300
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# The seeded demo roles (webapp/sandbox/seed.py), each recreated as a fresh operator with the same grants.
ROLES = {
    "maker": "ana.operadora@demo.migo",
    "approver": "bruno.aprobador@demo.migo",
    "auditor": "carla.auditora@demo.migo",
    "admin": "diego.admin@demo.migo",
}
# Routes that may end the session they are sent on; any other route that does is a finding.
MAY_SIGN_OUT = frozenset({"auth.logout"})
MARKUP = [
    PAYLOAD,
    "<script>alert(7)</script>",
    '"><svg onload=alert(7)>',
    "javascript:alert(7)//<b>bold</b>",
    "</textarea><img src=x onerror=alert(7)>",
]
HOSTILE = [
    "",
    "0",
    "-1",
    "1",
    str(ID_MAX),
    str(ID_MAX + 1),
    str(2**63),
    str(2**64),
    "-" + "9" * 30,
    "9" * 5000,  # past int()'s 4,300-digit limit
    "1e309",
    "NaN",
    "²",
    "１００",
    "١٢٣",
    "1,000.00",
    "１,０００.５０",
    "\x00",
    "1\x00",
    "a\r\nSet-Cookie: x=1",
    "\x1b[2J\x07\x08",
    "\u202egnp.exe",
    "x" * 20_000,
    "{{7*7}}{% raw %}",
    "%s%s%n%x{0}{0.__class__}${7*7}",
    "'; DROP TABLE audit_events; --",
    "../../../../etc/passwd",
    *MARKUP,
]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    TEXT,
    st.builds(lambda a, b: f"<i>{a}</i><script>{b}</script>", TEXT, TEXT),
)
PATH_IDS = st.one_of(
    st.sampled_from([1, 1, 2, 3, ID_MAX, ID_MAX + 1, 2**63, 2**64]),
    st.integers(min_value=0, max_value=2**70),
)
PATH_TEXT = st.one_of(st.sampled_from(["csv", "xlsx", "x" * 300, "..", "%00", "²"]), TEXT.filter(bool))
# Source lines where a view reads a named value from the request (or a mapping of it).
_NAMED = re.compile(r'\bname="([A-Za-z_][\w-]*)"')
_READS = re.compile(r"""(?:args|form|source|values|chosen)\.get(?:list)?\(\s*f?["']([A-Za-z_][\w-]*)""")


def form_field_names(app: Flask) -> set[str]:
    """Every field of every form class the app imported (their subclasses included)."""
    names: set[str] = set()
    pending: list[type] = [FlaskForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        for name in dir(cls):
            if type(getattr(cls, name, None)).__name__ == "UnboundField":
                names.add(name)
    return names


def request_value_names() -> set[str]:
    """Names the views read straight from the request, found in the console's source (not the sandbox's),
    and every `name="..."` a template writes by hand; `col_` is the upload mapping's prefix."""
    from webapp.uploads.checking import KIND_FIELDS

    names: set[str] = set()
    for path in (ROOT / "webapp").rglob("*.py"):
        if "sandbox" not in path.parts:
            names.update(_READS.findall(path.read_text(encoding="utf-8")))
    for path in (ROOT / "templates").rglob("*.html"):
        names.update(_NAMED.findall(path.read_text(encoding="utf-8")))
    prefixes = {name for name in names if name.endswith("_")}
    columns = {prefix + field for prefix in prefixes for fields in KIND_FIELDS.values() for field in fields}
    return (names - prefixes) | columns


@pytest.fixture(scope="module")
def console(sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_console(
        sandbox,
        tmp_path_factory.mktemp("hostile-inputs"),
        LOGIN_RATE_LIMIT="1000 per minute",
        OTP_RATE_LIMIT="1000 per minute",
    )


@pytest.fixture(scope="module")
def field_names(console: Flask) -> list[str]:
    names = (form_field_names(console) | request_value_names()) - {"csrf_token"}
    # The walk must see the fields it is meant to attack; an empty or tiny set means discovery broke.
    expected = {"page", "amount", "email", "perm", "same_as", "q", "partner_id", "limit", "col_email"}
    assert expected <= names, sorted(expected - names)
    return sorted(names)


def routes(app: Flask) -> Iterator[tuple[Rule, str]]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in METHODS:
            if method in (rule.methods or ()):
                yield rule, method


class Operator:
    """One signed-in role: its client, and a way back in when a route ended the session."""

    def __init__(self, app: Flask, sandbox: SandboxHandle, role: str) -> None:
        grants, extra = next((g, x) for email, _n, g, x in OPERATORS if email == ROLES[role])
        self.app, self.sandbox = app, sandbox
        self.email, self.password = new_operator(sandbox, partners=tuple(grants), permissions=grants, **extra)
        self.client = app.test_client()
        self.token = ""
        self.statuses: Counter[int] = Counter()
        self.sign_in()

    def sign_in(self) -> None:
        self.client = self.app.test_client()
        answer = sign_in(self.client, self.sandbox, self.email, self.password)
        assert answer.status_code in {302, 303}, answer.status_code
        self.token = self.csrf()

    def csrf(self) -> str:
        return csrf_from(self.client.get("/p/1/").get_data(as_text=True))

    def signed_in(self) -> bool:
        return self.client.get("/auth/session", headers={"HX-Request": "true"}).status_code == 200


def check(answer: Any, sent: list[str], where: str) -> None:
    assert answer.status_code != 500, f"{where}: 500 for {[v[:60] for v in sent]}"
    if answer.mimetype != "text/html":
        return
    body = answer.get_data(as_text=True)
    for value in sent:
        if re.search(r"<[A-Za-z/!]", value) and len(value) >= 6:
            assert value not in body, f"{where}: {value[:60]!r} echoed unescaped"
    assert_inert(body, where)


# Sent to every route as well as the random draws: every field at once with one of these.
EVERY_FIELD = ("²", "１００", "9" * 5000, "\x00", MARKUP[0])


def attack(operator: Operator, rule: Rule, method: str, field_names: list[str], where: str) -> None:
    """Derandomized requests to one route: odd path ids, odd values in a subset of the fields; and always
    the EVERY_FIELD values in all fields at once, and ids past 2^63 in every id of the path."""
    adapter = operator.app.url_map.bind("localhost")
    path_args = {
        name: (PATH_IDS if isinstance(converter, IntegerConverter) else PATH_TEXT)
        for name, converter in rule._converters.items()
    }
    plain = {
        name: 1 if isinstance(converter, IntegerConverter) else "csv"
        for name, converter in rule._converters.items()
    }
    huge = {name: 2**63 if value == 1 else value for name, value in plain.items()}

    def one(path: dict[str, Any], fields: dict[str, str], htmx: bool) -> None:
        url = adapter.build(rule.endpoint, path, method=method, append_unknown=False)
        headers = {"X-CSRFToken": operator.token, **({"HX-Request": "true"} if htmx else {})}
        with leak_scan.urls_typed_by_the_test():  # the long digit runs in this URL are the test's own
            answer = operator.client.open(
                url,
                method=method,
                # A real URL is short (proxies and browsers cut it near 8 KB); the long values go in the body.
                query_string={name: value[:URL_VALUE_MAX] for name, value in fields.items()},
                data=fields if method != "GET" else None,
                headers=headers,
            )
        operator.statuses[answer.status_code] += 1
        check(answer, [*fields.values(), *map(str, path.values())], where)

    for index, value in enumerate(EVERY_FIELD):
        one(plain, dict.fromkeys(field_names, value), htmx=bool(index % 2))
    one(huge, {}, htmx=False)
    settings(
        max_examples=3,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(
        given(
            path=st.fixed_dictionaries(path_args),
            fields=st.fixed_dictionaries({}, optional=dict.fromkeys(field_names, VALUES)),
            htmx=st.booleans(),
        )(one)
    )()


@pytest.mark.parametrize("role", list(ROLES))
def test_odd_input_never_breaks_a_route(
    console: Flask, sandbox: SandboxHandle, field_names: list[str], role: str
) -> None:
    operator = Operator(console, sandbox, role)
    signed_out_by: set[str] = set()
    walked = 0
    for rule, method in routes(console):
        attack(operator, rule, method, field_names, f"{role} {method} {rule.rule}")
        walked += 1
        if not operator.signed_in():
            signed_out_by.add(rule.endpoint)
            operator.sign_in()
    assert walked >= 70
    # Most of the walk got past the gate and into the views: not a run of refusals.
    assert operator.statuses[200] >= 60, operator.statuses
    assert signed_out_by <= MAY_SIGN_OUT, sorted(signed_out_by - MAY_SIGN_OUT)
