"""The short Python programs the public task page offers a citizen for checking a draw by hand, by algorithm.

They use the standard library only and read the record file downloaded from the task page; the tests
run them on real records, so what the page shows is what works.
"""
from __future__ import annotations

import functools
from pathlib import Path

FILES = {"spotcheck-draw-v1": "check_v1.py", "spotcheck-draw-v2": "check_v2.py"}


@functools.lru_cache(maxsize=None)
def snippet(algorithm: str) -> str:
    """The program for records of `algorithm` (the v2 one for an algorithm it does not know)."""
    name = FILES.get(algorithm, FILES["spotcheck-draw-v2"])
    return (Path(__file__).with_name("snippets") / name).read_text(encoding="utf-8")
