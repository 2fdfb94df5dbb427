"""Every figure of the statistics report against a count the test makes itself from the rows it created
(tests/server/stats/world.py), on SQLite and PostgreSQL; and every figure's link lists exactly its records."""
from __future__ import annotations

import datetime as dt

import pytest

from server.services.kernel.workdays import local_date, local_midnight_utc, today
from server.services.stats import drill, filters, report
from tests.server.stats import world as W

NEGATIVE = {"02", "03", "05", "06", "07", "08", "14"}  # 发现问题… and the other negative result categories
LO, HI = local_midnight_utc(dt.date(2024, 1, 1)), local_midnight_utc(dt.date(2025, 1, 1))


@pytest.fixture
def w(session):
    return W.build(session)


def build(session, w, **args):
    f = filters.parse(session, {"year": "2024", **args})
    return f, report.build(session, w.office, f)


def tables(rep) -> dict:
    return {t["key"]: t for s in rep["sections"] for t in s["tables"]}


def heads(rep) -> dict:
    return {h["label"]: h for s in rep["sections"] for h in s["headline"]}


def column(table, name, row_label=None):
    """{row label: value} of a column, or the value in one row."""
    i = table["columns"].index(name)
    values = {r[0]["t"]: r[i]["v"] for r in table["rows"]}
    return values if row_label is None else values[row_label]


# --- the rules, counted independently ---------------------------------------------------------------

def done(x, lo=LO, hi=HI) -> bool:
    return x.status != "withdrawn" and x.done_at is not None and lo <= x.done_at < hi and x.task != "old"


def failed_checkpoints(x) -> set:
    latest = {}
    for cp, answer, created in x.answers:
        if cp not in latest or created > latest[cp][1]:
            latest[cp] = (answer, created)
    superseded = {f[2] for f in x.findings if f[2]}
    found = {f[1] for f in x.findings if f[0] not in superseded}
    return {cp for cp, (answer, _) in latest.items() if answer == "noncompliant"} | found


def problem(x) -> bool:
    superseded = {f[2] for f in x.findings if f[2]}
    current = [f for f in x.findings if f[0] not in superseded]
    return bool(failed_checkpoints(x) - {None}) or bool(current) or bool(NEGATIVE & set(x.results))


def cohort(w, **kw):
    return [x for x in w.facts if done(x, **kw)]


# --- the tests ----------------------------------------------------------------------------------------

def test_progress_per_task_counts_each_inspection_once_and_withdrawn_as_withdrawn(session, w):
    f, rep = build(session, w)
    t = tables(rep)["progress"]
    for key, task in w.tasks.items():
        if key == "old":
            continue
        mine = [x for x in w.facts if x.task == key]
        live = [x for x in mine if x.status != "withdrawn"]
        expected = {"抽取": len(live), "已完成检查": sum(1 for x in live if x.done_at),
                    "已审核": sum(1 for x in live if x.approved_at),
                    "已公示": sum(1 for x in live if x.publication and x.publication["first_published_at"]),
                    "超期未完成": sum(1 for x in live if x.due < today() and not x.done_at),
                    "已撤回": sum(1 for x in mine if x.status == "withdrawn")}
        label = f"{task.code} {task.name}"
        assert {k: column(t, k, label) for k in expected} == expected, key
    assert column(t, "已撤回", f"{w.tasks['U'].code} {w.tasks['U'].name}") == 1
    assert column(t, "抽取", f"{w.tasks['U'].code} {w.tasks['U'].name}") == 5  # the resubmitted one once
    assert [r[1]["t"] for r in t["rows"]] == ["不定向", "定向", "靶向", "上级任务"]


def test_random_share_counts_distinct_targets_of_random_tasks_against_the_whole_registry(session, w):
    f, rep = build(session, w)
    random = [x for x in cohort(w) if x.task_type in ("undirected", "directed")]
    targets = {x.target for x in random}
    assert len(targets) == 4 and len(random) == 5  # a target two random tasks inspected counts once
    h = heads(rep)
    assert h["随机抽查对象户数"]["cell"]["v"] == len(targets)
    assert h["名录库对象户数"]["cell"]["v"] == len(w.targets)
    assert h["随机抽查覆盖率（全县）"]["cell"]["v"] == round(100 * len(targets) / len(w.targets), 1)
    assert h["随机抽查覆盖率（全县）"]["badge"] == ("ok", "达到 3% 底线")
    t = tables(rep)["coverage"]
    for code, label in [("freight", "道路普通货物运输"), ("repair", "机动车维修"), ("taxi", "出租汽车客运")]:
        mine = {x.target for x in random if x.category == code}
        registry = [g for g in w.targets.values() if g.category == code]
        assert column(t, "抽查户数", label) == len(mine)
        assert column(t, "名录库户数", label) == len(registry)
        for risk, risk_label in [("low", "低"), ("general", "一般"), ("higher", "较高"), ("high", "高")]:
            n = len({x.target for x in random if x.category == code and x.risk == risk})
            d = sum(1 for g in registry if g.risk_level == risk)
            assert column(t, f"{risk_label}风险", label) == (round(100 * n / d, 1) if d else None)


def test_targeted_and_upper_tasks_are_not_in_the_random_share(session, w):
    f, rep = build(session, w, task_type="targeted")
    h = heads(rep)
    assert h["随机抽查对象户数"]["cell"]["v"] == 0
    assert h["随机抽查覆盖率（全县）"]["cell"]["t"] == "暂无数据" and h["随机抽查覆盖率（全县）"]["badge"] is None
    assert h["期间完成检查"]["cell"]["v"] == 1  # the 靶向 inspection is still counted as done
    f, rep = build(session, w, task_type="upper")
    assert heads(rep)["随机抽查对象户数"]["cell"]["v"] == 0 and f.labels["task_type"] == "上级任务"


def test_problem_rates_by_item_checkpoint_category_and_town(session, w):
    f, rep = build(session, w)
    done_ = cohort(w)
    h = heads(rep)
    assert h["期间完成检查"]["cell"]["v"] == len(done_) == 7
    assert h["发现问题"]["cell"]["v"] == sum(1 for x in done_ if problem(x)) == 5
    t = tables(rep)
    for key, item in w.items.items():
        mine = [x for x in done_ if item.id in x.items]
        cps = set(w.checkpoints[key])
        failed = [x for x in mine if failed_checkpoints(x) & cps]
        assert column(t["problems_items"], "检查数", item.name) == len(mine)
        assert column(t["problems_items"], "发现问题", item.name) == len(failed)
    expected_cps = {}
    for key, item in w.items.items():
        for cp in item.checkpoints:
            n = sum(1 for x in done_ if cp.id in failed_checkpoints(x))
            if n:
                expected_cps[f"{item.name}：{cp.text}"] = n
    assert column(t["problems_checkpoints"], "不符合次数") == expected_cps
    for key, name in [("category", "problems_categories"), ("region", "problems_towns")]:
        groups = {}
        for x in done_:
            n, p = groups.get(getattr(x, key), (0, 0))
            groups[getattr(x, key)] = (n + 1, p + problem(x))
        got = {r[0]["t"]: (r[1]["v"], r[2]["v"]) for r in t[name]["rows"]}
        if key == "category":
            got = {code: got[label] for code, label in [("freight", "道路普通货物运输"), ("repair", "机动车维修"),
                                                       ("taxi", "出租汽车客运")] if label in got}
        assert got == groups


def test_result_categories_count_every_category_an_inspection_carries(session, w):
    f, rep = build(session, w)
    counts = {}
    for x in cohort(w):
        for code in set(x.results):
            counts[code] = counts.get(code, 0) + 1
    t = tables(rep)["results"]
    assert column(t, "检查数") == {"未发现问题": counts["01"], "发现问题已责令改正": counts["02"],
                                  "发现问题待后续处理": counts["03"]}


def test_follow_up_and_publication_buckets(session, w):
    f, rep = build(session, w)
    done_ = cohort(w)
    superseded = lambda x: {g[2] for g in x.findings if g[2]}  # noqa: E731
    ordered = [(x, g) for x in done_ for g in x.findings if g[0] not in superseded(x) and g[3]]
    h = heads(rep)
    assert h["责令改正"]["cell"]["v"] == len(ordered) == 4
    assert h["已办结"]["cell"]["v"] == sum(1 for x, g in ordered if g[0] in x.closed_findings) == 1
    refs = tables(rep)["referrals"]
    state = lambda s: "closed" if s == "closed" else ("ended" if s in ("cancelled", "refused") else "open")  # noqa: E731
    for kind, label in [("administrative", "行政移送（案件移送函）"), ("notify", "抄告"), ("criminal", "涉嫌犯罪案件移送")]:
        for s, col in [("open", "办理中"), ("closed", "已办结"), ("ended", "已撤销或不予移送")]:
            assert column(refs, col, label) == sum(1 for x in done_ for k, st in x.referrals if k == kind and state(st) == s)
    credit = tables(rep)["credit"]
    for code, label in [("minor", "轻微"), ("general", "一般"), ("serious", "较重"), ("severe", "严重")]:
        assert column(credit, "记录数", label) == sum(1 for x in done_ for s in x.credit if s == code)
    buckets = {"按时公示": 0, "逾期公示": 0, "不予公示（已记录理由）": 0, "待公示（未超期）": 0, "超期未公示": 0}
    for x in done_:
        p = x.publication
        if p and p["first_published_at"]:
            buckets["按时公示" if local_date(p["first_published_at"]) <= p["due_on"] else "逾期公示"] += 1
        elif p and p["status"] == "not_published":
            buckets["不予公示（已记录理由）"] += 1
        else:
            buckets["超期未公示"] += 1  # 2024's deadlines have all passed
    assert column(tables(rep)["publication"], "检查数") == buckets
    assert buckets["按时公示"] == 1 and buckets["逾期公示"] == 1
    assert h["按时公示率"]["cell"]["v"] == round(100 * 1 / 6, 1) and h["按时公示率"]["badge"][0] == "warn"


def test_monthly_trend_uses_beijing_months_and_risk_changes_the_period(session, w):
    f, rep = build(session, w)
    months = {}
    for x in cohort(w):
        m = local_date(x.done_at).strftime("%Y-%m")
        n, p = months.get(m, (0, 0))
        months[m] = (n + 1, p + problem(x))
    t = tables(rep)["trend"]
    got = {r[0]["t"]: (r[1]["v"], r[2]["v"]) for r in t["rows"] if r[1]["v"]}
    assert got == months and "2024-04" in got  # done 17:00 UTC on 31 March is 1 April in Beijing
    assert len(t["rows"]) == 12
    risk = tables(rep)["risk"]
    in_year = [(o, n) for o, n, moment, _ in w.risk_changes if LO <= moment < HI]
    assert column(risk, "变为一般", "低风险") == in_year.count(("low", "general")) == 1
    assert column(risk, "变为高", "一般风险") == 1 and column(risk, "变为一般", "高风险") == 1
    assert heads(rep)["风险等级升高"]["cell"]["v"] == 2 and heads(rep)["风险等级降低"]["cell"]["v"] == 1


def test_period_and_filters_narrow_every_figure(session, w):
    f, rep = build(session, w, start="2024-06-01", end="2024-06-30")
    june = cohort(w, lo=local_midnight_utc(dt.date(2024, 6, 1)), hi=local_midnight_utc(dt.date(2024, 7, 1)))
    assert heads(rep)["期间完成检查"]["cell"]["v"] == len(june) == 2
    assert [r[0]["t"] for r in tables(rep)["trend"]["rows"]] == ["2024-06"]
    f, rep = build(session, w, category="repair")
    assert heads(rep)["期间完成检查"]["cell"]["v"] == sum(1 for x in cohort(w) if x.category == "repair")
    f, rep = build(session, w, town="润城镇")
    assert heads(rep)["期间完成检查"]["cell"]["v"] == sum(1 for x in cohort(w) if x.region == "润城镇")
    f, rep = build(session, w, item=str(w.items["i2"].id))
    assert [r[0]["t"] for r in tables(rep)["problems_items"]["rows"]] == ["机动车维修经营"]
    assert {t.id for t in f.tasks} == {w.tasks["D"].id, w.tasks["X"].id}
    dept = w.tasks["D"].department_ids[0]
    f, rep = build(session, w, department=str(dept))
    assert {t.id for t in f.tasks} == {w.tasks["D"].id, w.tasks["X"].id}


def _links(rep):
    for s in rep["sections"]:
        for h in s["headline"]:
            yield h["label"], h["cell"]
        for t in s["tables"]:
            for row in t["rows"] + ([t["total"]] if t["total"] else []):
                for c in row:
                    yield f"{t['key']}/{row[0]['t']}", c


def test_every_count_links_to_exactly_the_records_behind_it(session, w):
    f, rep = build(session, w)
    checked = 0
    for where, cell in _links(rep):
        if not cell["link"] or not isinstance(cell["v"], int) or isinstance(cell["v"], bool):
            continue
        args = f.args(**cell["link"])
        g = filters.parse(session, args)
        found = drill.records(session, w.office, g, args)
        got = found.targets if cell["link"].get("stage") == "random" else found.page.total
        assert got == cell["v"], (where, cell["link"])
        checked += 1
    assert checked > 60


def test_a_year_without_data_says_so_and_never_100_percent(session, w):
    f, rep = build(session, w, year="2022")
    assert "2022 年没有抽查任务，各项统计暂无数据" in f.notes
    for where, cell in _links(rep):
        assert "100" not in cell["t"], where
    for s in rep["sections"]:
        for t in s["tables"]:
            assert t["empty"] or t["key"] == "coverage", t["key"]  # the registry is there, the year is not
        for ch in s["charts"]:
            assert ch["empty"] or ch["key"] == "coverage_chart", ch["key"]
    assert heads(rep)["按时公示率"]["cell"]["t"] == "暂无数据" and heads(rep)["按时公示率"]["badge"] is None
