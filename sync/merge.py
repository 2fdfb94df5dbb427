"""Merge rules (PROTOCOL.md §4): checkpoint answers are registers; evidence is append-only."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from sync.messages import LOCKED_STATUSES


@dataclass(frozen=True)
class Answer:
    """One recorded answer to a checkpoint, with the answers its device had seen (`base`)."""

    id: str
    answer: str
    note: str
    base: tuple
    created_at: dt.datetime


@dataclass(frozen=True)
class Register:
    """The state of one checkpoint: the current answer, the undominated heads, and the conflict flag."""

    winner: Answer
    heads: tuple
    conflict: bool


def resolve(answers: Iterable[Answer]) -> Register | None:
    """The register of a set of answers; the same set gives the same result in any order."""
    answers = list(answers)
    if not answers:
        return None
    if len(answers) == 1:
        return Register(winner=answers[0], heads=(answers[0].id,), conflict=False)
    dominated = {b for a in answers for b in a.base}
    heads = sorted((a for a in answers if a.id not in dominated), key=_order)
    if not heads:  # only possible with a cycle of bases, which honest clients cannot make
        heads = sorted(answers, key=_order)
    winner = heads[-1]
    conflict = len({h.answer for h in heads}) > 1
    return Register(winner=winner, heads=tuple(h.id for h in heads), conflict=conflict)


def _order(a: Answer):
    return (a.created_at.astimezone(dt.timezone.utc), a.id)


def is_locked(status: str) -> bool:
    """Whether pushes to an inspection in this status become late evidence."""
    return status in LOCKED_STATUSES
