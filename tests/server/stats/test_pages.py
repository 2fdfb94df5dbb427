"""The 统计分析 pages and exports as staff and leaders see them: who may, bad input, the workbook's native
charts, the PDFs' figures, and the publication share that no longer claims 100% of nothing."""
from __future__ import annotations

import io
import re
import shutil
import subprocess

import openpyxl
import pytest

from server.services.followup import panels
from server.services.stats import svg
from tests.factories import create_user
from tests.server.stats import world as W


@pytest.fixture
def w(session):
    return W.build(session)


def _text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


@pytest.mark.parametrize("role", ["office", "leader", "admin"])
def test_staff_and_leaders_see_the_page_and_its_nav_link(session, client, login, w, role):
    login(create_user(session, role=role))
    session.commit()
    resp = client.get("/office/stats?year=2024")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert '<a href="/office/stats">统计分析</a>' in page
    assert "/static/vendor/echarts/echarts.common.min.js" in page and "/static/js/stats.js" in page
    assert page.count('class="chart"') >= 8 and "达到 3% 底线" in page
    assert client.get("/static/vendor/echarts/echarts.common.min.js").status_code == 200


def test_inspectors_may_not_and_do_not_see_the_link(session, client, login, w):
    login(create_user(session, role="inspector"))
    session.commit()
    assert client.get("/office/stats").status_code == 403
    assert client.get("/office/stats/export.xlsx").status_code == 403
    assert "统计分析" not in client.get("/office/").get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ("start=2024-06-01&end=2024-03-01", "结束日期（2024-03-01）早于开始日期（2024-06-01），请重新选择期间；已显示全年"),
    ("year=2019", "2019 年没有抽查任务，各项统计暂无数据"),
    ("task_type=random", "未知的抽查类型“random”，已忽略该筛选条件"),
    ("category=bike&town=火星", "未知的检查对象类别“bike”，已忽略该筛选条件"),
    ("town=火星", "未知的乡镇“火星”，已忽略该筛选条件"),
    ("department=abc", "未知的实施部门“abc”，已忽略该筛选条件"),
    ("task=99999", "未知的2024 年抽查任务“99999”，已忽略该筛选条件"),
    ("start=2024-13-01", "开始日期“2024-13-01”格式有误，应为 YYYY-MM-DD（例如 2024-03-01），已忽略"),
])
def test_bad_input_gets_a_clear_message_and_the_page_still_renders(session, client, login, w, query, message):
    login(w.office)
    resp = client.get(f"/office/stats?{query}" if "year=" in query else f"/office/stats?year=2024&{query}")
    assert resp.status_code == 200 and message in _text(resp)
    assert "一、任务进度" in _text(resp) and "100% 已达目标" not in _text(resp)


def test_a_figure_links_to_its_records(session, client, login, w):
    login(w.office)
    page = client.get("/office/stats?year=2024").get_data(as_text=True)
    href = re.search(r'<a href="(/office/stats/records\?[^"]*stage=withdrawn[^"]*)">1</a>', page).group(1)
    listing = client.get(href.replace("&amp;", "&"))
    assert listing.status_code == 200 and "共 1 条" in _text(listing) and "已撤回" in _text(listing)
    assert client.get("/office/stats/records?year=2024&fig=nope").status_code == 422


def test_names_in_the_tables_are_shown_as_text_not_markup(session, client, login, w):
    task = w.tasks["U"]
    task.name = '<img src=x onerror=alert(1)>&检查'
    session.commit()
    login(w.office)
    page = client.get("/office/stats?year=2024").get_data(as_text=True)
    assert f"<th>{task.code} &lt;img src=x onerror=alert(1)&gt;&amp;检查</th>" in page
    assert "<img src=x" not in page


def test_the_workbook_has_a_sheet_per_section_and_native_charts(session, client, login, w):
    login(w.office)
    resp = client.get("/office/stats/export.xlsx?year=2024")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames[:3] == ["说明", "一、任务进度", "二、抽查比例（不低于 3%）"]
    assert sum(len(ws._charts) for ws in wb.worksheets) >= 10
    cover = wb["二、抽查比例（不低于 3%）"]
    values = [c.value for row in cover.iter_rows() for c in row]
    assert "随机抽查对象户数" in values and 4 in values  # distinct random targets, as on the page


def _pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext（poppler-utils）未安装")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return re.sub(r"\s+", " ", out.stdout.decode())


def test_the_annual_report_carries_the_headline_figures_and_the_plan_versions(session, client, login, w):
    login(w.office)
    resp = client.get("/office/stats/annual.pdf?year=2024")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    text = _pdf_text(resp.data)
    assert "2024年度“双随机、一公开”抽查工作总结" in text
    assert "随机抽查覆盖率（不定向、定向）为 40.0%，达到 3% 底线" in text
    assert "发现问题 5 户次，发现问题率 71.4%" in text and "年度抽查计划及调整" in text
    again = client.get("/office/stats/annual.pdf?year=2024")
    assert again.data == resp.data  # the same content comes from the cache


def test_the_monthly_report_is_of_one_month(session, client, login, w):
    login(w.office)
    resp = client.get("/office/stats/monthly.pdf?year=2024&month=2024-06")
    text = _pdf_text(resp.data)
    assert "2024年6月“双随机、一公开”抽查工作月报" in text and "2024年6月" in text
    assert "期间完成的检查中发现问题 2 户次" in text and "年度抽查计划及调整" not in text


def test_svg_charts_escape_text_and_say_when_there_is_no_data():
    chart = {"title": "<b>标题</b>", "kind": "bar", "categories": ["A&B"], "series": [{"name": "数", "data": [3]}],
             "unit": "", "floor": None, "empty": False, "table": "t"}
    out = str(svg.render(chart))
    assert "<b>" not in out and "&lt;b&gt;" in out and "A&amp;B" in out and out.startswith("<svg")
    assert "暂无数据" in str(svg.render({**chart, "empty": True}))
    pie = str(svg.render({**chart, "kind": "pie", "categories": ["甲", "乙"], "series": [{"name": "n", "data": [1, 3]}]}))
    assert "甲：1（25.0%）" in pie and pie.count("<path") == 2


def test_publication_share_of_nothing_approved_is_no_data_not_100_percent(session, client, login):
    office = create_user(session, role="office")
    session.commit()
    login(office)
    text = _text(client.get("/office/publications"))
    assert "公示率 暂无数据" in text and "已达目标" not in text
    panel = panels.publication_clock_panel(session)
    share = [value for label, value, _ in panel["rows"] if label.startswith("已审核结果公示率")]
    assert share == ["暂无数据（尚无已审核结果）"]
    dashboard = _text(client.get("/office/"))
    assert "已审核结果公示率（目标 100%） 暂无数据（尚无已审核结果）" in dashboard and "100.0%" not in dashboard


def test_the_records_behind_a_figure_read_in_chinese(session, client, login, w):
    login(w.office)
    refs = _text(client.get("/office/stats/records?year=2024&fig=ref&kind=administrative"))
    assert "共 1 条" in refs and "行政移送（案件移送函）" in refs and "已办结" in refs
    credit = _text(client.get("/office/stats/records?year=2024&fig=credit&severity=serious"))
    assert "共 1 条" in credit and "较重" in credit
    pubs = _text(client.get("/office/stats/records?year=2024&fig=pub&bucket=late"))
    assert "共 1 条" in pubs and "已公示" in pubs and "逾期公示" in pubs
