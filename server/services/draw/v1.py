"""The draw, version 1 (`spotcheck-draw-v1`, DESIGN §5): pure code, no database, no clock.

The office draw, `spotcheck verify-draw` and the public portal all run these functions, so a record
re-run anywhere gives the same result. Anyone can re-implement it from this description:

1. Population: `(uscc, stratum)` pairs, stratum = risk level code (low/general/higher/high).
   Canonical listing: one line `uscc<TAB>stratum\\n` per target, sorted by uscc, UTF-8;
   `population_hash` = lowercase hex SHA-256 of the listing's bytes.
2. Seeds: `commitment` = hex SHA-256 of the 32-byte `server_seed` (published with the task);
   `draw_seed = SHA-256(server_seed || UTF-8(NFC(witness_entropy)))` (32 raw bytes).
3. Targets: `score(uscc)` = HMAC-SHA256(key=draw_seed, msg=UTF-8("target|" + uscc)) as lowercase hex.
   In each stratum k with N_k targets and ratio r_k (a decimal with at most 4 places, 0 ≤ r_k ≤ 1)
   take the n_k = ceil(N_k × r_k) lowest scores (exact decimal arithmetic), ties broken by uscc.
   A targeted (靶向) draw selects every listed target; a supplementary 补抽 draw gives n_k directly.
   The selections, all strata together, sorted by (score, uscc) ascending, are the walk order.
4. Inspectors: walking the selected targets in that order, the eligible inspectors (the published
   pool minus those recused from the target and those already in the group) are ordered by
   (inspections given in this draw, HMAC-SHA256(draw_seed, UTF-8("inspector|" + uscc + "|" + cert_no)),
   cert_no). First, for each required department in the task's order (lead first) not yet covered,
   take the first inspector of that department; then fill to the group size in the same order.
   When a department has nobody or too few remain, the target is unstaffed with the reason and
   nobody is assigned to it (never half-staffed); otherwise each chosen inspector's count goes up by 1.
"""
from __future__ import annotations

import hashlib
import heapq
import math
import unicodedata
from decimal import Decimal, InvalidOperation
from operator import eq, itemgetter, lt
from typing import Iterable, Mapping, NamedTuple, Sequence

ALGORITHM = "spotcheck-draw-v1"
STRATA = ("low", "general", "higher", "high")
MAX_RATIO_PLACES = 4


class DrawInputError(ValueError):
    """Input that the algorithm cannot run on (a malformed listing, ratio or pool); message in Chinese."""


# --- seeds -----------------------------------------------------------------------------------------

def commitment(server_seed: bytes) -> str:
    """The published commitment to a server seed: lowercase hex SHA-256."""
    return hashlib.sha256(server_seed).hexdigest()


def normalize_entropy(witness_entropy: str) -> str:
    """The witness's text as recorded: NFC-normalized."""
    return unicodedata.normalize("NFC", witness_entropy or "")


def draw_seed(server_seed: bytes, witness_entropy: str) -> bytes:
    """SHA-256(server_seed || UTF-8(NFC(witness_entropy))), 32 raw bytes."""
    return hashlib.sha256(server_seed + normalize_entropy(witness_entropy).encode("utf-8")).digest()


class HmacSha256:
    """HMAC-SHA256 under one key, with the padded-key hash states computed once (RFC 2104)."""

    def __init__(self, key: bytes):
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def states(self, prefix: bytes):
        """(inner, outer) factories of fresh hash states, the inner one having absorbed `prefix`."""
        inner = self._inner.copy()
        inner.update(prefix)
        return inner.copy, self._outer.copy

    def prefixed(self, prefix: bytes):
        """A function msg -> HMAC(prefix + msg) that hashes the shared prefix once."""
        inner_copy, outer_copy = self.states(prefix)

        def mac(msg: bytes) -> bytes:
            i = inner_copy()
            i.update(msg)
            o = outer_copy()
            o.update(i.digest())
            return o.digest()
        return mac

    def digest(self, msg: bytes) -> bytes:
        return self.prefixed(b"")(msg)


def target_score(seed: bytes, uscc: str) -> str:
    """score(uscc) = HMAC-SHA256(draw_seed, "target|" + uscc), lowercase hex."""
    return HmacSha256(seed).digest(f"target|{uscc}".encode("utf-8")).hex()


def inspector_score(seed: bytes, uscc: str, cert_no: str) -> str:
    """HMAC-SHA256(draw_seed, "inspector|" + uscc + "|" + cert_no), lowercase hex."""
    return HmacSha256(seed).digest(f"inspector|{uscc}|{cert_no}".encode("utf-8")).hex()


# --- population --------------------------------------------------------------------------------------

def canonical_listing(pairs: Iterable[tuple[str, str]]) -> str:
    """The listing text: `uscc<TAB>stratum\\n` lines sorted by uscc."""
    rows = sorted(pairs, key=itemgetter(0))
    usccs = list(map(itemgetter(0), rows))
    if any(map(eq, usccs, usccs[1:])):
        dup = next(a for a, b in zip(usccs, usccs[1:]) if a == b)
        raise DrawInputError(f"检查对象名单中统一社会信用代码 {dup} 重复")
    if not set(map(itemgetter(1), rows)) <= set(STRATA):
        bad = next(r for r in rows if r[1] not in STRATA)
        raise DrawInputError(f"检查对象 {bad[0]} 的风险等级“{bad[1]}”无效，应为 {'/'.join(STRATA)} 之一")
    if not rows:
        return ""
    return "\n".join(map("\t".join, rows)) + "\n"


def population_hash(listing: str) -> str:
    """Lowercase hex SHA-256 of the listing's UTF-8 bytes."""
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


def parse_listing(listing: str) -> list[tuple[str, str]]:
    """The pairs of a canonical listing; raises DrawInputError naming the first bad line."""
    if listing == "":
        return []
    if not listing.endswith("\n"):
        raise DrawInputError("检查对象名单应以换行结尾（名单可能不完整）")
    rows = [tuple(line.split("\t")) for line in listing[:-1].split("\n")]
    usccs = list(map(itemgetter(0), rows))
    ok = (all(len(r) == 2 for r in rows) and all(usccs) and set(map(itemgetter(1), rows)) <= set(STRATA)
          and all(map(lt, usccs, usccs[1:])))
    if not ok:
        _raise_first_bad_line(rows)
    return rows


def _raise_first_bad_line(rows) -> None:
    previous = None
    for n, parts in enumerate(rows, start=1):
        if len(parts) != 2 or not parts[0]:
            raise DrawInputError(f"检查对象名单第 {n} 行格式不对，应为“统一社会信用代码<TAB>风险等级”")
        if parts[1] not in STRATA:
            raise DrawInputError(f"检查对象名单第 {n} 行的风险等级“{parts[1]}”无效，应为 {'/'.join(STRATA)} 之一")
        if previous is not None and parts[0] <= previous:
            raise DrawInputError(f"检查对象名单第 {n} 行未按统一社会信用代码升序排列或重复")
        previous = parts[0]


def stratum_sizes(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """N_k: how many targets each stratum has (every stratum present, possibly 0)."""
    sizes = dict.fromkeys(STRATA, 0)
    for _, stratum in pairs:
        sizes[stratum] += 1
    return sizes


# --- ratios and counts ---------------------------------------------------------------------------------

def parse_ratio(value) -> Decimal:
    """A ratio as an exact Decimal in [0, 1] with at most 4 places; DrawInputError otherwise."""
    try:
        ratio = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DrawInputError(f"抽取比例“{value}”不是有效的数字") from None
    if not ratio.is_finite() or ratio < 0 or ratio > 1:
        raise DrawInputError(f"抽取比例“{value}”超出范围，应在 0 到 1（0% 到 100%）之间")
    if ratio.as_tuple().exponent < -MAX_RATIO_PLACES and ratio != ratio.quantize(Decimal("0.0001")):
        raise DrawInputError(f"抽取比例“{value}”最多保留 {MAX_RATIO_PLACES} 位小数（百分比最多 2 位小数）")
    return ratio


def stratum_count(population: int, ratio: Decimal) -> int:
    """n_k = ceil(N_k × r_k) in exact decimal arithmetic (≥ 1 when both are positive)."""
    return int(math.ceil(Decimal(population) * ratio))


def counts_from_ratios(sizes: Mapping[str, int], ratios: Mapping[str, object]) -> dict[str, int]:
    """n_k for every stratum; a stratum without a ratio takes none."""
    return {k: stratum_count(sizes.get(k, 0), parse_ratio(ratios[k])) if k in ratios else 0 for k in STRATA}


# --- target selection -------------------------------------------------------------------------------------

# A selected target: (uscc, stratum, score as lowercase hex); plain tuples because a draw makes
# hundreds of thousands of them and NamedTuple construction triples the cost.
Selection = tuple[str, str, str]


def select_targets(seed: bytes, pairs: Sequence[tuple[str, str]], counts: Mapping[str, int]) -> list[Selection]:
    """The n_k lowest-scoring targets of each stratum, all together in walk order (score, uscc)."""
    inner, outer = HmacSha256(seed).states(b"target|")
    members: dict[str, list[str]] = {k: [] for k in STRATA}
    for uscc, stratum in pairs:
        members[stratum].append(uscc)
    chosen: list[bytes] = []
    for stratum in STRATA:
        n = min(int(counts.get(stratum, 0)), len(members[stratum]))
        if n <= 0:
            continue
        keys: list[bytes] = []
        append = keys.append
        for uscc in members[stratum]:  # inlined HMAC: this loop runs once per target in the population
            raw = uscc.encode("utf-8")
            i = inner()
            i.update(raw)
            o = outer()
            o.update(i.digest())
            append(o.digest() + raw)  # 32 digest bytes then the uscc: bytes order = (hex score, uscc) order
        picked = heapq.nsmallest(n, keys) if n * 8 < len(keys) else sorted(keys)[:n]
        tail = b"\t" + stratum.encode("ascii")
        chosen.extend([k + tail for k in picked])
    chosen.sort()
    return [(*k[32:].decode("utf-8").split("\t"), k[:32].hex()) for k in chosen]


# --- inspector assignment -------------------------------------------------------------------------------

class InspectorRef(NamedTuple):
    cert_no: str
    department: str  # department code


class Unstaffed(NamedTuple):
    uscc: str
    reason: str


class _Loads:
    """Inspections given per inspector in this draw, bucketed by count (globally and per department)."""

    def __init__(self, pool: Sequence[InspectorRef]):
        self.count = {r.cert_no: 0 for r in pool}
        self.levels: dict[int, set[str]] = {0: set(self.count)} if pool else {}
        self.dept_levels: dict[str, dict[int, set[str]]] = {}
        for r in pool:
            self.dept_levels.setdefault(r.department, {0: set()})[0].add(r.cert_no)
        if len(self.dept_levels) == 1:  # one department: its buckets are the global ones (shared scoring)
            self.dept_levels = dict.fromkeys(self.dept_levels, self.levels)
        self.dept_of = {r.cert_no: r.department for r in pool}

    def bump(self, cert_no: str) -> None:
        n = self.count[cert_no]
        self.count[cert_no] = n + 1
        dept_levels = self.dept_levels[self.dept_of[cert_no]]
        for levels in (self.levels,) if dept_levels is self.levels else (self.levels, dept_levels):
            levels[n].discard(cert_no)
            if not levels[n]:
                del levels[n]
            levels.setdefault(n + 1, set()).add(cert_no)


class _TargetKeys:
    """Sort keys (HMAC digest, cert_no) of inspectors for one target, each computed at most once."""

    def __init__(self, states, uscc: str, cert_bytes: Mapping[str, bytes]):
        inner, self._outer = states
        base = inner()
        base.update(f"{uscc}|".encode("utf-8"))
        self._inner = base.copy
        self._cert_bytes = cert_bytes
        self._digests: dict[str, bytes] = {}
        self._scored: dict[int, list[tuple[bytes, str]]] = {}  # per bucket (buckets do not change meanwhile)

    def scored(self, certs: set[str], taken: set[str]) -> list[tuple[bytes, str]]:
        """(digest, cert_no) for the certs of a bucket not taken; this is where assignment spends its time."""
        cached = self._scored.get(id(certs))
        if cached is not None:
            return [e for e in cached if e[1] not in taken]
        inner, outer, digests, cert_bytes = self._inner, self._outer, self._digests, self._cert_bytes
        out = []
        for c in certs:
            if c in taken:
                continue
            d = digests.get(c)
            if d is None:
                i = inner()
                i.update(cert_bytes[c])
                o = outer()
                o.update(i.digest())
                d = digests[c] = o.digest()
            out.append((d, c))
        self._scored[id(certs)] = out
        return out


def _group_for(keys: _TargetKeys, uscc: str, loads: _Loads, barred: set[str], existing: Sequence[InspectorRef],
               departments: Sequence[str], group_size: int, dept_names: Mapping[str, str]):
    """The inspectors to add for one target, or an Unstaffed reason; loads are not changed."""
    taken = set(barred) | {r.cert_no for r in existing}
    covered = {r.department for r in existing}
    added: list[str] = []
    for dept in departments:
        if dept in covered:
            continue
        best = None
        dept_levels = loads.dept_levels.get(dept, {})
        for level in sorted(dept_levels):
            candidates = keys.scored(dept_levels[level], taken)
            if candidates:
                best = min(candidates)[1]
                break
        if best is None:
            return Unstaffed(uscc, f"部门“{dept_names.get(dept, dept)}”没有可派的执法人员（回避或已在本组后无人符合条件）")
        added.append(best)
        taken.add(best)
        covered.add(dept)
    need = group_size - len(existing) - len(added)
    for level in sorted(loads.levels):
        if need <= 0:
            break
        picked = [c for _, c in heapq.nsmallest(need, keys.scored(loads.levels[level], taken))]
        added.extend(picked)
        taken.update(picked)
        need -= len(picked)
    if need > 0:
        have = group_size - need
        return Unstaffed(uscc, f"符合条件的执法人员不足 {group_size} 人（回避后仅有 {have} 人可派）")
    return added


def assign_inspectors(seed: bytes, walk: Sequence[str], pool: Sequence[InspectorRef], departments: Sequence[str],
                      group_size: int, recusals: Iterable[tuple[str, str]] = (),
                      dept_names: Mapping[str, str] | None = None,
                      existing: Mapping[str, Sequence[InspectorRef]] | None = None):
    """Groups for the targets in walk order: ([(uscc, [InspectorRef, …])], [Unstaffed]).

    `recusals` are (cert_no, uscc) pairs; `existing` maps a uscc to members already in its group
    (a 递补 draw fills the group back up around them; they count toward the size and departments).
    """
    pool = sorted({InspectorRef(*r) for r in pool})
    certs = [r.cert_no for r in pool]
    if len(set(certs)) != len(certs):
        raise DrawInputError("执法人员名单中执法证号重复")
    by_cert = {r.cert_no: r for r in pool}
    cert_bytes = {c: c.encode("utf-8") for c in certs}
    barred_by_uscc: dict[str, set[str]] = {}
    for cert_no, uscc in recusals:
        barred_by_uscc.setdefault(uscc, set()).add(cert_no)
    existing = existing or {}
    loads = _Loads(pool)
    states = HmacSha256(seed).states(b"inspector|")
    assignments: list[tuple[str, list[InspectorRef]]] = []
    unstaffed: list[Unstaffed] = []
    for uscc in walk:
        result = _group_for(_TargetKeys(states, uscc, cert_bytes), uscc, loads, barred_by_uscc.get(uscc, set()),
                            existing.get(uscc, ()), departments, group_size, dept_names or {})
        if isinstance(result, Unstaffed):
            unstaffed.append(result)
            continue
        for cert_no in result:
            loads.bump(cert_no)
        assignments.append((uscc, [by_cert[c] for c in result]))
    return assignments, unstaffed
