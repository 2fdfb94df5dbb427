"""The import page's two downloads: the template with its 填写说明, and the error report with the bad cells marked."""
import base64
import io
import re

import openpyxl
import pytest

from tests import factories as f
from tests.server.sheet_builders import TARGET_HEAD, office_sheet, target_row, xls_bytes, xlsx_bytes

RED = "00FFC7CE"


@pytest.fixture
def office(session, login):
    user = f.create_user(session, role="office")
    session.commit()
    return login(user)


def upload(client, data, filename="名录.xlsx", name="targets"):
    return client.post(f"/office/{name}/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def error_report(resp) -> tuple[str, openpyxl.Workbook]:
    page = resp.get_data(as_text=True)
    link = re.search(r'<a href="data:([^;]+);base64,([^"]+)" download="([^"]+)">下载错误报告', page)
    assert link, page
    assert link.group(1) == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return link.group(3), openpyxl.load_workbook(io.BytesIO(base64.b64decode(link.group(2))))


def marked(ws) -> dict[str, tuple]:
    return {c.coordinate: (c.value, c.comment.text if c.comment else None)
            for row in ws.iter_rows() for c in row if c.fill.fgColor.rgb == RED}


def test_the_error_report_marks_each_bad_cell_with_its_problem(session, office):
    code = f.make_uscc(9002)
    bad_code = code[:17] + ("0" if code[17] != "0" else "1")
    rows = office_sheet(TARGET_HEAD, [target_row(9001), target_row(9002, {"统一社会信用代码": bad_code}),
                                      target_row(9003, {"行业类别": "水路运输", "联系电话": "待补"})], numbered_to=8)
    resp = upload(office, xls_bytes(rows), filename="检查对象名录（三月）.xls")
    assert resp.status_code == 422
    filename, wb = error_report(resp)
    assert filename == "检查对象名录（三月）-错误报告.xlsx"
    assert wb.sheetnames == ["Sheet1", "错误清单"]
    ws = wb["Sheet1"]
    assert marked(ws) == {
        "B4": (bad_code, f"统一社会信用代码校验位错误（应为 {code[17]}）"),
        "D5": ("水路运输", "“水路运输”不是有效的行业类别，可选：道路普通货物运输、道路旅客运输、城市公共汽车客运、出租汽车客运、"
                         "机动车驾驶员培训、机动车维修、道路客运站（场）"),
        "F5": ("待补", "“待补”不是有效的电话号码（只能包含数字、“-”和“+”，至少 7 位数字）"),
    }
    assert ws["A1"].value == "阳城县交通运输局检查对象名录库（2024年）" and ws["B2"].value == "统一社会信用代码"
    assert ws["A12"].value == "填表人：王丽" and ws["A13"].value.startswith("注：")  # rows keep their numbers
    listing = [r for r in wb["错误清单"].iter_rows(values_only=True)]
    assert listing[0][0] == "文件中有错误，未导入任何数据：2 行共 3 处问题"
    assert listing[3] == ("行号", "列", "列名", "问题") and [r[:3] for r in listing[4:]] == [
        (4, "B", "统一社会信用代码"), (5, "D", "行业类别"), (5, "F", "联系电话")]


def test_the_error_report_once_fixed_imports_as_it_is(session, office):
    rows = [TARGET_HEAD, target_row(9011), target_row(9012, {"行业类别": "水运"})]
    _name, wb = error_report(upload(office, xlsx_bytes(rows)))
    ws = wb.worksheets[0]
    ws["C4"].value = "道路普通货物运输"
    buf = io.BytesIO()
    wb.save(buf)
    resp = upload(office, buf.getvalue(), filename="名录-错误报告.xlsx")
    assert resp.status_code == 200 and "导入完成：新增 2 条，更新 0 条，未变 0 条" in resp.get_data(as_text=True)


def test_a_good_import_offers_no_error_report_but_shows_its_notes(session, office):
    head = TARGET_HEAD[:3] + ["法人", "备注栏"]
    rows = office_sheet(head, [target_row(9021, {"行业类别": "驾校"})[:3] + ["张建国", "x"]], numbered_to=3)
    resp = upload(office, xlsx_bytes(rows), filename="名录")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "下载错误报告" not in page
    assert "<strong>以下列未导入</strong>" in page and "“备注栏”" in page
    for note in ("表头“法人”按“法定代表人”导入", "“驾校”按“机动车驾驶员培训”导入（行业类别，第 3 行）",
                 "第 4–5 行（共 2 行）只有序号、没有数据，已跳过", "第 7 行是表尾或说明（“填表人：王丽　审核人：赵建国　填表日期：2024年3月8日”）"):
        assert note in page


def test_the_template_instructions_give_columns_allowed_values_examples_and_aliases(session, office):
    f.create_department(session, name="交通运输综合行政执法队")
    session.commit()
    page = office.get("/office/targets/import").get_data(as_text=True)
    assert 'href="/office/targets/template">下载检查对象导入模板' in page
    resp = office.get("/office/targets/template")
    assert resp.status_code == 200 and resp.mimetype.startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    rows = [r for r in wb["填写说明"].iter_rows(values_only=True)]
    head = rows.index(("列名", "是否必填", "填写说明", "可填写的值", "示例", "表头也可写作"))
    aliases = rows.index(("列名", "规范名称", "也可写作", None, None, None))
    by_column = {r[0]: r for r in rows[head + 1:aliases] if r[0]}
    assert by_column["行业类别"][1:5] == ("必填", by_column["行业类别"][2], "道路普通货物运输、道路旅客运输、城市公共汽车客运、"
                                         "出租汽车客运、机动车驾驶员培训、机动车维修、道路客运站（场）", "道路普通货物运输")
    assert "法人" in by_column["法定代表人"][5].split("、") and "企业名称" in by_column["单位名称"][5].split("、")
    assert by_column["许可证有效期至"][3] == "日期，或“长期”（没有截止日期）；不知道的填“—”"
    assert by_column["信用等级（交通）"][3] == "AA、A、B、C、D"
    table = {(r[0], r[1]): r[2] for r in rows[aliases + 1:] if r[0]}
    assert {"普通货运", "道路货物运输"} <= set(table[("行业类别", "道路普通货物运输")].split("、"))
    assert "驾校" in table[("行业类别", "机动车驾驶员培训")].split("、")
    inspectors = openpyxl.load_workbook(io.BytesIO(office.get("/office/inspectors/template").data))
    dept_row = next(r for r in inspectors["填写说明"].iter_rows(values_only=True) if r[0] == "所属部门")
    assert dept_row[3] == "交通运输综合行政执法队"


def test_the_cli_prints_the_notes(app, session, tmp_path):
    path = tmp_path / "名录.et"
    path.write_bytes(xls_bytes(office_sheet(TARGET_HEAD, [target_row(9031, {"行业类别": "普通货运"})], numbered_to=4)))
    result = app.test_cli_runner().invoke(args=["import-targets", str(path)])
    assert result.exit_code == 0, result.output
    assert "提示：“普通货运”按“道路普通货物运输”导入（行业类别，第 3 行）" in result.output
    assert "提示：第 4–6 行（共 3 行）只有序号、没有数据，已跳过" in result.output


def test_a_long_term_licence_shows_as_long_term_on_the_target_page(session, office):
    from sqlalchemy import select

    from server.models.registry import Target
    rows = [TARGET_HEAD + ["许可证号", "许可证有效期"], target_row(9041) + ["阳交运备2020041号、许可乙", "长期、2027-12-31"]]
    assert upload(office, xlsx_bytes(rows)).status_code == 200
    target_id = session.scalar(select(Target.id))
    page = office.get(f"/office/targets/{target_id}").get_data(as_text=True)
    assert '<td class="mono">阳交运备2020041号</td><td></td><td>长期</td>' in page
    assert '<td class="mono">许可乙</td><td></td><td>2027-12-31</td>' in page and "None" not in page
