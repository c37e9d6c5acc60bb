"""The interpreter's recursion limit, put back where CPython sets it after a dependency raised it."""

from __future__ import annotations

import importlib
import sys

#: CPython's default.
RECURSION_LIMIT = 1000


def restore_recursion_limit() -> None:
    """Undo what py_ecc (imported by web3) does when first imported: raise the limit to 100 000.

    That high, recursive C code (``json``, ``repr``, ``pickle``) overflows the C stack long before it
    raises RecursionError, and a segfault kills the whole server. py_ecc is imported here first so
    that its import cannot raise the limit again afterwards. py-evm, imported when the embedded
    chain opens, raises it to 12 288 for the EVM's 1024 call frames: that much the C stack holds.

    JSON from outside never recurses deep whatever the limit: :func:`notary.jsonin.loads` refuses a
    document nested deeper than 64 levels before parsing it. This is the second line of defence.
    """
    importlib.import_module("py_ecc")
    sys.setrecursionlimit(RECURSION_LIMIT)
