"""The rules an `inspection.submit` must pass before it locks the inspection (PROTOCOL.md §3.3).

Pure: the SQL store and the memory store describe the inspection as the server holds it (plus the
submit's own conclusion) in a SubmitState, and every rule in RULES looks at it and returns a Problem or
None. The first problem is the submit's per-mutation rejection (its data is kept for the reviewer like
every rejection). A rule is a plain function, so more rules can join the tuple in order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sync import signing

ROLE_LABELS = {"inspector": "检查人员", "party": "当事人", "witness": "见证人"}
SIGNATURES_STALE = "signatures_stale"


@dataclass(frozen=True)
class SubmitState:
    """An inspection at the moment of its submit, in plain values."""

    inspection_id: int
    conclusion: dict  # the submit's result_categories, methods, follow_ups, summary
    answers: tuple = ()  # the current answer per checkpoint: {checkpoint_id, answer, note}
    findings: tuple = ()  # the current (not superseded) findings, as signing.content() takes them
    signatures: tuple = ()  # every signature: {id, signer_role, inspector_id, signer_name, signed_at, digest}

    def content_digest(self) -> str:
        """The digest of what the signatures must cover (sync/signing.py)."""
        return signing.digest(signing.content(inspection_id=self.inspection_id, answers=self.answers,
                                              findings=self.findings, **self.conclusion))


@dataclass(frozen=True)
class Problem:
    """Why a submit is refused: a protocol code, a Chinese message saying what to do, and details."""

    code: str
    message: str
    errors: dict = field(default_factory=dict)


def _who(sig: dict) -> str:
    return f"{ROLE_LABELS.get(sig['signer_role'], sig['signer_role'])} {sig.get('signer_name') or ''}".strip()


def signatures_cover_content(state: SubmitState) -> Problem | None:
    """Every current signature that names a digest must name this content's: a signature given before the
    conclusion, an answer or a finding changed no longer covers what is submitted. (A signature without a
    digest, from a client that predates it, binds nothing and is shown to the reviewer as such.)"""
    current = signing.current_ids(state.signatures)
    expected = state.content_digest()
    stale = [s for s in state.signatures if s["id"] in current and s.get("digest") and s["digest"] != expected]
    if not stale:
        return None
    names = "、".join(_who(s) for s in stale)
    return Problem(SIGNATURES_STALE,
                   f"签名之后检查内容有改动（检查结论、检查要点判定或发现的问题），{names} 的签名已不对应现在的内容，"
                   "检查结果未提交：请同步后核对内容，请上述人员重新签名，再提交",
                   {"digest": expected, "signatures": [s["id"] for s in stale],
                    "signers": [_who(s) for s in stale]})


RULES: tuple[Callable[[SubmitState], Problem | None], ...] = (signatures_cover_content,)


def problems(state: SubmitState, rules=RULES) -> list[Problem]:
    """Every rule's problem, in rule order (empty when the submit may go ahead)."""
    return [p for p in (rule(state) for rule in rules) if p is not None]
