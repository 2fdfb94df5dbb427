"""Office staff log in and import the target registry from an Excel sheet, as an office would."""
from __future__ import annotations

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
