"""``no_cycle_collection``: off inside, back as it was after — on error too, and as a decorator."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from api.service.heap import no_cycle_collection


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_off_inside_and_on_after() -> None:
    with no_cycle_collection():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_on_again_after_an_error() -> None:
    with pytest.raises(RuntimeError), no_cycle_collection():
        raise RuntimeError("the job failed")
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    with no_cycle_collection():
        pass
    assert not gc.isenabled()


def test_nested_jobs_leave_it_on() -> None:
    with no_cycle_collection():
        with no_cycle_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_as_a_decorator_each_call() -> None:
    seen = []

    @no_cycle_collection()
    def job() -> None:
        seen.append(gc.isenabled())

    job()
    job()
    assert seen == [False, False]
    assert gc.isenabled()
