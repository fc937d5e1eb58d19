"""Shared fixtures: keys for the run and seeded sandboxes (`full`, `documented`) over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import catalog, leak_scan
from tests.support.console import STORE_TEMPLATE
from tests.support.keys import KeyPair, new_keypair
from tests.support.processes import sandbox_process
from tests.support.sandbox import SandboxHandle, start_sandbox


def pytest_configure(config: pytest.Config) -> None:
    """Scan every console response, URL and log record of the run for leaks (tests/support/leak_scan.py);
    compile the Spanish catalog if the .po is newer than the .mo."""
    leak_scan.install()
    catalog.compile_if_stale()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    leak_scan.note_test_report(report.nodeid, report.when, report.passed)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and leak_scan.verdict():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if leak_scan.TALLY.problems:
        terminalreporter.section("leak scan", red=True)
        for problem in leak_scan.TALLY.problems:
            terminalreporter.line(problem)


@pytest.fixture(scope="session", autouse=True)
def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run the store migrations once for the session: consoles made for tests start from a copy of the
    migrated database (tests/support/console.py). Built on first use, so a run without a console pays
    nothing."""
    STORE_TEMPLATE.directory = tmp_path_factory.mktemp("store-template")
    yield
    STORE_TEMPLATE.directory = None


@pytest.fixture(scope="session")
def signing_keys() -> KeyPair:
    """The sandbox's token-signing key for this run."""
    return new_keypair()


@pytest.fixture(scope="session")
def merchant_keys() -> KeyPair:
    """The console's merchant key for this run."""
    return new_keypair()


@pytest.fixture(scope="session")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, signing_keys: KeyPair, merchant_keys: KeyPair
) -> Iterator[SandboxHandle]:
    """One seeded sandbox for the whole run. Tests that change it create their own users and records."""
    handle = start_sandbox(str(tmp_path_factory.mktemp("sandbox")), signing_keys, merchant_keys)
    leak_scan.SCANNER.watch_sandbox(handle)  # the seeded document numbers and PANs to look for
    yield handle
    handle.close()


@pytest.fixture(scope="session")
def documented_sandbox(
    tmp_path_factory: pytest.TempPathFactory, signing_keys: KeyPair, merchant_keys: KeyPair
) -> Iterator[SandboxHandle]:
    """A second seeded sandbox for the run, in the `documented` profile: only the documented operations and
    answer shapes (webapp/sandbox/profile.py). Same keys and merchant as `sandbox`, so a console set up for
    one works against the other by changing the base URL. It runs as a child process: the sandbox binds its
    database once per interpreter, and `sandbox` holds that binding here."""
    handle = sandbox_process(
        tmp_path_factory.mktemp("sandbox-documented"), signing_keys, merchant_keys, profile="documented"
    )
    leak_scan.SCANNER.watch_sandbox(handle)
    yield handle
    handle.close()


@pytest.fixture
def clean_faults(sandbox: SandboxHandle) -> Iterator[SandboxHandle]:
    """Faults and call records are global to the sandbox: start and end each test without any."""
    sandbox.clear_faults()
    sandbox.clear_calls()
    yield sandbox
    sandbox.clear_faults()
