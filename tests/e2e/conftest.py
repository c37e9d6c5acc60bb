"""Fixtures of the browser tests: real Sunlight apps on loopback and Debian's Chromium.

Under ``CI=true`` a missing Chromium fails these tests instead of skipping them
(``scripts/setup/55-chromium.sh`` installs it). Screenshots are written to
``$SUNLIGHT_SCREENSHOTS`` (default: the test's tmp dir).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.support.verify_page import CHROMIUM, CHROMIUM_ARGS, Server, serve


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This Sunlight: the instance whose page is under test."""
    with serve(tmp_path_factory.mktemp("verify-page")) as running:
        yield running


@pytest.fixture(scope="package")
def other_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second, independent Sunlight instance: its own data directory, log key and chain."""
    with serve(tmp_path_factory.mktemp("other-sunlight")) as running:
        yield running


# Package scope: Playwright's sync API keeps an event loop running in this thread until it stops,
# and a later test's asyncio.run() would fail; the browser closes when tests/e2e is done.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    require(CHROMIUM.exists(), "Debian's Chromium at /usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright Python package")
        raise
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SUNLIGHT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
