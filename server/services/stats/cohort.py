"""The period's done inspections (完成检查), added up: by target category and 乡镇 and by month, each with
how many found a problem (Inspection.problem_found, stored at submit); by result categories, for the
results other than exactly 未发现问题; the failed checkpoints and the items with a failed checkpoint
(InspectionFailure); and their follow-up records. services/stats/periods.py fills it from the rollup and the inspections.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cohort:
    dims: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # (category, region) -> (n, problems)
    months: dict[str, tuple[int, int]] = field(default_factory=dict)  # YYYY-MM -> (n, problems)
    results: dict[tuple, int] = field(default_factory=dict)  # result codes other than [01] -> inspections
    checkpoints: dict[int, int] = field(default_factory=dict)  # checkpoint id -> inspections it failed in
    items: dict[int, int] = field(default_factory=dict)  # item id -> inspections with a failed checkpoint of it
    rect: dict[str, int] = field(default_factory=dict)  # "ordered" / "done" -> current findings ordered to rectify
    referrals: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, state) -> referrals
    credit: dict[str, int] = field(default_factory=dict)  # severity -> credit records

    def follow_up(self) -> dict:
        """{"rectification": (ordered, done), "referrals", "credit"}, as followup.sections reads them."""
        return {"rectification": (self.rect.get("ordered", 0), self.rect.get("done", 0)),
                "referrals": dict(self.referrals), "credit": dict(self.credit)}

    def add(self, category: str | None, region: str | None, month: str | None, n: int, problems: int) -> None:
        """Count `n` done inspections (`problems` of them found one) by category and 乡镇 (unless both are
        None) and by month (unless None)."""
        if not n:
            return
        keys = [(self.dims, (category or "", region or ""))] if (category, region) != (None, None) else []
        for table, key in keys + ([(self.months, month)] if month is not None else []):
            had_n, had_p = table.get(key, (0, 0))
            table[key] = (had_n + n, had_p + problems)

    def total(self, key=None, *, problems: bool = False):
        """Inspections (or those with a problem) added up by key((category, region)); None: one total."""
        out: dict = {}
        for dims, (n, p) in self.dims.items():
            k = key(dims) if key else None
            out[k] = out.get(k, 0) + (p if problems else n)
        return out if key else out.get(None, 0)
