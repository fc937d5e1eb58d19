"""/metrics against the sandbox: who may read it, and what the console counts.

Metrics live in the process's default registry, shared by every test of the run, so each test compares a
value before and after what it does. The test client calls from 127.0.0.1; `OUTSIDE` is a caller elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.console.test_auth_login import PARTNER_A, new_operator, sign_in
from tests.integration.console.test_cardholders_detail import REVEALER
from tests.integration.console.test_cardholders_list import seeded_cardholder
from tests.integration.console.test_step_up import code_for, reveal
from tests.support.console import make_console
from tests.support.sandbox import SandboxHandle

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}
METRICS_TOKEN = "metrics-" + "m" * 40
BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
LIST = f"/p/{PARTNER_A}/cardholders/"
LIST_OPERATION = "GET /app/partners/{partnerId}/cardholders"
NAMES = (
    "console_request_duration_seconds",
    "console_upstream_request_duration_seconds",
    "console_upstream_errors_total",
    "console_upstream_breaker_state",
    "console_token_refreshes_total",
    "console_bulk_uploads_total",
    "console_step_up_codes_total",
)


pytestmark = pytest.mark.console(METRICS_TOKEN=METRICS_TOKEN, LOGIN_RATE_LIMIT="100 per minute")


def scrape(client: FlaskClient) -> str:
    response = client.get("/metrics", environ_base=OUTSIDE, headers=BEARER)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample (0 when the series does not exist yet)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


def test_anonymous_callers_from_elsewhere_get_a_404(client: FlaskClient) -> None:
    response = client.get("/metrics", environ_base=OUTSIDE)
    assert response.status_code == 404
    assert "console_" not in response.get_data(as_text=True)


@pytest.mark.parametrize("header", ["Bearer wrong", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"])
def test_a_wrong_token_gets_a_404(client: FlaskClient, header: str) -> None:
    response = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": header})
    assert response.status_code == 404


def test_the_token_reads_every_metric_in_the_prometheus_format(client: FlaskClient) -> None:
    response = client.get("/metrics", environ_base=OUTSIDE, headers=BEARER)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    names = {family.name for family in text_string_to_metric_families(response.get_data(as_text=True))}
    # Counters are listed without their `_total` suffix by the parser.
    assert {name.removesuffix("_total") for name in NAMES} <= names


def test_loopback_reads_without_a_token(sandbox: SandboxHandle, tmp_path: Path) -> None:
    response = make_console(sandbox, tmp_path).test_client().get("/metrics")
    assert response.status_code == 200
    assert "console_request_duration_seconds" in response.get_data(as_text=True)


def test_a_page_view_is_counted_under_its_endpoint(client: FlaskClient) -> None:
    labels = {"endpoint": "health.healthz", "status": "200"}
    before = sample(scrape(client), "console_request_duration_seconds_count", **labels)
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert sample(scrape(client), "console_request_duration_seconds_count", **labels) == before + 2


def test_unmatched_paths_are_not_labels(client: FlaskClient) -> None:
    labels = {"endpoint": "unmatched", "status": "404"}
    before = sample(scrape(client), "console_request_duration_seconds_count", **labels)
    assert client.get("/no-such-page/someone-s-name").status_code == 404
    text = scrape(client)
    assert sample(text, "console_request_duration_seconds_count", **labels) == before + 1
    assert "no-such-page" not in text
    assert "someone-s-name" not in text


def test_a_list_page_observes_the_upstream_operation_by_its_template(
    client: FlaskClient, sandbox: SandboxHandle
) -> None:
    labels = {"operation": LIST_OPERATION, "outcome": "ok"}
    before = sample(scrape(client), "console_upstream_request_duration_seconds_count", **labels)
    sign_in(client, sandbox, *new_operator(sandbox))
    assert client.get(LIST).status_code == 200
    text = scrape(client)
    assert sample(text, "console_upstream_request_duration_seconds_count", **labels) == before + 1
    assert f"/app/partners/{PARTNER_A}/" not in text  # never a filled-in path
    assert "@test.migo" not in text


def test_an_expired_user_token_counts_refreshes(client: FlaskClient, clean_faults: SandboxHandle) -> None:
    sign_in(client, clean_faults, *new_operator(clean_faults))
    before = scrape(client)
    # Refused twice: the console renews its app token, then refreshes the operator's token.
    clean_faults.set_fault(f"GET /app/partners/{PARTNER_A}/cardholders", "token_expired", times=2)
    assert client.get(LIST).status_code == 200
    after = scrape(client)
    for token in ("user", "app"):
        labels = {"token": token, "outcome": "ok"}
        refreshes = "console_token_refreshes_total"
        assert sample(after, refreshes, **labels) == sample(before, refreshes, **labels) + 1, token
    errors = "console_upstream_errors_total"
    refused = {"operation": LIST_OPERATION, "outcome": "Unauthorized"}
    assert sample(after, errors, **refused) == sample(before, errors, **refused) + 2


def test_the_breaker_state_is_reported(sandbox: SandboxHandle, tmp_path: Path) -> None:
    from webapp.upstream import cms

    console = make_console(
        sandbox, tmp_path, CMS_BREAKER_FAILURES=2, CMS_BREAKER_RESET_SECONDS=3600, METRICS_TOKEN=METRICS_TOKEN
    )
    client = console.test_client()
    with console.app_context():
        breaker = cms().breaker
    assert sample(scrape(client), "console_upstream_breaker_state") == 0
    breaker.record_failure()
    breaker.record_failure()
    assert sample(scrape(client), "console_upstream_breaker_state") == 2
    breaker.record_success()
    assert sample(scrape(client), "console_upstream_breaker_state") == 0


def test_step_up_codes_sent_and_refused_are_counted(client: FlaskClient, sandbox: SandboxHandle) -> None:
    email, password = new_operator(sandbox, permissions={PARTNER_A: REVEALER})
    sign_in(client, sandbox, email, password)
    person = seeded_cardholder(sandbox)
    before = scrape(client)
    code_for(client, sandbox, email)
    reveal(client, person, "000000" if sandbox.latest_otp(email) != "000000" else "111111")
    after = scrape(client)
    codes = "console_step_up_codes_total"
    for event in ("sent", "failed"):
        assert sample(after, codes, event=event) == sample(before, codes, event=event) + 1, event
