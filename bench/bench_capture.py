"""The field capture page (``/capture``) and the verification page (``/verify``) on a slow village
link: Chromium's network emulation (CDP ``Network.emulateNetworkConditions``) of a slow 3G line,
400 kbit/s each way and 400 ms round trip, on a phone's screen.

For each page: the bytes transferred on a cold load (no HTTP cache, no service worker; gzip as the
server sends it), the time until a person can act — take a photo on ``/capture`` (a paired phone:
its form shows the project's kinds), pick a file on ``/verify`` (its script has run) — cold, and
warm (``/capture`` from its service worker's cache; ``/verify`` from the HTTP cache, revalidated).
Targets (issue 12): ``/capture`` ≤ 100 KB cold, < 4 s cold, < 0.5 s warm. Median of three runs.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._util import figure, header
from tests.support.capture import capture_site, pair, phone
from tests.support.verify_page import CHROMIUM, CHROMIUM_ARGS

SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400_000 / 8,
    "uploadThroughput": 400_000 / 8,
}
RUNS = 3
READY_TIMEOUT_MS = 60_000


class Load:
    """One page's cold and warm loads under the emulated link, through a CDP session."""

    def __init__(self, context: Any, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        self.transferred = 0
        self.cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event: dict[str, Any]) -> None:
        self.transferred += int(event["encodedDataLength"])

    def forget(self) -> None:
        """No HTTP cache, no service worker, no Cache Storage (IndexedDB stays: still paired)."""
        self.cdp.send("Network.clearBrowserCache")
        self.cdp.send(
            "Storage.clearDataForOrigin",
            {"origin": self.base, "storageTypes": "service_workers,cache_storage"},
        )
        self.page.goto("about:blank")

    def time(self, path: str, ready: Callable[[Any], None]) -> tuple[float, int]:
        """Seconds from navigation to ``ready`` returning, and the bytes transferred."""
        self.transferred = 0
        start = time.perf_counter()
        self.page.goto(f"{self.base}{path}", wait_until="commit")
        ready(self.page)
        return time.perf_counter() - start, self.transferred


def _capture_ready(page: Any) -> None:
    page.locator("#capture:not([hidden]) #kind option[value=site_photo]").wait_for(
        state="attached", timeout=READY_TIMEOUT_MS
    )


def _verify_ready(page: Any) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_MS / 1000
    while page.title() != "核验存证 · 阳光存证":
        assert time.monotonic() < deadline, "the verification page's script did not run"
        time.sleep(0.005)


def _worker_ready(page: Any) -> None:
    """Wait until the capture page's service worker is active: its cache is complete."""
    page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.state)")


def _measure(load: Load, path: str, ready: Callable[[Any], None]) -> dict[str, float]:
    cold, warm, sizes = [], [], []
    for _ in range(RUNS):
        load.forget()
        seconds, size = load.time(path, ready)
        cold.append(seconds)
        sizes.append(size)
        if path == "/capture":
            _worker_ready(load.page)
        seconds, _ = load.time(path, ready)
        warm.append(seconds)
    return {
        "bytes": statistics.median(sizes),
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
    }


def _report(name: str, found: dict[str, float], targets: dict[str, str]) -> None:
    figure(
        f"{name}: bytes transferred, cold load", f"{found['bytes'] / 1000:.1f} KB", targets["bytes"]
    )
    figure(f"{name}: ready to use, cold", f"{found['cold']:.2f} s", targets["cold"])
    figure(f"{name}: ready to use, warm", f"{found['warm']:.2f} s", targets["warm"])


def main() -> None:
    header("pages on a slow 3G link (400 kbit/s, 400 ms RTT; Chromium network emulation)")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional
    except ImportError:
        print("  not available: the playwright package is not installed")
        return
    if not CHROMIUM.exists():
        print(f"  not available: no Chromium at {CHROMIUM}")
        return
    with (
        tempfile.TemporaryDirectory() as tmp,
        capture_site(Path(tmp)) as site,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context, page = phone(browser)
        pair(site, page)  # set up at full speed: the phone is paired, its projects kept
        load = Load(context, page, site.base)
        capture = _measure(load, "/capture", _capture_ready)
        verify = _measure(load, "/verify", _verify_ready)
        browser.close()
    _report("/capture", capture, {"bytes": "target ≤ 100 KB", "cold": "< 4 s", "warm": "< 0.5 s"})
    _report("/verify", verify, {"bytes": "", "cold": "", "warm": "HTTP cache, revalidated"})
    averages = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    figure("machine load average (1, 5, 15 min) while measured", averages, "timings are CPU-bound")


if __name__ == "__main__":
    main()
