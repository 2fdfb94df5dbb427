"""Target selection (DESIGN §5 step 3, the same in every version): the n_k lowest HMAC scores per stratum.

One HMAC per target is the whole cost, so a province-sized population (10^6 targets) is hashed in
chunks that the calling process and, when asked, helper processes forked for the purpose share: each
takes the next chunk from a pipe holding the chunk numbers until none are left, keeps the n_k lowest
keys of each stratum, and the caller merges them. The result does not depend on who hashed which chunk.
A helper that fails or hangs is killed and its chunks are hashed again by the caller, so the worst case
is a slower draw, never a different one. The selection starts hashing as soon as `Selector` is made, so
a caller can build the canonical listing meanwhile (`with Selector(...) as s: …; s.result()`).
"""
from __future__ import annotations

import gc
import heapq
import os
import pickle
import select
import signal
import time
from typing import Mapping, Sequence

from server.services.draw.v1 import STRATA, HmacSha256, Selection

PARALLEL_MIN = 100_000  # below this, forking costs more than it saves
CHUNK_MIN = 8_192
MAX_CHUNKS = 64
HELPER_TIMEOUT_S = 120.0


class Selector:
    """The selection of one draw, hashing from the moment it is made; `result()` gives the walk order."""

    def __init__(self, seed: bytes, pairs: Sequence[tuple[str, str]], counts: Mapping[str, int], workers: int = 1):
        self._gc = gc.isenabled()
        gc.disable()  # hundreds of thousands of small objects, no cycles: collection passes only cost time
        self.pairs = pairs if isinstance(pairs, list) else list(pairs)
        self.wanted = {k: int(counts.get(k, 0)) for k in STRATA if int(counts.get(k, 0)) > 0}
        self.states = HmacSha256(seed).states(b"target|")
        n = len(pairs)
        self.nchunks = max(1, min(MAX_CHUNKS, n // CHUNK_MIN))
        self.size = -(-n // self.nchunks) if n else 0
        self.helpers: list[tuple[int, int]] = []  # (pid, result fd)
        self.queue = None
        if workers > 1 and n >= PARALLEL_MIN and hasattr(os, "fork") and self.wanted:
            self._start(workers - 1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        for pid, fd in self.helpers:
            _stop(pid, fd)
        self.helpers = []
        if self.queue is not None:
            os.close(self.queue)
            self.queue = None
        if self._gc:
            gc.enable()

    # --- the work ----------------------------------------------------------------------------------------

    def _chunk(self, c: int) -> dict[str, list[str]]:
        """Keys (the 64 hex digits of the score, then the uscc: their order is (score, uscc) order) of one chunk."""
        inner, outer = self.states
        lists = {k: [] for k in self.wanted}
        add_to = {k: v.append for k, v in lists.items()}.get
        for uscc, stratum in self.pairs[c * self.size:(c + 1) * self.size]:
            add = add_to(stratum)
            if add is None:
                continue
            i = inner()
            i.update(uscc.encode("utf-8"))
            o = outer()
            o.update(i.digest())
            add(o.hexdigest() + uscc)
        return {k: _trim(v, self.wanted[k]) for k, v in lists.items()}

    def _merge(self, parts: list[dict[str, list[str]]]) -> dict[str, list[str]]:
        """The n_k lowest keys of each stratum over the parts, sorted (cheap when the parts are sorted runs)."""
        merged = {}
        for k, n in self.wanted.items():
            keys = []
            for part in parts:
                keys += part.get(k, ())
            merged[k] = _lowest(keys, n)
        return merged

    def _consume(self) -> tuple[list[int], list[dict]]:
        done, parts = [], []
        if self.queue is None:
            for c in range(self.nchunks):
                done.append(c)
                parts.append(self._chunk(c))
            return done, parts
        while True:
            got = os.read(self.queue, 1)
            if not got:
                return done, parts
            done.append(got[0])
            parts.append(self._chunk(got[0]))

    # --- helpers -------------------------------------------------------------------------------------------

    def _start(self, helpers: int) -> None:
        read_end, write_end = os.pipe()
        os.write(write_end, bytes(range(self.nchunks)))
        os.close(write_end)
        self.queue = read_end
        for _ in range(helpers):
            result_r, result_w = os.pipe()
            try:
                pid = os.fork()
            except OSError:
                os.close(result_r)
                os.close(result_w)
                break
            if pid == 0:  # pragma: no cover  (the helper: runs in the forked child only)
                _helper(self, result_r, result_w)
            os.close(result_w)
            self.helpers.append((pid, result_r))

    def result(self) -> list[Selection]:
        """The selected targets, all strata together, in walk order: (uscc, stratum, score hex)."""
        try:
            started = time.perf_counter()
            done, parts = self._consume()
            if self.queue is not None:
                os.close(self.queue)
                self.queue = None
            deadline = time.monotonic() + max(HELPER_TIMEOUT_S, 10 * (time.perf_counter() - started))
            sent = [_collect(pid, fd, deadline) for pid, fd in self.helpers]
            self.helpers = []
            sent = [got for got in sent if got is not None]
            missing = set(range(self.nchunks)) - set(done).union(*(chunks for chunks, _ in sent))
            parts += [self._chunk(c) for c in sorted(missing)]  # a helper failed: hash its chunks here
            # this process's chunks are sorted here; the helpers sent theirs as sorted runs
            return _walk(self._merge([self._merge(parts), *(keys for _, keys in sent)]))
        finally:
            self.close()


def _trim(keys: list[str], n: int) -> list[str]:
    """The n smallest keys (in no particular order when there are no more than n)."""
    return keys if len(keys) <= n else _lowest(keys, n)


def _lowest(keys: list[str], n: int) -> list[str]:
    """The n smallest keys, sorted."""
    if n * 32 < len(keys):  # heapq pays per kept key; a sort is cheaper once n is more than a few percent
        return heapq.nsmallest(n, keys)
    keys.sort()
    del keys[n:]
    return keys


def _walk(per_stratum: dict[str, list[str]]) -> list[Selection]:
    chosen: list[str] = []
    for k, keys in per_stratum.items():
        tail = chr(STRATA.index(k))  # below every uscc character, so the order stays (score, uscc)
        chosen += [key + tail for key in keys]
    chosen.sort()  # the strata's sorted runs, merged
    strata = STRATA
    return [(key[64:-1], strata[ord(key[-1])], key[:64]) for key in chosen]


def _helper(selector: Selector, result_r: int, result_w: int) -> None:  # pragma: no cover  (forked child)
    code = 1
    try:
        os.close(result_r)
        for _, fd in selector.helpers:
            os.close(fd)
        selector.helpers = []
        done, parts = selector._consume()
        packed = {k: (len(keys), "\n".join(keys)) for k, keys in selector._merge(parts).items()}
        data = pickle.dumps((done, packed), protocol=pickle.HIGHEST_PROTOCOL)  # a few long strings: cheap
        view = memoryview(data)
        while view:
            view = view[os.write(result_w, view):]
        code = 0
    finally:
        os._exit(code)


def _collect(pid: int, fd: int, deadline: float):
    """A helper's (chunks, keys), or None if it failed or ran out of time (it is then killed)."""
    chunks = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            data = os.read(fd, 1 << 20)
            if not data:
                break
            chunks.append(data)
        done, packed = pickle.loads(b"".join(chunks))
        keys = {k: text.split("\n") if count else [] for k, (count, text) in packed.items()}
        if any(len(keys[k]) != count for k, (count, _) in packed.items()):
            return None  # a uscc with a line break in it: hash those chunks here instead
        return done, keys
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        return None
    finally:
        _stop(pid, fd)


def _stop(pid: int, fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
    try:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def select_targets(seed: bytes, pairs: Sequence[tuple[str, str]], counts: Mapping[str, int],
                   workers: int = 1) -> list[Selection]:
    """The n_k lowest-scoring targets of each stratum, all together in walk order (score, uscc)."""
    with Selector(seed, pairs, counts, workers) as selector:
        return selector.result()
