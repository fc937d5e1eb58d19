"""Shared fixtures: keys for the run and one seeded sandbox over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.keys import KeyPair, new_keypair
from tests.support.sandbox import SandboxHandle, start_sandbox


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
    yield handle
    handle.close()


@pytest.fixture
def clean_faults(sandbox: SandboxHandle) -> Iterator[SandboxHandle]:
    """Faults and call records are global to the sandbox: start and end each test without any."""
    sandbox.clear_faults()
    sandbox.clear_calls()
    yield sandbox
    sandbox.clear_faults()
