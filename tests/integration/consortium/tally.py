"""What a fault did to the records, read from the public node (which the notary does not run):

- ``acknowledged``: records the notary acknowledged (a signed receipt handed out);
- ``anchored``: of those, the ones covered by the latest checkpoint anchored on chain, whose root
  is the log's root at that size;
- ``lost``: acknowledged but not anchored (must be zero once the anchorer has caught up);
- ``doubled``: anchor transactions mined beyond one per anchored checkpoint — the anchoring
  account's nonce on chain (it sends nothing else) minus the ``CheckpointAnchored`` events, plus
  events repeating a tree size (must be zero).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from anchors.chain import Web3Chain
from api.service.notary import Notary

#: Every tally made in the session, printed at its end (conftest.pytest_terminal_summary).
FIGURES: list[Tally] = []


@dataclass(frozen=True, slots=True)
class Tally:
    fault: str
    acknowledged: int
    anchored: int
    lost: int
    doubled: int
    anchors: int

    def line(self) -> str:
        return (
            f"{self.fault:<44} acknowledged {self.acknowledged:>5}  anchored {self.anchored:>5}  "
            f"lost {self.lost}  doubled {self.doubled}  ({self.anchors} anchors)"
        )


def tally(
    fault: str, notary: Notary, acknowledged: Sequence[str], public: Web3Chain, anchorer: str
) -> Tally:
    """Count, through ``public`` (a reader of the contract on the public node), and record it.
    ``anchorer`` is the notary's anchoring account."""
    size, root = public.latest_checkpoint()
    assert size == 0 or root == notary.log.root(size), "the chain anchors another history"
    anchored = sum(1 for rid in acknowledged if notary.log.get(rid).index < size)
    events = public._contract.events.CheckpointAnchored().get_logs(from_block=0)
    repeated = sum(n - 1 for n in Counter(int(e["args"]["treeSize"]) for e in events).values())
    assert {str(e["args"]["anchorer"]) for e in events} <= {anchorer}
    sent = int(public.w3.eth.get_transaction_count(anchorer))  # type: ignore[arg-type]
    result = Tally(
        fault=fault,
        acknowledged=len(acknowledged),
        anchored=anchored,
        lost=len(acknowledged) - anchored,
        doubled=sent - len(events) + repeated,
        anchors=len(events),
    )
    FIGURES.append(result)
    print(result.line())
    return result
