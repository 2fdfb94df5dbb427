"""统计分析 in Chromium: the charts are drawn (SVG, with their series names), the filters change them, and the
exports download and open (openpyxl reads the workbook; pdftotext finds the headline figures)."""
from __future__ import annotations

import io

import openpyxl

from tests.e2e.journey_kit import choose, download, nav, open_document, pdf_text
from tests.server.stats import world as W


def _texts(page, chart_key: str) -> list[str]:
    """The text drawn in a chart's SVG (legend, axis labels, the series names)."""
    chart = page.locator(f"#chart-{chart_key}")
    chart.locator("svg").first.wait_for()
    return chart.locator("svg text").all_text_contents()


def _open_2024(page, live_server, office_login):
    with live_server.session() as s:
        username = W.build(s).office.username
    office_login(page, username)
    nav(page, "统计分析")
    choose(page, "年度", "2024 年")
    page.get_by_role("button", name="查询").click()
    page.locator(".chart[data-rendered]").first.wait_for()


def test_the_page_draws_its_charts_as_svg_with_their_series(page, live_server, office_login):
    _open_2024(page, live_server, office_login)
    assert page.locator(".chart svg").count() >= 8
    coverage = _texts(page, "coverage_chart")
    assert {"低风险", "一般风险", "较高风险", "高风险"} <= set(coverage) and "底线 3%" in coverage
    assert {"完成检查", "发现问题"} <= set(_texts(page, "trend_chart"))
    assert "按时公示" in "".join(_texts(page, "publication_chart"))
    head = page.locator("#section-coverage .headline")
    assert "40.0%" in head.inner_text() and "达到 3% 底线" in head.inner_text()
    # each chart has its table one click away
    page.get_by_role("link", name="随机抽查覆盖率：查看数据表").click()
    assert page.locator("#table-coverage").is_visible()


def test_the_filters_change_the_charts(page, live_server, office_login):
    _open_2024(page, live_server, office_login)
    before = _texts(page, "problems_categories_chart")
    assert {"道路普通货物运输", "机动车维修"} <= set(before)
    choose(page, "对象类别", "机动车维修")
    page.get_by_role("button", name="查询").click()
    page.locator(".chart[data-rendered]").first.wait_for()
    after = _texts(page, "problems_categories_chart")
    assert "机动车维修" in after and "道路普通货物运输" not in after
    choose(page, "抽查类型", "靶向")
    page.get_by_role("button", name="查询").click()
    assert page.locator("#chart-coverage_chart").count() == 0  # no random draw in scope: no share to chart
    assert "暂无数据" in page.locator("#section-coverage .headline").inner_text()


def test_bad_input_in_the_url_is_explained_and_the_page_still_renders(page, live_server, office_login):
    _open_2024(page, live_server, office_login)
    page.goto("/office/stats?year=2024&start=2024-09-01&end=2024-02-01&task_type=nope")
    alerts = page.get_by_role("alert").all_inner_texts()
    assert "结束日期（2024-02-01）早于开始日期（2024-09-01），请重新选择期间；已显示全年" in alerts
    assert "未知的抽查类型“nope”，已忽略该筛选条件" in alerts
    assert page.locator(".chart svg").count() >= 8


def test_the_exports_download_and_open(page, live_server, office_login, tmp_path):
    _open_2024(page, live_server, office_login)
    data = download(page, page.get_by_role("link", name="导出 Excel（含图表）"))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert "二、抽查比例（不低于 3%）" in wb.sheetnames and sum(len(ws._charts) for ws in wb.worksheets) >= 10
    text = pdf_text(open_document(page, page.get_by_role("link", name="2024 年度抽查工作总结（PDF）")), tmp_path)
    assert "2024年度“双随机、一公开”抽查工作总结" in text
    assert "随机抽查覆盖率（不定向、定向）为40.0%，达到3%底线" in text and "发现问题率71.4%" in text
    page.go_back()
    choose(page, "月度报告", "2024-06")
    page.get_by_role("button", name="下载月度报告（PDF）").click()
    page.wait_for_url("**/monthly.pdf?**")
    monthly = page.request.get(page.url)
    text = pdf_text(monthly.body(), tmp_path)
    assert "2024年6月“双随机、一公开”抽查工作月报" in text and "期间完成的检查中发现问题2户次" in text
