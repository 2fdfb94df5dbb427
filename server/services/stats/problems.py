"""发现问题率 by item, by checkpoint (the ten most failed), by category and 乡镇, and the result categories.

An inspection found a problem when a checkpoint's current answer is 不符合, a current finding was
recorded, or its result categories include a negative one; an item failed in an inspection when one of
its checkpoints did.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.registry import Checkpoint, InspectionItem
from server.services.stats import shapes
from server.services.stats.cohort import Cohort
from server.services.stats.filters import Filters
from server.vocab import ResultCategory, TargetCategory

TOP_CHECKPOINTS = 10


def _rate_rows(groups: dict, labels: dict, link_key: str) -> list[list[dict]]:
    rows = []
    for key, (n, p) in sorted(groups.items(), key=lambda kv: (-kv[1][1], str(kv[0]))):
        link = {"fig": "insp", "stage": "cohort", link_key: key}
        rows.append([shapes.text(labels.get(key, key) or "（未填写）"), shapes.num(n, link),
                     shapes.num(p, {**link, "problem": 1}), shapes.pct(p, n)])
    return rows


def result_codes(c: Cohort) -> dict[str, int]:
    """Result category code -> done inspections carrying it (one inspection may carry several). Those
    whose result is exactly [01] are the ones left when the others are taken away."""
    out: dict[str, int] = {}
    for codes, n in c.results.items():
        for code in set(codes):
            out[code] = out.get(code, 0) + n
    out["01"] = out.get("01", 0) + c.total() - sum(c.results.values())
    return out


def _pairs(c: Cohort, key) -> dict:
    n, p = c.total(key), c.total(key, problems=True)
    return {k: (v, p.get(k, 0)) for k, v in n.items()}


def _item_rows(names: dict, inspected_by_item: dict, by_item: dict) -> list[list[dict]]:
    rows = []
    for item_id, n in sorted(inspected_by_item.items(), key=lambda kv: (-by_item.get(kv[0], 0), kv[0])):
        link = {"fig": "insp", "stage": "cohort", "item": item_id}
        rows.append([shapes.text(names.get(item_id, f"事项 {item_id}")), shapes.num(n, link),
                     shapes.num(by_item.get(item_id, 0), {**link, "failed_item": item_id}),
                     shapes.pct(by_item.get(item_id, 0), n)])
    return rows


def _checkpoint_rows(session: Session, names: dict, inspected_by_item: dict, by_cp: dict) -> list[list[dict]]:
    """The ten most failed checkpoints, each against the done inspections of its item."""
    top = sorted(by_cp.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CHECKPOINTS]
    cps = {c.id: c for c in session.scalars(select(Checkpoint).where(Checkpoint.id.in_([k for k, _ in top])))}
    rows = []
    for cp_id, n in top:
        cp = cps.get(cp_id)
        base = inspected_by_item.get(cp.item_id, 0) if cp else 0
        rows.append([shapes.text(f"{names.get(cp.item_id, '') if cp else ''}：{cp.text if cp else cp_id}"),
                     shapes.num(n, {"fig": "insp", "stage": "cohort", "failed_checkpoint": cp_id}),
                     shapes.pct(n, base)])
    return rows


def _bar(table: dict, title: str, column: int, name: str, unit: str = "") -> dict:
    """A bar chart of one column of a table, by its row labels."""
    return shapes.chart(f"{table['key']}_chart", title, "bar", [r[0]["t"] for r in table["rows"]],
                        [{"name": name, "data": [r[column]["v"] for r in table["rows"]]}], table_key=table["key"],
                        unit=unit)


def _results(c: Cohort, total_n: int) -> dict:
    codes = result_codes(c)
    rows = [[shapes.text(m.label), shapes.num(codes.get(m.value, 0), {"fig": "insp", "stage": "cohort", "result": m.value}),
             shapes.pct(codes.get(m.value, 0), total_n)] for m in ResultCategory if codes.get(m.value)]
    table = shapes.table("results", "检查结果类别（可多选）", ["检查结果", "检查数", "占完成检查"], rows)
    pie = shapes.chart("results_chart", "检查结果类别", "pie", [r[0]["t"] for r in rows],
                       [{"name": "检查数", "data": [r[1]["v"] for r in rows]}], table_key="results")
    return shapes.section("results", "四、检查结果", tables=[table], charts=[pie],
                          note="一项检查可有多个结果类别，各类合计可多于检查数。")


def section(session: Session, f: Filters, c: Cohort, inspected_by_item: dict) -> list[dict]:
    """Two sections: 三、发现问题 (rates and tables) and 四、检查结果类别."""
    total_n, total_p = c.total(), c.total(problems=True)
    names = dict(session.execute(select(InspectionItem.id, InspectionItem.name)).all())
    rate = ["检查数", "发现问题", "发现问题率"]
    t_items = shapes.table("problems_items", "按抽查事项", ["抽查事项", *rate], _item_rows(names, inspected_by_item, c.items))
    t_cps = shapes.table("problems_checkpoints", f"不符合次数最多的 {TOP_CHECKPOINTS} 个检查要点",
                         ["检查要点", "不符合次数", "占该事项检查数"],
                         _checkpoint_rows(session, names, inspected_by_item, c.checkpoints))
    t_cats = shapes.table("problems_categories", "按对象类别", ["对象类别", *rate],
                          _rate_rows(_pairs(c, lambda d: d[0]), dict(TargetCategory.choices()), "category"))
    t_towns = shapes.table("problems_towns", "按乡镇", ["乡镇", *rate], _rate_rows(_pairs(c, lambda d: d[1]), {}, "town"))
    charts = [_bar(t_items, "各抽查事项发现问题率", 3, "发现问题率", "%"),
              _bar(t_cps, "不符合次数最多的检查要点", 1, "不符合次数"),
              _bar(t_cats, "各类对象发现问题率", 3, "发现问题率", "%"),
              _bar(t_towns, "各乡镇发现问题率", 3, "发现问题率", "%")]
    link = {"fig": "insp", "stage": "cohort"}
    heads = [shapes.headline("期间完成检查", shapes.num(total_n, link)),
             shapes.headline("发现问题", shapes.num(total_p, {**link, "problem": 1})),
             shapes.headline("发现问题率", shapes.pct(total_p, total_n))]
    problems = shapes.section("problems", "三、发现问题", headline=heads, tables=[t_items, t_cps, t_cats, t_towns],
                              charts=charts, note="按期间内完成的检查统计（退回后重新提交的只计一次，已撤回的不计）。")
    return [problems, _results(c, total_n)]
