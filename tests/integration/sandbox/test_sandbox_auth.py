"""Sandbox sign-in over real HTTP: merchant signature, app and user tokens, refresh rotation, OTP, lockout.

Expiry is tested by shortening a TTL and moving the sandbox clock (`SANDBOX_CLOCK_OFFSET`), never by sleeping.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from tests.support import processes
from tests.support.keys import KeyPair, new_keypair
from tests.support.sandbox import DEMO_PASSWORD, MERCHANT, SandboxHandle
from tests.support.sandbox_login import app_token, merchant_signature, new_operator, operator
from webapp.sandbox.__main__ import _parse as parse_args
from webapp.sandbox.__main__ import build_config

ISSUER = "ali-api-cms-rest"


def code_of(resp: httpx.Response) -> str:
    body = resp.json()
    assert body["success"] is False, body
    return str(body["errors"][0]["code"])


def verify(token: str, keys: KeyPair) -> dict[str, Any]:
    """Verify as the console does: EdDSA with the sandbox's public key, audience checked."""
    return dict(jwt.decode(token, keys.public_pem, algorithms=["EdDSA"], audience=ISSUER, issuer=ISSUER))


def unique_email(label: str) -> str:
    return f"{label}.{uuid.uuid4().hex[:10]}@test.migo"


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def restore_knobs(sandbox: SandboxHandle) -> Iterator[SandboxHandle]:
    """Whatever a test changes in the runtime config is put back afterwards."""
    before = sandbox.control("GET", "/config")["config"]
    yield sandbox
    sandbox.set_config(**before)


def signed_login(
    sandbox: SandboxHandle, *, timestamp: int | None = None, key: bytes | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "merchant": sandbox.merchant_slug,
        "timestamp": stamp,
        "signature": merchant_signature(key or sandbox.merchant.private_pem, sandbox.merchant_slug, stamp),
    }


def password_login(api: httpx.Client, app: str, email: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    return api.post(
        "/app/users/login",
        json={"email": email, "password": password},
        headers={"Authorization": f"Bearer {app}"},
    )


# -- merchant login -----------------------------------------------------------------------------------------


def test_merchant_login_answers_an_eddsa_token_pair_the_console_can_verify(
    api: httpx.Client, sandbox: SandboxHandle, signing_keys: KeyPair
) -> None:
    resp = api.post("/app/auth/login", json=signed_login(sandbox))

    assert resp.status_code == 200
    data = resp.json()["data"]
    access = verify(data["accessToken"], signing_keys)
    refresh = verify(data["refreshToken"], signing_keys)
    assert (access["typ"], access["sub"]) == ("app", f"merchant:{sandbox.merchant_slug}")
    assert refresh["typ"] == "app_refresh"
    assert access["exp"] == data["expirationToken"]
    assert access["exp"] - access["iat"] == 1800
    assert jwt.get_unverified_header(data["accessToken"])["kid"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda body, sb: {
                **body,
                "signature": merchant_signature(
                    new_keypair().private_pem, sb.merchant_slug, body["timestamp"]
                ),
            },
            id="other-key",
        ),
        pytest.param(
            lambda body, sb: {**body, "timestamp": str(int(body["timestamp"]) + 1)}, id="signed-other-time"
        ),
        pytest.param(lambda body, sb: {**body, "merchant": "unknown-merchant"}, id="unknown-merchant"),
        pytest.param(lambda body, sb: {**body, "signature": "not base64!"}, id="garbled-signature"),
    ],
)
def test_merchant_login_refuses_a_bad_signature(
    api: httpx.Client, sandbox: SandboxHandle, tamper: Any
) -> None:
    resp = api.post("/app/auth/login", json=tamper(signed_login(sandbox), sandbox))

    assert resp.status_code == 401
    assert code_of(resp) == "8008"


# 302, not 301: the timestamp is whole seconds and the sandbox's clock is not, so 301 could land on 300.9.
@pytest.mark.parametrize("offset", [-302, 302])
def test_merchant_login_refuses_a_timestamp_more_than_300_s_away(
    api: httpx.Client, sandbox: SandboxHandle, offset: int
) -> None:
    resp = api.post("/app/auth/login", json=signed_login(sandbox, timestamp=int(time.time()) + offset))

    assert resp.status_code == 401
    assert code_of(resp) == "8008"


def test_plain_merchant_login_answers_the_token_pair_for_the_documented_body(
    api: httpx.Client, sandbox: SandboxHandle, signing_keys: KeyPair
) -> None:
    resp = api.post("/app/auth/login", json={"merchant": sandbox.merchant_slug})

    assert resp.status_code == 200
    data = resp.json()["data"]
    assert verify(data["accessToken"], signing_keys)["sub"] == f"merchant:{sandbox.merchant_slug}"
    assert isinstance(data["expirationToken"], int)
    assert isinstance(data["expirationRefreshToken"], int)


def test_plain_merchant_login_refuses_an_unknown_merchant(api: httpx.Client) -> None:
    resp = api.post("/app/auth/login", json={"merchant": "unknown-merchant"})

    assert resp.status_code == 401
    assert code_of(resp) == "8008"


@pytest.mark.parametrize("merchant", [" migo-console", "migo-console ", "migo console"])
def test_merchant_login_refuses_a_padded_or_spaced_merchant(api: httpx.Client, merchant: str) -> None:
    resp = api.post("/app/auth/login", json={"merchant": merchant})

    assert resp.status_code == 400
    assert [(e["code"], e["field"]) for e in resp.json()["errors"]] == [("7000", "merchant")]


def test_a_half_signed_merchant_login_names_the_missing_field(
    api: httpx.Client, sandbox: SandboxHandle
) -> None:
    resp = api.post(
        "/app/auth/login", json={"merchant": sandbox.merchant_slug, "timestamp": str(int(time.time()))}
    )

    assert resp.status_code == 400
    assert {e["field"] for e in resp.json()["errors"]} == {"signature"}


def test_merchant_login_without_a_merchant_names_it(api: httpx.Client) -> None:
    resp = api.post("/app/auth/login", json={})

    assert resp.status_code == 400
    assert {e["field"] for e in resp.json()["errors"]} == {"merchant"}


@pytest.fixture(scope="module")
def signed_only_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, KeyPair]]:
    """`python -m webapp.sandbox --app-login signed` in its own process (one sandbox per interpreter)."""
    workdir = tmp_path_factory.mktemp("signed-login")
    merchant = new_keypair()
    child = processes.start_sandbox(
        workdir,
        processes.write_keys(workdir, new_keypair(), merchant),
        extra_args=["--app-login", "signed", "--seed", "none"],
    )
    yield f"{child.url}/cms/rest", merchant
    child.stop()


def test_signed_mode_requires_timestamp_and_signature(signed_only_sandbox: tuple[str, KeyPair]) -> None:
    base_url, merchant = signed_only_sandbox
    stamp = str(int(time.time()))
    body = {"merchant": MERCHANT, "timestamp": stamp}
    body["signature"] = merchant_signature(merchant.private_pem, MERCHANT, stamp)
    with httpx.Client(base_url=base_url, timeout=30) as client:
        plain = client.post("/app/auth/login", json={"merchant": MERCHANT})
        signed = client.post("/app/auth/login", json=body)

    assert plain.status_code == 400
    assert {e["field"] for e in plain.json()["errors"]} == {"timestamp", "signature"}
    assert signed.status_code == 200


def test_the_command_line_chooses_the_app_login_mode(tmp_path: Any) -> None:
    default = build_config(parse_args(["--instance", str(tmp_path)]))
    signed = build_config(parse_args(["--instance", str(tmp_path), "--app-login", "signed"]))

    assert (default["SANDBOX_APP_LOGIN"], signed["SANDBOX_APP_LOGIN"]) == ("plain", "signed")
    with pytest.raises(SystemExit):
        parse_args(["--app-login", "maybe"])


def test_an_unknown_app_login_mode_stops_the_sandbox_from_starting(tmp_path: Any) -> None:
    from webapp.sandbox import create_sandbox_app

    with pytest.raises(ValueError, match="SANDBOX_APP_LOGIN"):
        create_sandbox_app(
            {"SANDBOX_APP_LOGIN": "loose", "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
        )


def test_a_merchant_registered_at_runtime_can_sign_in(api: httpx.Client, sandbox: SandboxHandle) -> None:
    keys = new_keypair()
    slug = f"merchant-{uuid.uuid4().hex[:8]}"
    sandbox.control("POST", "/merchants", json={"merchant": slug, "publicKey": keys.public_pem.decode()})
    stamp = str(int(time.time()))

    resp = api.post(
        "/app/auth/login",
        json={
            "merchant": slug,
            "timestamp": stamp,
            "signature": merchant_signature(keys.private_pem, slug, stamp),
        },
    )

    assert resp.status_code == 200


# -- app token refresh and expiry ---------------------------------------------------------------------------


def test_app_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(
    api: httpx.Client, sandbox: SandboxHandle
) -> None:
    first = api.post("/app/auth/login", json=signed_login(sandbox)).json()["data"]

    second = api.post("/app/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert second.status_code == 200
    rotated = second.json()["data"]
    assert rotated["refreshToken"] != first["refreshToken"]

    reused = api.post("/app/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert (reused.status_code, code_of(reused)) == (401, "8009")
    # The thief's reuse also kills the rotated token the legitimate client holds.
    after = api.post("/app/auth/refresh", json={"refreshToken": rotated["refreshToken"]})
    assert after.status_code == 401


def test_an_expired_app_token_answers_8000(api: httpx.Client, restore_knobs: SandboxHandle) -> None:
    restore_knobs.set_config(SANDBOX_APP_TOKEN_TTL=30)
    token = app_token(restore_knobs)
    assert password_login(api, token, "nobody@test.migo", "x").status_code == 401  # still valid: 8002

    restore_knobs.set_config(SANDBOX_CLOCK_OFFSET=31)
    resp = password_login(api, token, "nobody@test.migo", "x")

    assert (resp.status_code, code_of(resp)) == (401, "8000")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "Token abc"}, id="wrong-scheme"),
        pytest.param({"Authorization": "Bearer not-a-jwt"}, id="garbage"),
    ],
)
def test_user_login_without_a_valid_app_token_answers_8001(
    api: httpx.Client, headers: dict[str, str]
) -> None:
    resp = api.post("/app/users/login", json={"email": "a@b.c", "password": "x"}, headers=headers)

    assert (resp.status_code, code_of(resp)) == (401, "8001")


# -- operator login -----------------------------------------------------------------------------------------


def test_login_answers_a_pending_otp_token_accepted_only_by_the_otp_step_and_me(
    api: httpx.Client, sandbox: SandboxHandle, signing_keys: KeyPair
) -> None:
    email = unique_email("pending")
    sandbox.create_user(
        email=email, password=DEMO_PASSWORD, partners=[1], permissions={"1": ["cardholders:list"]}
    )
    app = app_token(sandbox)

    resp = password_login(api, app, email)

    assert resp.status_code == 200
    data = resp.json()["data"]
    assert data["otpRequired"] is True
    assert data["email"] == email
    claims = verify(data["accessToken"], signing_keys)
    assert (claims["typ"], claims["stage"], claims["elv"]) == ("user", "otp", 0)
    headers = {"Authorization": f"Bearer {app}", "x-user-token": f"Bearer {data['accessToken']}"}
    me = api.get("/app/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["data"]["lastLoginAt"] is None  # set only once the login OTP completes
    blocked = api.get("/app/partners", headers=headers)
    assert (blocked.status_code, code_of(blocked)) == (403, "8005")


def test_the_login_otp_completes_sign_in_and_retires_the_first_pair(
    api: httpx.Client, sandbox: SandboxHandle, signing_keys: KeyPair
) -> None:
    email = unique_email("otp")
    sandbox.create_user(
        email=email, password=DEMO_PASSWORD, partners=[1], permissions={"1": ["cardholders:list"]}
    )
    app = app_token(sandbox)
    login = password_login(api, app, email).json()["data"]
    headers = {"Authorization": f"Bearer {app}", "x-user-token": f"Bearer {login['accessToken']}"}

    challenge = api.post("/app/users/auth/otp", json={"email": email, "purpose": "login"}, headers=headers)
    assert challenge.json()["data"] == {"expiresIn": 300}
    code = sandbox.latest_otp(email)
    assert len(code) == 6
    assert code.isdigit()
    wrong = "000000" if code != "000000" else "111111"
    refused = api.put(
        "/app/users/auth/otp", json={"email": email, "otp": wrong, "purpose": "login"}, headers=headers
    )
    assert (refused.status_code, code_of(refused)) == (400, "8006")
    assert refused.json()["errors"][0]["field"] == "otp"

    verified = api.put(
        "/app/users/auth/otp", json={"email": email, "otp": code, "purpose": "login"}, headers=headers
    )

    assert verified.status_code == 200
    data = verified.json()["data"]
    claims = verify(data["accessToken"], signing_keys)
    assert claims["stage"] == "full"
    assert claims["elv"] == data["elevatedUntil"] > time.time()
    full = {"Authorization": f"Bearer {app}", "x-user-token": f"Bearer {data['accessToken']}"}
    me = api.get("/app/users/me", headers=full).json()["data"]
    assert me["lastLoginAt"] is not None
    assert api.get("/app/partners", headers=full).status_code == 200
    old_refresh = api.post("/app/users/refresh", json={"refreshToken": login["refreshToken"]})
    assert old_refresh.status_code == 401
    again = api.put(
        "/app/users/auth/otp", json={"email": email, "otp": code, "purpose": "login"}, headers=headers
    )
    assert code_of(again) == "8007"  # a code works once


def test_an_otp_request_answers_the_same_for_an_unknown_email_and_sends_nothing(
    api: httpx.Client, sandbox: SandboxHandle
) -> None:
    email = unique_email("enum")
    sandbox.create_user(email=email, password=DEMO_PASSWORD, partners=[1])
    app = app_token(sandbox)
    login = password_login(api, app, email).json()["data"]
    headers = {"Authorization": f"Bearer {app}", "x-user-token": f"Bearer {login['accessToken']}"}
    stranger = unique_email("stranger")

    own = api.post("/app/users/auth/otp", json={"email": email, "purpose": "login"}, headers=headers)
    other = api.post("/app/users/auth/otp", json={"email": stranger, "purpose": "login"}, headers=headers)

    assert own.status_code == other.status_code == 200
    assert own.json() == other.json()
    assert sandbox.mailbox(stranger) == []
    assert len(sandbox.mailbox(email)) == 1


def test_five_wrong_codes_void_the_code(api: httpx.Client, sandbox: SandboxHandle) -> None:
    email = unique_email("guess")
    sandbox.create_user(email=email, password=DEMO_PASSWORD, partners=[1])
    app = app_token(sandbox)
    login = password_login(api, app, email).json()["data"]
    headers = {"Authorization": f"Bearer {app}", "x-user-token": f"Bearer {login['accessToken']}"}
    api.post("/app/users/auth/otp", json={"email": email, "purpose": "login"}, headers=headers)
    code = sandbox.latest_otp(email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    answers = [
        code_of(
            api.put(
                "/app/users/auth/otp",
                json={"email": email, "otp": wrong, "purpose": "login"},
                headers=headers,
            )
        )
        for _ in range(5)
    ]
    right = api.put(
        "/app/users/auth/otp", json={"email": email, "otp": code, "purpose": "login"}, headers=headers
    )

    assert answers == ["8006"] * 5
    assert (right.status_code, code_of(right)) == (400, "8007")


def test_an_expired_otp_answers_8007(api: httpx.Client, restore_knobs: SandboxHandle) -> None:
    sandbox = restore_knobs
    email = unique_email("late")
    sandbox.create_user(email=email, password=DEMO_PASSWORD, partners=[1])
    app = app_token(sandbox)
    login = password_login(api, app, email).json()["data"]
    headers = {"Authorization": f"Bearer {app}", "x-user-token": f"Bearer {login['accessToken']}"}
    sandbox.set_config(SANDBOX_OTP_TTL=20)
    api.post("/app/users/auth/otp", json={"email": email, "purpose": "login"}, headers=headers)
    code = sandbox.latest_otp(email)

    sandbox.set_config(SANDBOX_CLOCK_OFFSET=21)
    resp = api.put(
        "/app/users/auth/otp", json={"email": email, "otp": code, "purpose": "login"}, headers=headers
    )

    assert (resp.status_code, code_of(resp)) == (400, "8007")


def test_wrong_password_and_unknown_email_get_the_same_answer(
    api: httpx.Client, sandbox: SandboxHandle
) -> None:
    app = app_token(sandbox)

    wrong = password_login(api, app, "carla.auditora@demo.migo", "not-her-password")
    unknown = password_login(api, app, unique_email("ghost"), "whatever")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert code_of(wrong) == "8002"


def test_repeated_failures_lock_the_account_until_the_lock_runs_out(
    api: httpx.Client, restore_knobs: SandboxHandle
) -> None:
    sandbox = restore_knobs
    email = unique_email("locked")
    sandbox.create_user(email=email, password=DEMO_PASSWORD, partners=[1])
    sandbox.set_config(SANDBOX_LOCKOUT_THRESHOLD=3, SANDBOX_LOCKOUT_SECONDS=600)
    app = app_token(sandbox)

    failures = [password_login(api, app, email, "wrong-password") for _ in range(3)]
    while_locked = password_login(api, app, email)

    assert [r.status_code for r in failures] == [401, 401, 403]
    assert code_of(failures[-1]) == "8003"
    assert (while_locked.status_code, code_of(while_locked)) == (403, "8003")
    assert 0 < int(while_locked.headers["Retry-After"]) <= 600
    sandbox.set_config(SANDBOX_CLOCK_OFFSET=601)
    assert password_login(api, app, email).status_code == 200


def _answer(resp: httpx.Response) -> tuple[int, str, bool]:
    return resp.status_code, code_of(resp), "Retry-After" in resp.headers


def test_an_unknown_email_is_counted_and_locked_exactly_like_an_operator(
    api: httpx.Client, restore_knobs: SandboxHandle
) -> None:
    """Same answers, step by step, for an operator and for an e-mail nobody has: failures, the lock, and a
    guess while locked (the operator's with the right password), and the same wait."""
    sandbox = restore_knobs
    real = unique_email("real")
    sandbox.create_user(email=real, password=DEMO_PASSWORD, partners=[1])
    sandbox.set_config(SANDBOX_LOCKOUT_THRESHOLD=3, SANDBOX_LOCKOUT_SECONDS=600)
    app = app_token(sandbox)

    def run(email: str, right_password: str) -> list[httpx.Response]:
        failures = [password_login(api, app, email, "wrong-password") for _ in range(3)]
        return [*failures, password_login(api, app, email, right_password)]

    known = run(real, DEMO_PASSWORD)
    ghost = run(unique_email("ghost"), DEMO_PASSWORD)

    assert [_answer(r) for r in known] == [_answer(r) for r in ghost]
    assert [_answer(r) for r in ghost] == [(401, "8002", False)] * 2 + [(403, "8003", True)] * 2
    assert [r.json() for r in known] == [r.json() for r in ghost]
    waits = [int(r.headers["Retry-After"]) for r in (known[-1], ghost[-1])]
    assert all(590 <= wait <= 600 for wait in waits)


def test_every_login_answer_costs_one_password_hash(
    api: httpx.Client, restore_knobs: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing without a stopwatch: the slow step (one hash check) is taken once on every path, so an unknown
    e-mail, a wrong password, a locked account and an inactive one cost the same."""
    from webapp.sandbox.routes import auth as sandbox_auth

    sandbox = restore_knobs
    locked, inactive, plain = unique_email("l"), unique_email("i"), unique_email("p")
    sandbox.create_user(email=locked, password=DEMO_PASSWORD, partners=[1], locked=True)
    sandbox.create_user(email=inactive, password=DEMO_PASSWORD, partners=[1], status="inactive")
    sandbox.create_user(email=plain, password=DEMO_PASSWORD, partners=[1])
    app = app_token(sandbox)
    checks: list[str] = []
    real_check = sandbox_auth.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checks.append(password)
        return real_check(pwhash, password)

    monkeypatch.setattr(sandbox_auth, "check_password_hash", counting)
    cases = {
        "unknown": (unique_email("u"), "wrong-password"),
        "wrong": (plain, "wrong-password"),
        "locked, right password": (locked, DEMO_PASSWORD),
        "locked, wrong password": (locked, "wrong-password"),
        "inactive": (inactive, DEMO_PASSWORD),
    }
    counts = {}
    for name, (email, password) in cases.items():
        before = len(checks)
        assert password_login(api, app, email, password).status_code in (401, 403)
        counts[name] = len(checks) - before

    assert counts == dict.fromkeys(cases, 1)


def test_a_lock_mails_the_owner_once_and_an_unknown_email_gets_nothing(
    api: httpx.Client, restore_knobs: SandboxHandle
) -> None:
    sandbox = restore_knobs
    real = unique_email("owner")
    ghost = unique_email("nobody")
    sandbox.create_user(email=real, password=DEMO_PASSWORD, partners=[1], name="Owner Person")
    sandbox.set_config(SANDBOX_LOCKOUT_THRESHOLD=2, SANDBOX_LOCKOUT_SECONDS=1800)
    app = app_token(sandbox)

    for email in (real, ghost):
        for _ in range(4):  # two to lock, two more while locked
            password_login(api, app, email, "wrong-password")

    notices = sandbox.mailbox(real)
    assert [(m["purpose"], m["code"]) for m in notices] == [("lock_notice", None)]
    assert notices[0]["subject"] == "Your Migo CMS account was locked"
    assert sandbox.mailbox(ghost) == []


def test_an_inactive_operator_is_refused_only_after_a_correct_password(
    api: httpx.Client, sandbox: SandboxHandle
) -> None:
    app = app_token(sandbox)

    right = password_login(api, app, "gabriela.inactiva@demo.migo")
    wrong = password_login(api, app, "gabriela.inactiva@demo.migo", "not-the-password")

    assert (right.status_code, code_of(right)) == (403, "8004")
    assert code_of(wrong) == "8002"


# -- user tokens --------------------------------------------------------------------------------------------


def test_x_user_token_must_carry_the_bearer_prefix(api: httpx.Client, sandbox: SandboxHandle) -> None:
    signed_in = new_operator(sandbox, unique_email("prefix"), {1: ["cardholders:list"]})
    token = signed_in.http.headers["x-user-token"].removeprefix("Bearer ")
    app = signed_in.http.headers["Authorization"]

    bare = api.get("/app/partners", headers={"Authorization": app, "x-user-token": token})
    app_as_user = api.get("/app/partners", headers={"Authorization": app, "x-user-token": app})
    fine = api.get("/app/partners", headers={"Authorization": app, "x-user-token": f"Bearer {token}"})

    assert (bare.status_code, code_of(bare)) == (401, "8001")
    assert (app_as_user.status_code, code_of(app_as_user)) == (401, "8001")
    assert fine.status_code == 200
    signed_in.close()


def test_user_refresh_rotates_keeps_the_stage_and_a_reuse_revokes_the_family(
    api: httpx.Client, sandbox: SandboxHandle, signing_keys: KeyPair
) -> None:
    signed_in = new_operator(sandbox, unique_email("rotate"), {1: ["cardholders:list"]})
    first = signed_in.refresh_token

    rotated = api.post("/app/users/refresh", json={"refreshToken": first})
    assert rotated.status_code == 200
    pair = rotated.json()["data"]
    claims = verify(pair["accessToken"], signing_keys)
    assert (claims["stage"], claims["elv"]) == ("full", 0)

    reused = api.post("/app/users/refresh", json={"refreshToken": first})
    assert (reused.status_code, code_of(reused)) == (401, "8009")
    assert api.post("/app/users/refresh", json={"refreshToken": pair["refreshToken"]}).status_code == 401
    signed_in.close()


def test_an_expired_user_token_answers_8000(restore_knobs: SandboxHandle) -> None:
    sandbox = restore_knobs
    sandbox.set_config(SANDBOX_USER_TOKEN_TTL=60)
    signed_in = new_operator(sandbox, unique_email("expiry"), {1: ["cardholders:list"]})
    assert signed_in.http.get("/app/partners").status_code == 200

    sandbox.set_config(SANDBOX_CLOCK_OFFSET=61)
    resp = signed_in.http.get("/app/partners")

    assert (resp.status_code, code_of(resp)) == (401, "8000")
    signed_in.close()


def test_a_deactivated_operator_loses_access_on_the_next_call(sandbox: SandboxHandle) -> None:
    email = unique_email("deactivated")
    signed_in = new_operator(sandbox, email, {1: ["cardholders:list"]})
    admin = operator(sandbox, "diego.admin@demo.migo")

    changed = admin.http.put(f"/app/partners/1/users/{signed_in.user_id}/status", json={"status": "inactive"})
    resp = signed_in.http.get("/app/partners")

    assert changed.status_code == 200
    assert (resp.status_code, code_of(resp)) == (403, "8004")
    signed_in.close()
    admin.close()
