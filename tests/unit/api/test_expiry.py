"""What expires with time — anchored roots read from the chain, rate-limit buckets — on a clock the
test moves, not by sleeping."""

from __future__ import annotations

from typing import cast

from anchors.base import AnchorBackend
from api.context import CachedRoots
from api.http import RateLimiter
from tests.support.clock import FakeClock


class Chain:
    """``rootAt`` of a chain where sizes 5 and 8 are anchored; counts the reads."""

    chain_id = 31337
    contract_address = "0x" + "ab" * 20

    def __init__(self) -> None:
        self.reads = 0
        self.roots = {5: b"\x05" * 32, 8: b"\x08" * 32}

    def root_at(self, tree_size: int) -> bytes | None:
        self.reads += 1
        return self.roots.get(tree_size)


def test_an_anchored_root_is_read_once_per_ttl() -> None:
    chain, clock = Chain(), FakeClock()
    roots = CachedRoots(cast(AnchorBackend, chain), ttl_s=60, clock=clock)
    assert roots.root_at(5) == b"\x05" * 32 and chain.reads == 1
    clock.advance(59.5)
    assert roots.root_at(5) == b"\x05" * 32 and chain.reads == 1
    chain.roots[5] = b"\xee" * 32  # a reorganisation below the confirmation depth, say
    clock.advance(0.5)
    assert roots.root_at(5) == b"\xee" * 32 and chain.reads == 2


def test_a_size_never_anchored_is_read_every_time() -> None:
    chain, clock = Chain(), FakeClock()
    roots = CachedRoots(cast(AnchorBackend, chain), ttl_s=60, clock=clock)
    assert roots.root_at(6) is None and roots.root_at(6) is None and chain.reads == 2
    chain.roots[6] = b"\x06" * 32  # anchored since
    assert roots.root_at(6) == b"\x06" * 32


def test_a_zero_ttl_caches_nothing() -> None:
    chain = Chain()
    roots = CachedRoots(cast(AnchorBackend, chain), ttl_s=0, clock=FakeClock())
    roots.root_at(8)
    roots.root_at(8)
    assert chain.reads == 2


def test_a_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.allow("10.0.0.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.allow("10.0.0.1") == 0.5  # a token every 0.5 s
    assert limiter.blocked("10.0.0.1") == 0.5 and limiter.allow("10.0.0.2") == 0.0
    clock.advance(0.25)
    assert limiter.blocked("10.0.0.1") == 0.25
    clock.advance(0.25)
    assert limiter.blocked("10.0.0.1") == 0.0 and limiter.allow("10.0.0.1") == 0.0
    assert limiter.allow("10.0.0.1") == 0.5
    clock.advance(3600)  # refills up to the burst, no further
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]


def test_blocked_spends_nothing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=1, burst=1, clock=clock)
    for _ in range(5):
        assert limiter.blocked("a") == 0.0
    assert limiter.allow("a") == 0.0 and limiter.blocked("a") == 1.0
    assert limiter.allow("a", cost=0.5) == 0.5
