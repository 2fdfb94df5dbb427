"""The inspectors of one scope (one department, or every department of the task) bucketed by load, for
`spotcheck-draw-v2`: finding the k-th least-loaded candidate in cert_no order costs O(log n), not O(pool).

A bucket holds the inspectors with the same number of inspections given so far in the draw, as an
order-statistic set of their ranks (their positions in cert_no order within the scope). Ranks are cut
into fixed blocks of BLOCK ranks; each block is a small sorted list and a Fenwick tree counts the
members per block. Adding or removing a member, its position, and the k-th member each cost O(log n)
steps (plus at most BLOCK entries moved inside one block's list, a constant).
"""
from __future__ import annotations

from bisect import bisect_left, insort

SHIFT = 7
BLOCK = 1 << SHIFT


class Bucket:
    """An order-statistic set of ranks in [0, capacity)."""

    __slots__ = ("blocks", "tree", "size", "top")

    def __init__(self, capacity: int, members: range | None = None):
        n = (max(capacity, 1) - 1 >> SHIFT) + 1
        self.blocks: list[list[int]] = [[] for _ in range(n)]
        self.tree = [0] * (n + 1)  # Fenwick tree over block sizes, 1-based
        self.top = 1 << (n.bit_length() - 1)
        self.size = 0
        if members:
            for r in members:
                self.blocks[r >> SHIFT].append(r)
            self.size = len(members)
            tree = self.tree
            for i in range(1, n + 1):
                tree[i] += len(self.blocks[i - 1])
                j = i + (i & -i)
                if j <= n:
                    tree[j] += tree[i]

    def add(self, rank: int) -> None:
        b = rank >> SHIFT
        insort(self.blocks[b], rank)
        tree, i, n = self.tree, b + 1, len(self.tree)
        while i < n:
            tree[i] += 1
            i += i & -i
        self.size += 1

    def remove(self, rank: int) -> None:
        b = rank >> SHIFT
        block = self.blocks[b]
        del block[bisect_left(block, rank)]
        tree, i, n = self.tree, b + 1, len(self.tree)
        while i < n:
            tree[i] -= 1
            i += i & -i
        self.size -= 1

    def position(self, rank: int) -> int:
        """How many members have a smaller rank."""
        b = rank >> SHIFT
        tree, i, before = self.tree, b, 0
        while i:
            before += tree[i]
            i -= i & -i
        return before + bisect_left(self.blocks[b], rank)

    def kth(self, k: int) -> int:
        """The member with exactly k members before it (0 ≤ k < size)."""
        tree, pos, step, n = self.tree, 0, self.top, len(self.tree) - 1
        while step:
            nxt = pos + step
            if nxt <= n and tree[nxt] <= k:
                pos = nxt
                k -= tree[nxt]
            step >>= 1
        return self.blocks[pos][k]


class Scope:
    """The members of one scope (ranks 0 … size-1 in cert_no order) by load: load -> Bucket."""

    __slots__ = ("capacity", "levels", "low", "high")

    def __init__(self, size: int):
        self.capacity = size
        self.levels: dict[int, Bucket] = {0: Bucket(size, range(size))} if size else {}
        self.low = self.high = 0

    def move_up(self, rank: int, load: int) -> None:
        """A member at `load` was given one more inspection."""
        levels = self.levels
        bucket = levels[load]
        bucket.remove(rank)
        above = levels.get(load + 1)
        if above is None:
            above = levels[load + 1] = Bucket(self.capacity)
            self.high = max(self.high, load + 1)
        above.add(rank)
        if not bucket.size:
            del levels[load]
            if load == self.low:
                self.low = min(levels)

    def pick(self, excluded: list[tuple[int, int]] | None, h: int) -> int | None:
        """The rank of the member at index h mod (number of candidates) among the least-loaded members not
        excluded, in rank order; None when there is no candidate.

        `excluded` holds (load, rank) of members who may not be chosen (recused, already in the group).
        """
        levels = self.levels
        if not excluded:
            bucket = levels.get(self.low)
            return bucket.kth(h % bucket.size) if bucket is not None else None
        if len(excluded) == 1 and excluded[0][0] == self.low:  # the common case: the member drawn for slot 0
            bucket, rank = levels[self.low], excluded[0][1]
            if bucket.size > 1:
                k = h % (bucket.size - 1)
                return bucket.kth(k + 1 if bucket.position(rank) <= k else k)
        for load in range(self.low, self.high + 1):
            bucket = levels.get(load)
            if bucket is None:
                continue
            skip = [r for lv, r in excluded if lv == load]
            count = bucket.size - len(skip)
            if count <= 0:
                continue
            k = h % count
            if skip:
                skip.sort()
                for r in skip:  # step over the excluded members at or before the k-th candidate
                    if bucket.position(r) <= k:
                        k += 1
                    else:
                        break
            return bucket.kth(k)
        return None
