"""The close-code table agrees with docs/protocol.md; backoff and the delivery cursor."""

from __future__ import annotations

import random
import re

from conftest import REPO
from switchboard import CLOSE_CODES, RoomCursor, backoff_delay, rejection_policy, retry_policy


def _doc_table():
    """``code -> "client should"`` from the close-code table of docs/protocol.md section 6."""
    text = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = text[text.index("## 6. Close codes"):text.index("## 7.")]
    rows = {}
    for codes, should in re.findall(r"^\| ([0-9 /]+) \| [^|]+ \| ([^|]+) \|$", section, re.M):
        for code in codes.split("/"):
            rows[int(code)] = should.strip()
    return rows


def test_the_close_code_table_follows_the_protocol_document():
    doc = _doc_table()
    assert len(doc) >= 13
    for code, should in doc.items():
        expected = ("never" if should.startswith("not reconnect")
                    else "hint" if "reconnectAfterMs" in should
                    else "refresh" if should.startswith("refresh")
                    else "backoff")
        assert retry_policy(code) == expected, f"{code}: the protocol says {should!r}"
    assert set(doc) <= set(CLOSE_CODES)
    assert retry_policy(1006) == "backoff" and retry_policy(4999) == "backoff"


def test_refused_upgrades_are_final_except_429_and_5xx():
    assert [rejection_policy(s) for s in (400, 401, 403, 404, 429, 500, 503)] == \
        ["never", "never", "never", "never", "backoff", "backoff", "backoff"]


def test_backoff_is_full_jitter_under_a_doubling_ceiling():
    assert backoff_delay(0, 0.5, 30, lambda: 0.999) < 0.5
    assert backoff_delay(3, 0.5, 30, lambda: 0.5) == 2.0
    assert backoff_delay(40, 0.5, 30, lambda: 0.5) == 15.0
    seeded = random.Random(7)
    delays = [backoff_delay(2, 1.0, 30, seeded.random) for _ in range(1000)]
    assert 0 <= min(delays) < 0.1 and 3.9 < max(delays) < 4.0


def test_the_cursor_drops_duplicates_and_moves_its_mark_over_contiguous_offsets():
    cursor = RoomCursor("e1", 10)
    assert [cursor.accept(o) for o in (12, 11, 11, 10, 13)] == [True, True, False, False, True]
    assert (cursor.mark, cursor.highest) == (13, 13)
    assert cursor.accept(15) and cursor.mark == 13 and cursor.highest == 15
    cursor.reset("e1", 14)
    assert cursor.mark == 15
    cursor.reset("e2", 3)
    assert (cursor.epoch, cursor.mark, cursor.highest) == ("e2", 3, 3)


def test_a_hole_that_never_fills_is_given_up_instead_of_growing_without_bound():
    cursor = RoomCursor("e", 0)
    for offset in range(2, RoomCursor.MAX_ABOVE + 3):
        cursor.accept(offset)
    assert cursor.mark == RoomCursor.MAX_ABOVE + 2 and not cursor.accept(1)
