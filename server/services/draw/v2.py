"""The draw, version 2 (`spotcheck-draw-v2`, DESIGN §5): pure code, no database, no clock.

The office draw, `spotcheck verify-draw` and the public portal all run these functions, so a record
re-run anywhere gives the same result. Anyone can re-implement it from this description (steps 1–3
are those of version 1; only step 4, the inspectors, changed):

1. Population: `(uscc, stratum)` pairs, stratum = risk level code (low/general/higher/high).
   Canonical listing: one line `uscc<TAB>stratum\\n` per target, sorted by uscc, UTF-8;
   `population_hash` = lowercase hex SHA-256 of the listing's bytes.
2. Seeds: `commitment` = hex SHA-256 of the 32-byte `server_seed` (published with the task);
   `draw_seed = SHA-256(server_seed || UTF-8(NFC(witness_entropy)))` (32 raw bytes).
3. Targets: `score(uscc)` = HMAC-SHA256(key=draw_seed, msg=UTF-8("target|" + uscc)) as lowercase hex.
   In each stratum k with N_k targets and ratio r_k (a decimal with at most 4 places, 0 ≤ r_k ≤ 1)
   take the n_k = ceil(N_k × r_k) lowest scores (exact decimal arithmetic), ties broken by uscc.
   A targeted (靶向) draw, a 递补 and a 补派 select every listed target; a 补抽 gives n_k directly.
   The selections, all strata together, sorted by (score, uscc) ascending, are the walk order.
4. Inspectors: walk the selected targets in that order. A target's slots are, first, one for each
   department of the task (lead first, in the task's order) not yet covered by its group, then slots
   "any department of the task" until the group has `group_size` members. Members already in the
   group (a 递补 keeps the members who stay) count toward both. Slots are numbered j = 0, 1, … in
   that order, over the slots this draw fills. For slot j the candidates are the inspectors of the
   published pool in the slot's department (or in any task department) who are not recused from
   this target and not already in its group, and who, among those, have the fewest inspections given
   so far in this draw. Sort them by cert_no (Unicode code point order) and take the one at index
   int(HMAC-SHA256(draw_seed, UTF-8("inspector|" + uscc + "|" + str(j))) as hex, 16) mod (number of
   candidates). When a slot has no candidate, the target is unstaffed with the reason and nobody is
   assigned to it (never half-staffed); otherwise each member drawn for it has one more inspection.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from server.services.draw.loads import Scope
from server.services.draw.selection import select_targets
from server.services.draw.v1 import (  # noqa: F401  (steps 1–3 are version 1's; re-exported for callers)
    MAX_RATIO_PLACES, STRATA, DrawInputError, HmacSha256, InspectorRef, Selection, Unstaffed, canonical_listing,
    commitment, counts_from_ratios, draw_seed, normalize_entropy, parse_listing, parse_ratio, population_hash,
    stratum_count, stratum_sizes, target_score,
)

ALGORITHM = "spotcheck-draw-v2"
__all__ = ["ALGORITHM", "assign_inspectors", "assign_department_slots", "staffing_problem", "slot_index",
           "select_targets"]


def slot_index(seed: bytes, uscc: str, j: int) -> int:
    """int(HMAC-SHA256(draw_seed, "inspector|" + uscc + "|" + str(j)), 16): reduced mod the candidates."""
    return int.from_bytes(HmacSha256(seed).digest(f"inspector|{uscc}|{j}".encode("utf-8")), "big")


class _Pool:
    """The pool in cert_no order with its scopes: one per department, and one for "any task department"."""

    def __init__(self, pool: Iterable[InspectorRef], departments: Sequence[str]):
        refs = sorted({InspectorRef(*r) for r in pool})
        certs = [r.cert_no for r in refs]
        if len(set(certs)) != len(certs):
            raise DrawInputError("执法人员名单中执法证号重复")
        wanted = set(departments)
        self.refs = [r for r in refs if r.department in wanted]  # others can fill no slot of this task
        self.index = {r.cert_no: g for g, r in enumerate(self.refs)}
        self.load = [0] * len(self.refs)
        self.overall = Scope(len(self.refs))
        members: dict[str, list[int]] = {d: [] for d in departments}
        for g, r in enumerate(self.refs):
            members[r.department].append(g)
        self.dept_members = members
        self.dept_rank = [0] * len(self.refs)
        self.scopes: dict[str | None, Scope] = {None: self.overall}
        for dept, gs in members.items():
            for rank, g in enumerate(gs):
                self.dept_rank[g] = rank
            # a task of one department: that department's scope is the overall one (same ranks)
            self.scopes[dept] = self.overall if len(members) == 1 else Scope(len(gs))

    def barred(self, recusals: Iterable[tuple[str, str]]) -> dict[str, list[int]]:
        """uscc -> the members of the pool recused from it."""
        barred: dict[str, list[int]] = {}
        for cert_no, uscc in set(recusals):
            g = self.index.get(cert_no)
            if g is not None:
                barred.setdefault(uscc, []).append(g)
        return barred

    def excluded(self, scope_key, out: Iterable[int]) -> list[tuple[int, int]]:
        """(load, rank in the scope) of the members in `out` that belong to the scope."""
        load = self.load
        if scope_key is None or self.scopes[scope_key] is self.overall:
            return [(load[g], g) for g in out]
        refs, rank = self.refs, self.dept_rank
        return [(load[g], rank[g]) for g in out if refs[g].department == scope_key]


def assign_inspectors(seed: bytes, walk: Sequence[str], pool: Sequence[InspectorRef], departments: Sequence[str],
                      group_size: int, recusals: Iterable[tuple[str, str]] = (),
                      dept_names: Mapping[str, str] | None = None,
                      existing: Mapping[str, Sequence[InspectorRef]] | None = None, *, first_slot: int = 0):
    """Groups for the targets in walk order by rule 4: ([(uscc, [InspectorRef, …])], [Unstaffed]).

    `recusals` are (cert_no, uscc) pairs; `existing` maps a uscc to members already in its group (a 递补
    fills the group back up around them). The lists hold the members drawn here, in slot order.
    `first_slot` numbers the first slot drawn for each target (0 by DESIGN §5; a part of a record that
    draws further slots for the same targets with the same seed may start after the main part's).
    """
    state = _Pool(pool, departments)
    barred = state.barred(recusals)
    names, existing = dept_names or {}, existing or {}
    inner_copy, outer_copy = HmacSha256(seed).states(b"inspector|")
    template = _slots(departments, (), group_size)
    digits = [str(j).encode("ascii") for j in range(first_slot + max(len(template), group_size) + 1)]
    scopes, overall, load, refs = state.scopes, state.overall, state.load, state.refs
    joint = any(scope is not overall for scope in scopes.values())
    assignments: list[tuple[str, list[InspectorRef]]] = []
    unstaffed: list[Unstaffed] = []
    for uscc in walk:  # the hot loop, kept in one function for its locals: one HMAC and O(log n) steps per slot
        kept = existing.get(uscc)
        if kept:
            slots = _slots(departments, kept, group_size)
            out = list(dict.fromkeys(barred.get(uscc, []) + [state.index[r.cert_no] for r in kept
                                                              if r.cert_no in state.index]))
        else:
            slots, out = template, barred.get(uscc, [])
        base = inner_copy()
        base.update(f"{uscc}|".encode("utf-8"))
        picked: list[int] = []
        for j, dept in enumerate(slots, start=first_slot):
            i = base.copy()
            i.update(digits[j] if j < len(digits) else str(j).encode("ascii"))
            o = outer_copy()
            o.update(i.digest())
            h = int.from_bytes(o.digest(), "big")
            scope = scopes.get(dept)
            rank = None
            if scope is overall:
                rank = scope.pick([(load[g], g) for g in out + picked] if out or picked else None, h)
            elif scope is not None:
                rank = scope.pick(state.excluded(dept, out + picked) if out or picked else None, h)
            if rank is None:
                unstaffed.append(Unstaffed(uscc, _reason(dept, names, group_size, len(kept or ()) + len(picked))))
                break
            picked.append(rank if scope is overall else state.dept_members[dept][rank])
        else:
            for g in picked:
                overall.move_up(g, load[g])
                if joint:
                    scopes[refs[g].department].move_up(state.dept_rank[g], load[g])
                load[g] += 1
            assignments.append((uscc, [refs[g] for g in picked]))
    return assignments, unstaffed


def _slots(departments: Sequence[str], kept: Sequence[InspectorRef], group_size: int) -> list[str | None]:
    """A target's slots: each task department its group lacks (in task order), then "any department"."""
    covered = {r.department for r in kept}
    slots: list[str | None] = [d for d in departments if d not in covered]
    return slots + [None] * (group_size - len(kept) - len(slots))


def _reason(dept: str | None, names: Mapping[str, str], group_size: int, have: int) -> str:
    if dept is not None:
        return f"部门“{names.get(dept, dept)}”没有可派的执法人员（回避或已在本组后无人符合条件）"
    return f"符合条件的执法人员不足 {group_size} 人（回避后仅有 {have} 人可派）"


def assign_department_slots(seed: bytes, walk: Sequence[str], pool: Sequence[InspectorRef], department: str,
                            recusals: Iterable[tuple[str, str]] = (), dept_names: Mapping[str, str] | None = None,
                            *, first_slot: int = 0):
    """One slot per target from one department's pool, by rule 4 restricted to that department.

    This is the part a cooperating department of a joint inspection (联合抽查) draws for itself:
    ([(uscc, [InspectorRef])], [Unstaffed]) with the same guarantees as assign_inspectors.
    """
    own = [r for r in pool if InspectorRef(*r).department == department]
    return assign_inspectors(seed, walk, own, [department], 1, recusals, dept_names, first_slot=first_slot)


def staffing_problem(uscc: str, pool: Sequence[InspectorRef], departments: Sequence[str], group_size: int,
                     recusals: Iterable[tuple[str, str]] = (), dept_names: Mapping[str, str] | None = None,
                     existing: Sequence[InspectorRef] = ()) -> str | None:
    """Why no group can be formed for `uscc` from this pool (the unstaffed reason), or None if one can.

    Whether a slot finds a candidate does not depend on the seed (slots of required departments draw
    from different departments, and "any department" slots fail only once everybody eligible is in the
    group), so any seed answers for every seed.
    """
    _, unstaffed = assign_inspectors(bytes(32), [uscc], pool, departments, group_size,
                                     [(c, u) for c, u in recusals if u == uscc], dept_names,
                                     {uscc: list(existing)} if existing else None)
    return unstaffed[0].reason if unstaffed else None
