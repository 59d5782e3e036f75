"""Questions about many character ranges at once, by bisection: a step that asks
them once per sentence, hedge or attribution stays O(n log n) in the text's
length instead of comparing everything with everything."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable


class Ranges:
    """Half-open ranges [start, end), each with an optional owner (any int)."""

    def __init__(self, ranges: Iterable[tuple[int, int]], owners: Iterable[int] | None = None):
        spans = sorted(zip(ranges, itertools.repeat(0) if owners is None else owners, strict=False),
                       key=lambda r: r[0][0])
        self._starts = [s for (s, _), _ in spans]
        # for the ranges up to each one (by start): the furthest end and its owner, and the
        # furthest end of a range another owner has
        self._reach: list[tuple[int, int, int]] = []
        end1, owner1, end2 = -1, -1, -1
        for (_, e), owner in spans:
            if owner == owner1:
                end1 = max(end1, e)
            elif e > end1:
                end1, owner1, end2 = e, owner, end1
            else:
                end2 = max(end2, e)
            self._reach.append((end1, owner1, end2))

    def overlaps(self, start: int, end: int) -> bool:
        """Whether a range shares a character with [start, end) (s < end and start < e)."""
        n = bisect.bisect_left(self._starts, end)
        return n > 0 and self._reach[n - 1][0] > start

    def holds(self, at: int, other_than: int | None = None) -> bool:
        """Whether a range holds the offset `at` (s <= at < e); with `other_than`, a range of another owner."""
        n = bisect.bisect_right(self._starts, at)
        if not n:
            return False
        end1, owner1, end2 = self._reach[n - 1]
        return (end1 if owner1 != other_than else end2) > at
