"""The 年度抽查工作总结 and the monthly report as PDFs: the report's sections with server-side SVG charts,
plus (for the year) the plans with their adjustments, through the existing WeasyPrint path (server/pdf.py,
the embedded CJK font) and its content-keyed cache."""
from __future__ import annotations

import calendar
import datetime as dt
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from server import pdf
from server.models.planning import Plan
from server.models.types import utcnow
from server.services.documents import render
from server.services.kernel.workdays import local_date
from server.services.stats import report, svg
from server.services.stats.filters import TASK_TYPES, Filters

settings_from = render.settings_from
TEMPLATE = "stats_report.html"
PLAN_STATUS = {"draft": "草稿", "approved": "已批准", "published": "已公布", "adjusting": "调整中"}


def _plans(session: Session, year: int) -> list[dict]:
    """The year's plans, each with every version and the reason and dates of each adjustment."""
    plans = session.scalars(select(Plan).where(Plan.year == year).options(selectinload(Plan.versions))
                            .order_by(Plan.code)).all()
    return [{"code": p.code, "name": p.name, "status": PLAN_STATUS.get(p.status, p.status),
             "versions": [{"version": v.version, "reason": v.reason or ("首次制定" if v.version == 1 else ""),
                           "approved_on": local_date(v.approved_at).isoformat() if v.approved_at else "",
                           "published_on": local_date(v.published_at).isoformat() if v.published_at else ""}
                          for v in p.versions]} for p in plans]


def _figure(sections: dict, key: str, label: str) -> dict:
    for h in sections[key]["headline"]:
        if h["label"] == label:
            return h["cell"]
    return {"t": "暂无数据", "v": None}


def summary(rep: dict) -> list[str]:
    """The headline paragraph of the report, in sentences, from the same figures as the page."""
    s = {x["key"]: x for x in rep["sections"]}
    drawn, done = _figure(s, "progress", "抽取检查"), _figure(s, "progress", "完成检查")
    share = s["coverage"]["headline"][0]
    problems, rate = _figure(s, "problems", "发现问题"), _figure(s, "problems", "发现问题率")
    on_time = s["publication"]["headline"][0]
    lines = [f"抽取检查对象 {drawn['t']} 户次，已完成检查 {done['t']} 户次。",
             f"随机抽查覆盖率（不定向、定向）为 {share['cell']['t']}"
             + (f"，{share['badge'][1]}。" if share["badge"] else "。"),
             f"期间完成的检查中发现问题 {problems['t']} 户次，发现问题率 {rate['t']}。",
             f"按时公示率（20 个工作日内）为 {on_time['cell']['t']}"
             + (f"，{on_time['badge'][1]}。" if on_time["badge"] else "。")]
    return lines


def context(session: Session, actor, f: Filters, bureau: str, *, kind: str, workers: int = 1) -> dict:
    """What the report template renders: the report, its charts as SVG, and (annual) the plans."""
    rep = report.build(session, actor, f, workers=workers)
    sections = []
    for sec in rep["sections"]:
        sections.append({**sec, "charts": [{**ch, "svg": svg.render(ch)} for ch in sec["charts"]]})
    title = (f"{f.year}年度“双随机、一公开”抽查工作总结" if kind == "annual"
             else f"{f.start.year}年{f.start.month}月“双随机、一公开”抽查工作月报")
    types = {}
    for t in f.tasks:
        types[TASK_TYPES.get(t.task_type, t.task_type)] = types.get(TASK_TYPES.get(t.task_type, t.task_type), 0) + 1
    return {"doc": {"title": title, "number": "", "draft": False, "status_label": "", "kind": kind,
                    "conditions": f.description(), "notes": list(f.notes),
                    "made_on": local_date(utcnow()).isoformat()},
            "bureau": bureau, "summary": summary(rep), "sections": sections,
            "plans": _plans(session, f.year) if kind == "annual" else [],
            "task_types": sorted(types.items()), "task_count": len(f.tasks)}


def _produce(kind: str, ctx: dict, filename: str, settings: render.Settings) -> render.Document:
    """From the cache when the same content was rendered before, else rendered now and kept."""
    key = render.content_key(f"stats_{kind}", ctx)
    path = render.cache_path(settings, f"stats_{kind}", key)
    if path.is_file():
        return render.Document(path.read_bytes(), filename, key, True)
    data = pdf.render_pdf(TEMPLATE, ctx)
    _store(path, data)
    return render.Document(data, filename, key, False)


def _store(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pdf")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def annual(session: Session, actor, f: Filters, settings: render.Settings, *, workers: int = 1) -> render.Document:
    """The 年度抽查工作总结 of f.year (the other filters kept; the period is the whole year)."""
    year = replace(f, start=dt.date(f.year, 1, 1), end=dt.date(f.year, 12, 31))
    ctx = context(session, actor, year, settings.bureau, kind="annual", workers=workers)
    return _produce("annual", ctx, f"{f.year}年度抽查工作总结.pdf", settings)


def monthly(session: Session, actor, f: Filters, settings: render.Settings, *, workers: int = 1) -> render.Document:
    """The monthly report of the month the period starts in (month=YYYY-MM chooses it)."""
    last = calendar.monthrange(f.start.year, f.start.month)[1]
    month = replace(f, start=f.start.replace(day=1), end=f.start.replace(day=last))
    ctx = context(session, actor, month, settings.bureau, kind="monthly", workers=workers)
    return _produce("monthly", ctx, f"{f.start.year}年{f.start.month}月抽查工作月报.pdf", settings)
