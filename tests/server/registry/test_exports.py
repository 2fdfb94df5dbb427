"""Registry export (.xlsx, CSV with BOM) that re-imports unchanged, and the import template."""
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from server.errors import PermissionDenied, ValidationError
from server.models.registry import Target
from server.services.registry import exports, imports
from tests import factories as f
from tests.server.sheet_builders import read_xlsx

DAY = dt.date(2024, 6, 1)


@pytest.fixture
def registry_data(session):
    """A little of each registry, with the awkward parts: ratings, licences with details, checkpoints."""
    dept = f.create_department(session, name="运输管理股")
    t = f.create_target(session, name="阳城县通达运输有限公司", category="passenger", region="北留镇", tags=["重点企业", "危货"],
                        latitude=35.481234, longitude=112.412345, contact_phone="+86 13800000000",
                        licences=[{"no": "晋交运管许可晋字140522000001号", "kind": "道路运输经营许可证", "valid_until": "2027-12-31"}])
    f.create_rating(session, t, source="transport", level="C", effective_from=dt.date(2024, 1, 1))
    f.create_rating(session, t, source="market", level="A", effective_from=dt.date(2023, 1, 1))
    f.create_target(session, name="=HYPERLINK(\"http://evil\",\"点我\")", category="repair")
    f.create_inspector(session, dept, name="王五", cert_no="14052000001", tags=["客运"], phone="13900000000",
                       cert_issued_on=dt.date(2023, 3, 1), cert_expires_on=dt.date(2029, 2, 28))
    f.create_item(session, code="JT-001", checkpoints=("是否取得经营许可", "车辆技术档案是否齐全"), methods=["on_site", "document"],
                  target_categories=["freight", "passenger"], qualification_tags=["危货"], department=dept)
    return dept


@pytest.mark.parametrize("registry", ["targets", "inspectors", "items"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_changes_nothing(session, registry_data, registry, fmt):
    data, filename, _mime = exports.export_registry(session, None, registry, fmt, today=DAY)
    report = imports.import_file(session, None, registry, data, filename, today=DAY)
    assert report.ok and report.created == 0 and report.updated == 0 and report.unchanged >= 1


def test_xlsx_export_has_office_headers_and_labels(session, registry_data):
    data, filename, mime = exports.export_registry(session, None, "targets", "xlsx", today=DAY)
    assert filename == "检查对象名录库-20240601.xlsx" and mime.startswith("application/vnd.openxmlformats")
    rows = read_xlsx(data)["检查对象名录库"]
    assert rows[0][:3] == ("统一社会信用代码", "单位名称", "行业类别") and rows[0][-1] == "风险等级（系统计算）"
    row = next(r for r in rows if r[1] == "阳城县通达运输有限公司")
    by_head = dict(zip(rows[0], row))
    assert by_head["行业类别"] == "道路旅客运输" and by_head["标签"] == "重点企业、危货"
    assert by_head["信用等级（交通）"] == "C" and by_head["信用等级（市场监管）"] == "A"
    assert by_head["许可证号"] == "晋交运管许可晋字140522000001号" and by_head["经度"] == pytest.approx(112.412345)


def test_a_name_that_looks_like_a_formula_stays_text(session, registry_data):
    data, _, _ = exports.export_registry(session, None, "targets", "xlsx", today=DAY)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cell = next(c for c in ws["B"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"
    text = exports.export_registry(session, None, "targets", "csv", today=DAY)[0].decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+86 13800000000" in text


def test_csv_export_starts_with_a_bom_and_keeps_dates_and_lines(session, registry_data):
    data, filename, mime = exports.export_registry(session, None, "inspectors", "csv", today=DAY)
    assert data.startswith(b"\xef\xbb\xbf") and mime == "text/csv; charset=utf-8"
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "姓名,执法证号,发证日期,有效期至,所属部门,资质标签,在岗状态,联系电话"
    assert lines[1] == "王五,14052000001,2023-03-01,2029-02-28,运输管理股,客运,在岗,13900000000"
    items = exports.export_registry(session, None, "items", "csv", today=DAY)[0].decode("utf-8-sig")
    assert '"是否取得经营许可\n车辆技术档案是否齐全"' in items


def test_reimport_keeps_licence_details_the_sheet_does_not_carry(session, registry_data):
    data, filename, _ = exports.export_registry(session, None, "targets", "xlsx", today=DAY)
    imports.import_file(session, None, "targets", data, filename, today=DAY)
    target = session.scalar(select(Target).where(Target.name == "阳城县通达运输有限公司"))
    assert target.licences == [{"no": "晋交运管许可晋字140522000001号", "kind": "道路运输经营许可证", "valid_until": "2027-12-31"}]


def test_unknown_export_format_is_refused(session):
    with pytest.raises(ValidationError) as err:
        exports.export_registry(session, None, "targets", "pdf")
    assert err.value.message == "不支持导出为“pdf”格式，可选：xlsx、csv"


def test_inspector_accounts_cannot_export(session):
    user = f.create_user(session, role="inspector")
    with pytest.raises(PermissionDenied, match="执法检查人员账号不能导出名录库"):
        exports.export_registry(session, user, "targets", "xlsx")


@pytest.mark.parametrize("registry, sheet", [("targets", "检查对象名录库"), ("inspectors", "执法检查人员名录库"),
                                             ("items", "随机抽查事项清单")])
def test_template_has_header_example_and_instructions_and_imports_cleanly(session, registry, sheet):
    f.create_department(session, name="交通运输综合行政执法队")
    data, filename = exports.template(session, None, registry)
    assert filename == f"{sheet}-导入模板.xlsx"
    sheets = read_xlsx(data)
    assert list(sheets) == [sheet, "填写说明"]
    assert len([r for r in sheets[sheet] if any(v not in (None, "") for v in r)]) == 2
    notes = "\n".join(str(r[0]) for r in sheets["填写说明"] if r and r[0])
    assert "只要有一行有错误，整个文件都不会导入" in notes and "第 2 行是示例" in notes
    report = imports.import_file(session, None, registry, data, filename, today=DAY)
    assert report.summary() == "导入完成：新增 1 条，更新 0 条，未变 0 条"


def test_template_offers_drop_downs_for_categories_and_departments(session):
    f.create_department(session, name="法制股")
    data, _ = exports.template(session, None, "inspectors")
    ws = openpyxl.load_workbook(io.BytesIO(data))["执法检查人员名录库"]
    lists = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"法制股"' in lists and '"在岗,离岗"' in lists


def test_cli_export_then_import_is_unchanged(app, session, registry_data, tmp_path):
    session.commit()
    runner = app.test_cli_runner()
    for registry, sheet in (("targets", "检查对象名录库"), ("inspectors", "执法检查人员名录库"), ("items", "随机抽查事项清单")):
        path = tmp_path / f"{registry}.csv"
        out = runner.invoke(args=[f"export-{registry}", str(path)])
        assert out.exit_code == 0 and out.output.strip() == f"已导出{sheet}到 {path}"
        back = runner.invoke(args=[f"import-{registry}", str(path)])
        assert back.exit_code == 0 and "新增 0 条，更新 0 条" in back.output
    wrong = runner.invoke(args=["export-targets", str(tmp_path / "x.pdf")])
    assert wrong.exit_code == 1 and "导出文件名须以 .xlsx 或 .csv 结尾" in wrong.stderr
