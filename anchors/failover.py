"""JSON-RPC over HTTP to the first of several nodes of one chain that answers.

In a consortium every organisation runs a node of the same chain. The notary talks to its own node
first; when that node cannot be reached (refused, timed out, an HTTP error from a proxy in front of
it) or is not ready (:data:`NOT_READY`) the same request goes to the next organisation's node, and
the provider stays there. After ``retry_first_after_s`` it tries its own node first again.

Failing over is safe for everything the anchorer sends: reads, and raw transactions it signed
itself (the same bytes have the same hash and nonce on every node, so a transaction sent twice
through two nodes is still one transaction). Exactly-once anchoring rests on the anchorer's ledger
and the contract's latest size, not on which node carried the transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import requests
from web3 import HTTPProvider
from web3.providers import JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse

from notary.errors import AnchorError

__all__ = ["FailoverHTTPProvider"]

log = logging.getLogger("sunlight.chain")

#: What makes a node "unreachable" (another node of the chain may answer).
UNREACHABLE = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.HTTPError,
    OSError,
)


#: Answers of a node that is up but not ready to serve (geth builds its transaction index in the
#: background after a start, and answers receipts with this until it is done).
NOT_READY = ("transaction indexing is in progress",)


def _not_ready(response: RPCResponse) -> bool:
    error = response.get("error")
    message = str(error.get("message", "")) if isinstance(error, dict) else str(error or "")
    return any(m in message for m in NOT_READY)


class FailoverHTTPProvider(JSONBaseProvider):
    """A web3 provider over ``urls`` (nodes of the same chain, preferred first): each request goes
    to the node in use; when it is unreachable, to the next ones in turn. Raises the last node's
    error when none answers."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout_s: float = 10.0,
        retry_first_after_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        if not urls:
            raise AnchorError("no JSON-RPC URL to connect to")
        self.urls = tuple(urls)
        # No retries inside one node: a dead node is left at once for the next.
        self._nodes = [
            HTTPProvider(
                u, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None
            )
            for u in self.urls
        ]
        self._retry_first_after_s = retry_first_after_s
        self._monotonic = monotonic
        self._current = 0
        self._left_first_at = 0.0
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return f"RPC connection to the first of {', '.join(self.urls)} that answers"

    @property
    def current_url(self) -> str:
        """The node requests go to now."""
        return self.urls[self._current]

    def _order(self) -> list[int]:
        with self._lock:
            start = self._current
            if start and self._monotonic() - self._left_first_at >= self._retry_first_after_s:
                start = 0
        n = len(self.urls)
        return [(start + i) % n for i in range(n)]

    def _settle_on(self, index: int) -> None:
        with self._lock:
            if index == self._current:
                return
            log.warning("JSON-RPC now through %s (was %s)", self.urls[index], self.current_url)
            self._current = index

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        error: Exception | None = None
        answer: RPCResponse | None = None
        for index in self._order():
            try:
                answer = self._nodes[index].make_request(method, params)
                error = None
            except UNREACHABLE as e:
                log.info("%s: %s unreachable (%s)", method, self.urls[index], type(e).__name__)
                error = e
            if answer is not None and error is None and not _not_ready(answer):
                self._settle_on(index)
                return answer
            if index == 0:
                with self._lock:
                    self._left_first_at = self._monotonic()
        if answer is not None:  # some node answered, if only that it is not ready
            return answer
        assert error is not None
        raise error
