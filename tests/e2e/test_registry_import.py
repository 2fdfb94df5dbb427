"""Office staff log in and import the target registry from an Excel sheet, as an office would."""
from __future__ import annotations

import io
import re

from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect
from sqlalchemy import func, select

from server.models.registry import Target
from tests.e2e.journey_kit import XLSX, sheet, uscc

HEADER = ["统一社会信用代码", "单位名称", "行业类别", "所属乡镇", "经营地址", "法定代表人", "联系人", "联系电话", "经营状态"]


def _row(n: int, name: str, category: str = "道路普通货物运输") -> list:
    return [uscc(n), name, category, "凤城镇", f"阳城县凤城镇新阳东街{n}号", "张建国", "李红梅", "13912345678", "在营"]


def _sheet(rows: list[list]) -> bytes:
    return sheet("检查对象名录", HEADER, rows)


def _upload(page, name: str, content: bytes):
    page.get_by_label("导入文件").set_input_files({"name": name, "mimeType": XLSX, "buffer": content})
    page.get_by_role("button", name="校验并导入").click()


def _problem_rows(page) -> list[list[str]]:
    table = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="行号"))
    expect(table.get_by_role("columnheader")).to_have_text(["行号", "列", "问题"])
    return [[c.strip() for c in row.get_by_role("cell").all_inner_texts()]
            for row in table.locator("tbody").get_by_role("row").all()]


def _target_count(live_server) -> int:
    with live_server.session() as s:
        return s.scalar(select(func.count(Target.id)))


def test_office_imports_targets_from_excel(live_server, page, office_login):
    username, password = live_server.create_user("office")
    office_login(page, username, password)

    page.goto("/office/targets")
    page.get_by_role("link", name="导入", exact=True).click()

    bad_uscc = uscc(2)[:-1] + ("0" if uscc(2)[-1] != "0" else "1")
    bad = [_row(1, "阳城县宏达运输有限公司"), [bad_uscc] + _row(2, "阳城县顺通物流有限公司")[1:],
           _row(3, "阳城县蟒河船运有限公司", category="水路运输")]
    _upload(page, "检查对象名录（有错）.xlsx", _sheet(bad))
    expect(page.get_by_text("文件中有错误，未导入任何数据")).to_be_visible()
    problems = _problem_rows(page)
    assert [p[:2] for p in problems] == [["4", "统一社会信用代码"], ["5", "行业类别"]]
    assert "校验位错误" in problems[0][2]
    assert "水路运输" in problems[1][2] and "道路普通货物运输" in problems[1][2]
    assert _target_count(live_server) == 0

    good = [_row(1, "阳城县宏达运输有限公司"), _row(2, "阳城县顺通物流有限公司"),
            _row(3, "阳城县鑫源汽车维修有限公司", category="机动车维修")]
    _upload(page, "检查对象名录.xlsx", _sheet(good))
    expect(page.get_by_text("导入完成：新增 3 条，更新 0 条，未变 0 条")).to_be_visible()
    assert _target_count(live_server) == 3

    _upload(page, "检查对象名录.xlsx", _sheet(good))
    expect(page.get_by_text("导入完成：新增 0 条，更新 0 条，未变 3 条")).to_be_visible()

    page.goto("/office/targets")
    for name in ("阳城县宏达运输有限公司", "阳城县顺通物流有限公司", "阳城县鑫源汽车维修有限公司"):
        expect(page.get_by_role("cell", name=name)).to_be_visible()
    expect(page.get_by_text("阳城县蟒河船运有限公司")).to_have_count(0)


REAL_HEADER = ["社会信用代码", "企业名称", "行业类别", "法人", "联系电话", "经营状态"]


def _real_rows(bad: bool) -> list[list]:
    second = uscc(12)[:-1] + ("0" if uscc(12)[-1] != "0" else "1") if bad else uscc(12)
    return [[uscc(11), "阳城县宏达物流有限公司", "普通货运", "张建国", "13912345678", "存续"],
            [second, "阳城县金星驾驶员培训学校", "驾校", "李红梅", "13912345679", "在营"],
            [uscc(13), "阳城县鑫源汽车维修有限公司", "水路运输" if bad else "一类机动车维修", "赵志强", "13912345670", "在营"]]


def test_office_imports_a_real_shaped_sheet_and_downloads_the_error_report(live_server, page, office_login):
    from tests.e2e.journey_kit import download, marked_cells, office_sheet
    from tests.server.sheet_builders import xls_bytes

    username, password = live_server.create_user("office")
    office_login(page, username, password)
    page.goto("/office/targets/import")
    template = download(page, page.get_by_role("link", name=re.compile("^下载检查对象导入模板")))
    assert "填写说明" in load_workbook(io.BytesIO(template)).sheetnames

    bad = office_sheet("检查对象名录", REAL_HEADER, _real_rows(bad=True), numbered_to=20)
    _upload(page, "检查对象名录（三月）.xlsx", _rows_to_xlsx(bad))
    expect(page.get_by_text("文件中有错误，未导入任何数据")).to_be_visible()
    assert [p[:2] for p in _problem_rows(page)] == [["4", "社会信用代码"], ["5", "行业类别"]]
    report = download(page, page.get_by_role("link", name=re.compile("^下载错误报告")))
    cells = marked_cells(report)
    assert set(cells) == {"B4", "D5"}
    assert cells["D5"][0] == "水路运输" and "不是有效的行业类别" in cells["D5"][1]
    assert "校验位错误" in cells["B4"][1]
    assert _target_count(live_server) == 0

    good = office_sheet("检查对象名录", REAL_HEADER, _real_rows(bad=False), numbered_to=20)
    rows = [r + [None] * (len(REAL_HEADER) + 1 - len(r)) for r in good[1:]]
    _upload_as(page, "检查对象名录.et", xls_bytes(rows, title_rows=(good[0][0],)))
    expect(page.get_by_text("导入完成：新增 3 条，更新 0 条，未变 0 条")).to_be_visible()
    notes = page.get_by_role("list", name="导入说明")
    for text in ("表头“法人”按“法定代表人”导入", "“普通货运”按“道路普通货物运输”导入", "“驾校”按“机动车驾驶员培训”导入",
                 "“一类机动车维修”按“机动车维修”导入", "“存续”按“在营”导入", "第 6–22 行（共 17 行）只有序号、没有数据，已跳过",
                 "第 24 行是表尾或说明（“填表人：王丽"):
        expect(notes).to_contain_text(text)
    expect(page.get_by_text("下载错误报告")).to_have_count(0)
    assert _target_count(live_server) == 3
    with live_server.session() as s:
        assert s.scalar(select(Target.legal_rep).where(Target.uscc == uscc(12))) == "李红梅"


def _rows_to_xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(REAL_HEADER) + 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload_as(page, name: str, content: bytes):
    page.get_by_label("导入文件").set_input_files({"name": name, "mimeType": "application/octet-stream",
                                                 "buffer": content})
    page.get_by_role("button", name="校验并导入").click()
