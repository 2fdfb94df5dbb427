"""Sheets as county offices really keep them: 序号 numbered past the data, footers, notes, old Excel and WPS
files under any name, and the names offices write instead of the registry's own."""
import datetime as dt

import pytest
from sqlalchemy import select

from server.models.registry import Inspector, Target
from server.services.registry import imports
from server.services.registry.spreadsheets import FileProblem
from server.services.registry.uscc import check_digit
from tests import factories as f
from tests.server.sheet_builders import (
    INSPECTOR_HEAD, TARGET_HEAD, csv_bytes, encrypted_xlsx_bytes, office_sheet, target_row, xls_bytes, xlsx_bytes,
)

DAY = dt.date(2024, 6, 1)
SKIP_NOTES = ["第 6–20 行（共 15 行）只有序号、没有数据，已跳过",
              "第 22 行是表尾或说明（“填表人：王丽　审核人：赵建国　填表日期：2024年3月8日”），不是数据，已跳过",
              "第 23 行是表尾或说明（“注：1. 行业类别按道路运输经营许可证填写；2. 联系电话填手机号。”），不是数据，已跳过"]


def run(session, registry, data, filename="名录.xlsx", **kw):
    return imports.import_file(session, None, registry, data, filename, today=kw.pop("today", DAY), **kw)


def problems(report):
    return [(p.row, p.column, p.message) for p in report.problems]


def real_sheet(n0=1, count=3):
    return office_sheet(TARGET_HEAD, [target_row(n) for n in range(n0, n0 + count)], numbered_to=18)


# --- rows that are not data -------------------------------------------------------------------------

@pytest.mark.parametrize("kind, filename", [
    ("xlsx", "检查对象名录.xlsx"), ("xls", "检查对象名录.xls"), ("xls", "检查对象名录.et"), ("xlsx", "检查对象名录.et"),
    ("xlsx", "检查对象名录.xls"), ("xls", "检查对象名录"), ("xlsx", "检查对象名录"),
])
def test_a_real_sheet_with_numbering_and_footer_imports_under_any_name(session, kind, filename):
    rows = real_sheet(11)
    data = xlsx_bytes(rows) if kind == "xlsx" else xls_bytes(rows)
    report = run(session, "targets", data, filename)
    assert problems(report) == []
    assert report.summary() == "导入完成：新增 3 条，更新 0 条，未变 0 条"
    assert report.file_kind == kind and report.rows == 3 and report.header_row == 2
    assert report.notes() == SKIP_NOTES
    assert sorted(session.scalars(select(Target.name))) == [f"阳城县第{n}运输有限公司" for n in (11, 12, 13)]
    assert report.ignored_columns == []  # 序号 is known: never reported as an ignored column


def test_a_row_with_partial_data_is_still_an_error(session):
    rows = office_sheet(TARGET_HEAD, [target_row(21), [None, None, None, "凤城镇"], target_row(23)], numbered_to=5)
    report = run(session, "targets", xlsx_bytes(rows))
    assert problems(report) == [(4, "统一社会信用代码", "必填，不能为空"), (4, "单位名称", "必填，不能为空"),
                                (4, "行业类别", "必填，不能为空")]
    assert session.scalar(select(Target.id)) is None


def test_a_row_with_a_name_but_no_uscc_is_an_error_not_a_footer(session):
    rows = [TARGET_HEAD, target_row(31), [None, "阳城县无码运输有限公司", "道路普通货物运输"]]
    assert problems(run(session, "targets", xlsx_bytes(rows))) == [(4, "统一社会信用代码", "必填，不能为空")]


def test_a_row_with_a_value_beside_its_footer_label_is_still_a_footer_but_stray_text_is_not(session):
    footer = [target_row(41), ["制表人：", "李红", "单位（盖章）：阳城县运输管理股"], ["合计", "共 1 户", None, None, 1]]
    assert run(session, "targets", xlsx_bytes([TARGET_HEAD] + footer)).ok
    stray = [TARGET_HEAD, target_row(42), ["审核人：赵建国", "随手写的字", "再一个"]]
    assert [p.row for p in run(session, "targets", xlsx_bytes(stray)).problems] == [4, 4]


def test_a_sheet_of_only_numbering_and_footer_says_so(session):
    with pytest.raises(FileProblem) as err:
        run(session, "targets", xlsx_bytes(office_sheet(TARGET_HEAD, [], numbered_to=10)))
    assert err.value.message == "表头（第 2 行）下面没有数据行（其余行只有序号或是表尾说明），请填写后再导入"


def test_csv_with_numbering_and_footer_in_gbk_imports(session):
    data = csv_bytes([["检查对象名录"]] + real_sheet(51), encoding="gb18030")
    report = run(session, "targets", data, filename="名录.csv")
    assert report.ok and report.created == 3 and report.notes() == SKIP_NOTES


def test_the_audit_entry_names_the_rows_passed_over(session):
    from server.models.audit import AuditEntry
    run(session, "targets", xlsx_bytes(real_sheet(61)))
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "target.import"))
    assert entry.detail["skipped_rows"] == list(range(6, 21)) + [22, 23]


# --- old Excel and files whose name does not say what they are -------------------------------------------

def test_old_excel_reads_dates_numbers_merged_titles_and_skips_the_instructions_sheet(session):
    f.create_department(session, name="交通运输综合行政执法队")
    rows = [INSPECTOR_HEAD, ["王五", 14052000001, dt.date(2024, 3, 1), 20290228, "交通运输综合行政执法队", "客运", "在岗"],
            ["赵六", "14052000002", "2024年3月1日", "2029/2/28", "交通运输综合行政执法队", "", ""]]
    data = xls_bytes(rows, title_rows=("执法人员名录", "填报单位：法制股"), sheet="执法人员",
                     sheets_before=(("填写说明", [["序号", "执法证号", "说明"], [1, "14052000009", "示例"]]),))
    report = run(session, "inspectors", data, filename="执法人员.xls")
    assert problems(report) == [] and report.sheet == "执法人员" and report.header_row == 3
    got = {(i.cert_no, i.cert_issued_on, i.cert_expires_on) for i in session.scalars(select(Inspector))}
    assert got == {("14052000001", dt.date(2024, 3, 1), dt.date(2029, 2, 28)),
                   ("14052000002", dt.date(2024, 3, 1), dt.date(2029, 2, 28))}


def test_old_excel_errors_name_the_row_as_excel_shows_it(session):
    data = xls_bytes([TARGET_HEAD, target_row(71), target_row(72, {"行业类别": "水路运输"})])
    assert [(p.row, p.column) for p in run(session, "targets", data, filename="名录.xls").problems] == [(4, "行业类别")]


@pytest.mark.parametrize("data, filename, message", [
    (xls_bytes([TARGET_HEAD, target_row(81)], password=True), "名录.xls",
     "该 Excel 文件设置了打开密码，请在 Excel 或 WPS 中取消密码（或另存为不加密的 .xlsx）后再导入"),
    (encrypted_xlsx_bytes(), "名录.xlsx", "该 Excel 文件设置了打开密码，请在 Excel 或 WPS 中取消密码（或另存为不加密的 .xlsx）后再导入"),
    (b"<html><body><table><tr><td>x</td></tr></table></body></html>", "名录.xls",
     "该文件实际上是网页（HTML）或 XML 格式的表格，不是 Excel 文件：请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"),
    (b"\x00\x01binary", "名录", "不支持的文件类型“（无扩展名）”，请上传 Excel（.xlsx、.xls）、WPS（.et）或 CSV 文件"),
    (b"\x00\x01binary", "名录.et", "无法读取该 Excel 文件：文件可能已损坏，或不是 Excel 格式，请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"),
])
def test_files_that_cannot_be_read_say_why(session, data, filename, message):
    with pytest.raises(FileProblem) as err:
        run(session, "targets", data, filename=filename)
    assert err.value.message == message


def test_tab_separated_text_named_xls_is_read_as_text(session):
    text = "\r\n".join("\t".join(str(v) for v in row) for row in [TARGET_HEAD, target_row(91), target_row(92)])
    report = run(session, "targets", text.encode("gb18030"), filename="系统导出.xls")
    assert report.ok and report.file_kind == "csv" and report.created == 2


# --- normalisation --------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "{c}\u200b", "\ufeff{c}", "{a}\u200b{b}", "{a}\u00ad{b}", "{a}\u2060{b}", "\u200e{c}\u200f", "{a}\u00a0{b}",
    "{a} {b}", "{lower}", "{wide}",
])
def test_uscc_with_invisible_characters_width_case_and_spaces_imports(session, typed):
    code = "91140522MA0K0001X"
    code += check_digit(code)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    cell = typed.format(c=code, a=code[:6], b=code[6:], lower=code.lower(), wide=wide)
    report = run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(101, {"统一社会信用代码": cell})]))
    assert problems(report) == []
    assert session.scalar(select(Target.uscc)) == code


def test_a_uscc_excel_turned_into_a_number_is_explained(session):
    rows = [TARGET_HEAD, target_row(111, {"统一社会信用代码": 911405221234567890}),
            target_row(112, {"统一社会信用代码": "9.11405E+17"})]
    assert problems(run(session, "targets", xlsx_bytes(rows))) == [
        (3, "统一社会信用代码", "统一社会信用代码被 Excel 存成了数字，后几位已丢失：请把该列设为“文本”格式后重新填写"),
        (4, "统一社会信用代码", "统一社会信用代码“9.11405E+17”被 Excel 存成了数字，后几位已丢失：请把该列设为“文本”格式后重新填写"),
    ]


@pytest.fixture
def dept(session):
    return f.create_department(session, name="交通运输综合行政执法队", code="ZFD")


def inspector(name, cert, issued="2024-03-01", expires="2029-02-28", dept_name="交通运输综合行政执法队"):
    return [name, cert, issued, expires, dept_name, "", "在岗"]


def test_dates_written_as_20240308_in_text_or_number_cells(session, dept):
    rows = [INSPECTOR_HEAD, inspector("甲", "14052000101", 20240308, "20290307"),
            inspector("乙", "14052000102", "２０２４０３０８", 20290307.0), inspector("丙", "14052000103", 20240230)]
    report = run(session, "inspectors", xlsx_bytes(rows))
    assert problems(report) == [(5, "发证日期", "“20240230”不是有效日期，请写成 2024-03-01 这样的格式")]
    rows.pop()
    assert run(session, "inspectors", xlsx_bytes(rows)).ok
    assert set(session.scalars(select(Inspector.cert_issued_on))) == {dt.date(2024, 3, 8)}


def test_long_term_is_refused_for_an_enforcement_certificate_with_the_reason(session, dept):
    rows = [INSPECTOR_HEAD, inspector("甲", "14052000111", expires="长期"), inspector("乙", "14052000112", expires="长期有效")]
    message = "执法证都有有效期，不能填“长期”：请按执法证上的“有效期至”填写具体日期，如 2029-02-28"
    assert problems(run(session, "inspectors", xlsx_bytes(rows))) == [(3, "有效期至", message), (4, "有效期至", message)]


LICENCE_HEAD = TARGET_HEAD + ["许可证号", "许可证有效期至"]


def test_a_licence_without_an_end_date_is_long_term_and_round_trips(session):
    from server.services.registry import exports
    rows = [LICENCE_HEAD, target_row(121) + ["晋交运管许可晋字140522000121号、阳交运备2020121号", "2027-12-31、长期"],
            target_row(122) + ["晋交运管许可晋字140522000122号", "永久"],
            target_row(123) + ["晋交运管许可晋字140522000123号、晋交运管许可晋字140522000124号", "20281231"]]
    assert problems(run(session, "targets", xlsx_bytes(rows))) == []
    by_uscc = {t.uscc: t.licences for t in session.scalars(select(Target))}
    assert by_uscc[f.make_uscc(121)] == [
        {"no": "晋交运管许可晋字140522000121号", "valid_until": "2027-12-31"},
        {"no": "阳交运备2020121号", "valid_until": None, "long_term": True}]
    assert by_uscc[f.make_uscc(122)] == [{"no": "晋交运管许可晋字140522000122号", "valid_until": None, "long_term": True}]
    assert [lic["valid_until"] for lic in by_uscc[f.make_uscc(123)]] == ["2028-12-31", "2028-12-31"]
    data, filename, _ = exports.export_registry(session, None, "targets", "xlsx", today=DAY)
    again = run(session, "targets", data, filename)
    assert again.ok and (again.created, again.updated) == (0, 0)


def test_licence_dates_must_match_the_licence_numbers(session):
    rows = [LICENCE_HEAD, target_row(131) + ["许可甲、许可乙、许可丙", "2027-12-31、长期"],
            target_row(132) + ["", "2027-12-31"], target_row(133) + ["许可丁", "2027-13-01"]]
    assert problems(run(session, "targets", xlsx_bytes(rows))) == [
        (3, "许可证有效期至", "填了 2 个有效期，但许可证号有 3 个：请按许可证号的顺序一一对应，用“、”分隔，不知道的填“—”"),
        (4, "许可证有效期至", "没有填写许可证号，不能只填有效期"),
        (5, "许可证有效期至", "“2027-13-01”不是有效日期，请写成 2024-03-01 这样的格式；没有截止日期的填“长期”"),
    ]


# --- aliases ----------------------------------------------------------------------------------------

def test_common_category_names_import_and_each_mapping_is_reported(session):
    names = {141: "普通货运", 142: "道路货物运输", 143: "一类机动车维修", 144: "驾校", 145: "客运站", 146: "普通货运",
             147: "道路客运站(场)", 148: "网约车"}
    rows = [TARGET_HEAD] + [target_row(n, {"行业类别": v}) for n, v in names.items()]
    report = run(session, "targets", xlsx_bytes(rows))
    assert problems(report) == []
    assert report.notes() == [
        "“普通货运”按“道路普通货物运输”导入（行业类别，第 3、8 行）", "“道路货物运输”按“道路普通货物运输”导入（行业类别，第 4 行）",
        "“一类机动车维修”按“机动车维修”导入（行业类别，第 5 行）", "“驾校”按“机动车驾驶员培训”导入（行业类别，第 6 行）",
        "“客运站”按“道路客运站（场）”导入（行业类别，第 7 行）", "“网约车”按“出租汽车客运”导入（行业类别，第 10 行）"]
    got = dict(session.execute(select(Target.uscc, Target.category)).all())
    assert [got[f.make_uscc(n)] for n in names] == ["freight", "freight", "repair", "driving_school", "station",
                                                    "freight", "station", "taxi"]


def test_words_that_could_mean_two_categories_are_still_refused(session):
    rows = [TARGET_HEAD, target_row(151, {"行业类别": "货运"}), target_row(152, {"行业类别": "客运"})]
    found = run(session, "targets", xlsx_bytes(rows)).problems
    assert [p.row for p in found] == [3, 4]
    assert found[0].message.startswith("“货运”不是有效的行业类别，可选：道路普通货物运输")
    assert found[1].message.startswith("“客运”不是有效的行业类别，可选：道路普通货物运输")


def test_header_synonyms_are_read_reported_and_survive_a_round_trip(session):
    from server.services.registry import exports
    head = ["社会信用代码", "企业名称", "行业类别", "法人", "联系电话（手机）", "备注栏"]
    rows = [head, [f.make_uscc(161), "阳城县顺达运输有限公司", "道路普通货物运输", "张建国", "13912345678", "老客户"]]
    report = run(session, "targets", xlsx_bytes(rows))
    assert report.ok and report.ignored_columns == ["备注栏"]
    assert report.notes() == ["表头“社会信用代码”按“统一社会信用代码”导入", "表头“企业名称”按“单位名称”导入",
                              "表头“法人”按“法定代表人”导入", "表头“联系电话（手机）”按“联系电话”导入"]
    target = session.scalar(select(Target))
    assert (target.legal_rep, target.contact_phone) == ("张建国", "13912345678")
    data, _name, _ = exports.export_registry(session, None, "targets", "xlsx", today=DAY)
    from tests.server.sheet_builders import read_xlsx
    sheet = read_xlsx(data)["检查对象名录库"]
    assert dict(zip(sheet[0], sheet[1]))["法定代表人"] == "张建国"


def test_every_alias_of_every_registry_names_a_single_column():
    from server.services.registry.columns import REGISTRIES, header_key
    for spec in REGISTRIES.values():
        seen = {}
        for col in spec.columns:
            for name in (col.header,) + col.aliases:
                assert seen.setdefault(header_key(name), col.field) == col.field, (spec.name, name)


def test_department_short_names_are_read_and_reported_and_ambiguous_ones_refused(session, dept):
    f.create_department(session, name="运输管理股")
    f.create_department(session, name="执法一中队")
    f.create_department(session, name="执法二中队")
    rows = [INSPECTOR_HEAD, inspector("甲", "14052000171", dept_name="执法队"),
            inspector("乙", "14052000172", dept_name="阳城县交通运输综合行政执法队"),
            inspector("丙", "14052000173", dept_name="运管股"), inspector("丁", "14052000174", dept_name="ZFD")]
    report = run(session, "inspectors", xlsx_bytes(rows))
    assert problems(report) == []
    assert report.notes() == ["“执法队”按“交通运输综合行政执法队”导入（部门，第 3 行）",
                              "“阳城县交通运输综合行政执法队”按“交通运输综合行政执法队”导入（部门，第 4 行）",
                              "“运管股”按“运输管理股”导入（部门，第 5 行）"]
    assert set(session.scalars(select(Inspector.department_id))) == {dept.id, session.scalar(
        select(Inspector.department_id).where(Inspector.cert_no == "14052000173"))}
    ambiguous = [INSPECTOR_HEAD, inspector("戊", "14052000175", dept_name="中队"),
                 inspector("己", "14052000176", dept_name="交通科")]
    assert problems(run(session, "inspectors", xlsx_bytes(ambiguous))) == [
        (3, "所属部门", "部门“中队”可能是：执法一中队、执法二中队，请填写部门全称"),
        (4, "所属部门", "部门“交通科”不存在，现有部门：交通运输综合行政执法队、执法一中队、执法二中队、运输管理股")]


def test_enforcement_certificate_numbers_lose_invisible_characters_too(session, dept):
    rows = [INSPECTOR_HEAD, inspector("甲", "\u200b14052000181\ufeff")]
    assert run(session, "inspectors", xlsx_bytes(rows)).ok
    assert session.scalar(select(Inspector.cert_no)) == "14052000181"


def test_status_and_item_aliases(session):
    rows = [TARGET_HEAD + ["经营状态"], target_row(181) + ["存续（在营、开业、在册）"], target_row(182) + ["已注销"]]
    report = run(session, "targets", xlsx_bytes(rows))
    assert report.ok
    assert dict(session.execute(select(Target.uscc, Target.status)).all()) == {f.make_uscc(181): "active",
                                                                               f.make_uscc(182): "closed"}
