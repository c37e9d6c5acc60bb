"""A clock a test moves by hand: give it where a component takes ``clock=`` (default
``time.monotonic``) and ``advance()`` it instead of sleeping until a cache or a limit expires."""

from __future__ import annotations


class FakeClock:
    """Seconds that pass only when :meth:`advance` is called."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, "a monotonic clock never goes back"
        self.now += seconds
