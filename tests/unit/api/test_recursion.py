"""The recursion limit a dependency raises at import is put back (a second line of defence behind
notary.jsonin's depth limit: that deep, recursive C code overflows the stack instead of raising)."""

import sys

from api.recursion import RECURSION_LIMIT, restore_recursion_limit


def test_the_limit_py_ecc_raises_is_restored_and_stays_restored() -> None:
    before = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(100_000)  # what importing py_ecc (through web3) does
        restore_recursion_limit()
        assert sys.getrecursionlimit() == RECURSION_LIMIT == 1000
        import py_ecc  # noqa: F401 - already imported: cannot raise it again

        assert sys.getrecursionlimit() == RECURSION_LIMIT
    finally:
        sys.setrecursionlimit(before)
