"""The parts of the wire protocol (docs/protocol.md) the client's decisions rest on: the close-code
table with each code's retry meaning, full-jitter backoff, and the per-room delivery cursor."""

from __future__ import annotations

import random as _random
from typing import Callable, Dict, Set

#: Close codes of protocol section 6 and what the client does after each:
#: ``never`` reconnect, ``backoff`` (reconnect after a jittered delay), ``hint`` (wait the
#: ``reconnectAfterMs`` of ``server_shutdown``, then back off), ``refresh`` (get a new token, reconnect).
CLOSE_CODES: Dict[int, str] = {
    1000: "never",    # normal
    1001: "backoff",  # going away / heartbeat timeout
    1002: "never",    # protocol error
    1003: "never",    # unsupported data
    1006: "backoff",  # abnormal: no close frame (network cut); never sent on the wire
    1007: "never",    # invalid UTF-8
    1008: "never",    # policy violation
    1009: "never",    # message too big
    1011: "backoff",  # internal error
    1012: "hint",     # server restart
    1013: "backoff",  # try again later
    4001: "refresh",  # token expired
    4003: "never",    # forbidden (revoked, kicked)
    4008: "backoff",  # slow consumer
    4029: "backoff",  # rate limited
}


def retry_policy(code: int) -> str:
    """What the client does after a close with ``code``; codes outside the table back off."""
    return CLOSE_CODES.get(code, "backoff")


def rejection_policy(status: int) -> str:
    """What the client does after the upgrade was refused with HTTP ``status`` (protocol section 1):
    401, 403 and other 4xx are final (the credentials or the request are wrong and stay wrong); 429 and
    5xx are temporary."""
    return "never" if 400 <= status < 500 and status != 429 else "backoff"


def backoff_delay(attempt: int, initial: float = 0.5, maximum: float = 30.0,
                  random: Callable[[], float] = _random.random) -> float:
    """Full-jitter exponential backoff ("Exponential Backoff And Jitter", AWS architecture blog): a
    uniformly random delay in ``[0, min(maximum, initial * 2**attempt))`` seconds; ``attempt`` counts
    from 0."""
    ceiling = min(maximum, initial * 2 ** min(attempt, 30))
    return random() * ceiling


class RoomCursor:
    """Per-room delivery state: the epoch, the contiguous high-water mark of offsets seen (delivered, or
    acknowledged as our own publish) and the offsets seen above it. ``since`` on rejoin is the mark, so
    nothing is skipped; anything at or below the mark, or already seen, is a duplicate."""

    #: A hole that never fills (a message lost for good) is given up beyond this many offsets above it.
    MAX_ABOVE = 1000

    def __init__(self, epoch: str, offset: int):
        self.epoch = epoch
        self.mark = offset
        self._above: Set[int] = set()

    def accept(self, offset: int) -> bool:
        """Records ``offset``; False when it was seen already (a duplicate)."""
        if offset <= self.mark or offset in self._above:
            return False
        self._above.add(offset)
        self._advance()
        if len(self._above) > self.MAX_ABOVE:
            self.mark = max(self._above)
            self._above.clear()
        return True

    def reset(self, epoch: str, offset: int) -> None:
        """Moves the mark to ``offset`` (the room's offset in ``room_joined``), forgetting what lies below."""
        if epoch != self.epoch:
            self._above.clear()
        self.epoch = epoch
        self.mark = offset
        self._above = {o for o in self._above if o > offset}
        self._advance()

    @property
    def highest(self) -> int:
        """The highest offset seen."""
        return max(self._above, default=self.mark) if self._above else self.mark

    def _advance(self) -> None:
        while self.mark + 1 in self._above:
            self._above.discard(self.mark + 1)
            self.mark += 1

    def __repr__(self) -> str:
        return f"RoomCursor(epoch={self.epoch!r}, mark={self.mark}, above={sorted(self._above)})"
