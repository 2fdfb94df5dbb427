"""Registry import: validate every row first, report bad rows as Excel numbers them, upsert all or nothing."""
import datetime as dt

import pytest
from sqlalchemy import select

from server.errors import PermissionDenied
from server.models.audit import AuditEntry
from server.models.registry import CreditRating, Target
from server.services.registry.spreadsheets import FileProblem
from server.services.registry.uscc import check_digit
from tests import factories as f
from tests.server.sheet_builders import (
    TARGET_HEAD, csv_bytes, target_row, xlsx_bytes,
)

from tests.server.registry.import_kit import DAY, audit_actions, bad_check_digit, count, problems, run


# --- targets: a clean office sheet ---------------------------------------------------------------

def test_office_sheet_with_merged_title_full_width_digits_and_trailing_rows_imports(session):
    code = f.make_uscc(101)
    full_width = code.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    rows = [TARGET_HEAD, target_row(101, {"统一社会信用代码": f"  {full_width} ", "单位名称": " 阳城县  顺达运输有限公司 "}),
            target_row(102), target_row(103, {"行业类别": "道路客运站(场)"})]
    data = xlsx_bytes(rows, title_rows=("阳城县检查对象名录", "填报单位：运输管理股"), trailing_blank_rows=3)
    report = run(session, "targets", data)
    assert problems(report) == []
    assert report.summary() == "导入完成：新增 3 条，更新 0 条，未变 0 条"
    assert report.header_row == 3 and report.rows == 3
    target = session.scalar(select(Target).where(Target.uscc == code))
    assert target.name == "阳城县 顺达运输有限公司"
    assert session.scalar(select(Target.category).where(Target.uscc == f.make_uscc(103))) == "station"


def test_importing_the_same_file_again_changes_nothing(session):
    data = xlsx_bytes([TARGET_HEAD, target_row(111), target_row(112)])
    assert run(session, "targets", data).summary() == "导入完成：新增 2 条，更新 0 条，未变 0 条"
    again = run(session, "targets", data)
    assert again.summary() == "导入完成：新增 0 条，更新 0 条，未变 2 条"
    assert count(session, CreditRating) == 4
    assert audit_actions(session) == ["target.import", "target.import"]


def test_a_changed_row_is_updated_and_its_change_audited(session):
    run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(121), target_row(122)]))
    changed = target_row(122, {"单位名称": "阳城县新名称运输有限公司", "所属乡镇": "北留镇"})
    report = run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(121), changed]), filename="更新.xlsx")
    assert report.summary() == "导入完成：新增 0 条，更新 1 条，未变 1 条"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "target.update"))
    assert entry.detail["changes"]["name"] == ["阳城县第122运输有限公司", "阳城县新名称运输有限公司"]
    assert entry.detail["changes"]["region"] == ["凤城镇", "北留镇"]
    assert entry.detail["row"] == 4 and entry.detail["file"] == "更新.xlsx"
    last = session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()))
    assert last.action == "target.import" and (last.detail["created"], last.detail["updated"]) == (0, 1)


def test_first_import_audit_names_the_created_targets(session):
    run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(131)]), filename="首批.xlsx")
    entry = session.scalar(select(AuditEntry))
    assert entry.action == "target.import"
    assert entry.detail["created_keys"] == [f.make_uscc(131)] and entry.detail["file"] == "首批.xlsx"


# --- targets: bad rows ---------------------------------------------------------------------------

def test_bad_check_digit_is_reported_with_the_excel_row_and_nothing_is_imported(session):
    code = f.make_uscc(141)
    data = xlsx_bytes([TARGET_HEAD, target_row(140), target_row(141, {"统一社会信用代码": bad_check_digit(code)})])
    report = run(session, "targets", data)
    assert problems(report) == [(4, "统一社会信用代码", f"统一社会信用代码校验位错误（应为 {code[17]}）")]
    assert report.summary() == "文件中有错误，未导入任何数据：1 行共 1 处问题"
    assert count(session, Target) == 0 and audit_actions(session) == []


def test_uscc_twice_in_the_file_names_the_first_row(session):
    data = xlsx_bytes([TARGET_HEAD, target_row(151), target_row(152), target_row(151, {"单位名称": "另一家"})])
    assert problems(run(session, "targets", data)) == [(5, "统一社会信用代码", "与第 3 行重复")]


def test_unknown_category_lists_the_allowed_ones(session):
    report = run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(161, {"行业类别": "危险品运输"})]))
    assert problems(report) == [(3, "行业类别", "“危险品运输”不是有效的行业类别，可选：道路普通货物运输、道路旅客运输、"
                                              "城市公共汽车客运、出租汽车客运、机动车驾驶员培训、机动车维修、道路客运站（场）")]


def test_missing_required_field_and_unknown_rating_level_on_one_row(session):
    row = target_row(171, {"单位名称": "   ", "信用等级（交通）": "E", "信用等级（市场监管）": "AA"})
    assert problems(run(session, "targets", xlsx_bytes([TARGET_HEAD, row]))) == [
        (3, "单位名称", "必填，不能为空"),
        (3, "信用等级（交通）", "“E”不是有效的交通运输信用等级，可选：AA、A、B、C、D"),
        (3, "信用等级（市场监管）", "“AA”不是有效的市场监管信用等级，可选：A、B、C、D"),
    ]


def test_one_bad_row_among_good_ones_imports_nothing(session):
    f.create_target(session, uscc=f.make_uscc(181), name="原名称")
    rows = [TARGET_HEAD, target_row(181, {"单位名称": "新名称"}), target_row(182),
            target_row(183, {"联系电话": "电话待补"})]
    report = run(session, "targets", xlsx_bytes(rows))
    assert problems(report) == [(5, "联系电话", "“电话待补”不是有效的电话号码（只能包含数字、“-”和“+”，至少 7 位数字）")]
    assert count(session, Target) == 1
    assert session.scalar(select(Target.name)) == "原名称"


def test_coordinates_must_be_in_china_and_given_together(session):
    head = TARGET_HEAD + ["经度", "纬度"]
    rows = [head, target_row(191) + [112.41, 35.48], target_row(192) + ["11２.4", ""], target_row(193) + [200, 35]]
    assert problems(run(session, "targets", xlsx_bytes(rows))) == [
        (4, "纬度", "经度和纬度须同时填写（或同时留空）"),
        (5, "经度", "200 超出范围，经度应为 73 到 136 之间的数字（中国境内，如 112.41）"),
    ]


def test_credit_rating_columns_create_ratings_and_refresh_the_risk_level(session):
    run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(201, {"信用等级（交通）": "D", "信用等级（市场监管）": ""})]))
    target = session.scalar(select(Target))
    assert target.risk_level == "high"
    assert [(r.source, r.level, r.effective_from) for r in target.ratings] == [("transport", "D", DAY)]
    later = dt.date(2024, 9, 1)
    report = run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(201, {"信用等级（交通）": "aa", "信用等级（市场监管）": ""})]),
                 today=later)
    assert report.updated == 1
    session.refresh(target)
    assert target.risk_level == "low"
    assert sorted((r.level, r.effective_from, r.effective_to) for r in target.ratings) == [
        ("AA", later, None), ("D", DAY, later - dt.timedelta(days=1))]


def test_blank_rating_cell_keeps_the_existing_rating(session):
    run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(211, {"信用等级（交通）": "C"})]))
    report = run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(211, {"信用等级（交通）": "", "信用等级（市场监管）": "B"})]))
    assert report.unchanged == 1
    assert session.scalar(select(Target.risk_level)) == "higher"


def test_dry_run_reports_counts_and_writes_nothing(session):
    f.create_target(session, uscc=f.make_uscc(221), name="旧名")
    report = run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(221), target_row(222)]), dry_run=True)
    assert report.summary() == "校验通过（试导入，未写入）：将新增 1 条，更新 1 条，未变 0 条"
    assert count(session, Target) == 1 and session.scalar(select(Target.name)) == "旧名"
    assert audit_actions(session) == []


def test_unknown_columns_are_ignored_and_reported(session):
    rows = [TARGET_HEAD + ["备注栏"], target_row(231) + ["随便写"]]
    report = run(session, "targets", xlsx_bytes(rows))
    assert report.ok and report.ignored_columns == ["备注栏"]


def test_leader_may_not_import(session):
    leader = f.create_user(session, role="leader")
    with pytest.raises(PermissionDenied, match="只有系统管理员和科室工作人员可以修改或导入名录库"):
        run(session, "targets", xlsx_bytes([TARGET_HEAD, target_row(241)]), actor=leader)


# --- whole-file problems --------------------------------------------------------------------------

@pytest.mark.parametrize("data, filename, message", [
    (b"%PDF-1.4 ...", "名录.pdf", "不支持的文件类型“.pdf”，请上传 Excel（.xlsx、.xls）、WPS（.et）或 CSV 文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "名录.xls",
     "无法读取该 Excel 文件：文件可能已损坏，或不是 Excel 格式，请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"),
    (b"", "名录.xlsx", "文件是空的，请选择填好数据的文件"),
    (b"\xef\xbb\xbf\r\n\r\n", "名录.csv", "文件是空的，请选择填好数据的文件"),
    (b"PK\x03\x04 broken", "名录.xlsx", "无法读取该 Excel 文件：文件可能已损坏，或不是 .xlsx 格式，请用 Excel 打开后另存为 .xlsx 再导入"),
    (b"not a zip", "名录.xlsx", "无法读取该 Excel 文件：文件可能已损坏，或不是 .xlsx 格式，请用 Excel 打开后另存为 .xlsx 再导入"),
])
def test_unreadable_files_get_a_clear_message(session, data, filename, message):
    with pytest.raises(FileProblem) as err:
        run(session, "targets", data, filename=filename)
    assert err.value.message == message


def test_a_sheet_without_the_header_row_is_refused(session):
    data = xlsx_bytes([["序号", "企业"], [1, "阳城县某公司"]])
    with pytest.raises(FileProblem) as err:
        run(session, "targets", data)
    assert err.value.message == "找不到表头行：请确认表格前 30 行中有一行列名，且包含“统一社会信用代码”列（可下载导入模板对照）"


def test_a_header_missing_a_required_column_is_refused(session):
    data = xlsx_bytes([["统一社会信用代码", "单位名称", "所属乡镇"], [f.make_uscc(251), "某公司", "凤城镇"]])
    with pytest.raises(FileProblem) as err:
        run(session, "targets", data)
    assert err.value.message == "表头（第 2 行）缺少必填列：行业类别（可下载导入模板对照）"


def test_a_header_without_data_rows_is_refused(session):
    with pytest.raises(FileProblem) as err:
        run(session, "targets", xlsx_bytes([TARGET_HEAD], trailing_blank_rows=2))
    assert err.value.message == "表头（第 2 行）下面没有数据行，请填写后再导入"


def test_a_column_given_twice_is_refused(session):
    head = TARGET_HEAD + ["企业名称"]  # an alias of 单位名称
    with pytest.raises(FileProblem) as err:
        run(session, "targets", xlsx_bytes([head, target_row(261) + ["某公司"]]))
    assert err.value.message == "表头中“单位名称”列出现了两次（B 列和 H 列），请删除多余的一列"


# --- CSV ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk_imports(session, encoding):
    data = csv_bytes([["检查对象名录"], TARGET_HEAD, target_row(271), target_row(272)], encoding=encoding)
    report = run(session, "targets", data, filename="名录.csv")
    assert report.summary() == "导入完成：新增 2 条，更新 0 条，未变 0 条"
    assert session.scalar(select(Target.name).where(Target.uscc == f.make_uscc(271))) == "阳城县第271运输有限公司"


def test_csv_row_numbers_match_what_excel_shows(session):
    data = csv_bytes([TARGET_HEAD, target_row(281), target_row(282, {"行业类别": "货运"})], encoding="utf-8-sig")
    assert [p.row for p in run(session, "targets", data, filename="x.csv").problems] == [3]


# --- property: the validator never crashes, whatever office staff type -----------------------------

def test_valid_uscc_survives_any_width_and_spacing():
    from hypothesis import given, strategies as st

    from server.services.registry.columns import TARGETS

    parse = TARGETS.column("uscc").type.parse

    @given(st.integers(min_value=0, max_value=10**9 - 1), st.lists(st.booleans(), min_size=18, max_size=18),
           st.sampled_from(["", " ", "\u3000", "\t", "\u00a0", "\u200b", "\ufeff", "\u2060", "\u00ad"]))
    def check(n, widen, pad):
        body = f"91140522{n:09d}"
        code = body + check_digit(body)
        typed = "".join(chr(ord(c) + 0xFEE0) if w and c.isalnum() else c for c, w in zip(code, widen))
        assert parse(pad + typed[:9] + pad + typed[9:] + pad, {}) == code

    check()


def test_arbitrary_cell_text_gives_row_problems_never_a_crash(app, session):
    from hypothesis import HealthCheck, given, settings, strategies as st

    cell = st.one_of(st.none(), st.text(max_size=30), st.integers(-10**12, 10**12),
                     st.floats(allow_nan=False, allow_infinity=False), st.dates())

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.lists(cell, min_size=7, max_size=7), min_size=1, max_size=4))
    def check(rows):
        data = xlsx_bytes([TARGET_HEAD] + [[_sanitize(v) for v in r] for r in rows], title_rows=())
        try:
            report = run(session, "targets", data, dry_run=True)
        except FileProblem as err:  # e.g. every generated row blank, or only notes such as “合计”
            assert err.message in ("表头（第 1 行）下面没有数据行，请填写后再导入",
                                   "表头（第 1 行）下面没有数据行（其余行只有序号或是表尾说明），请填写后再导入")
            return
        for p in report.problems:
            assert p.row >= 2 and p.column in TARGET_HEAD and p.message

    check()


def _sanitize(value):
    """openpyxl refuses control characters and formulas; offices cannot type those either."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return "'" + value if value.startswith("=") else value
    return value


# --- command line ---------------------------------------------------------------------------------

def test_cli_import_prints_the_report_in_chinese(app, session, tmp_path):
    path = tmp_path / "名录.xlsx"
    path.write_bytes(xlsx_bytes([TARGET_HEAD, target_row(301), target_row(302)]))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import-targets", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "校验通过（试导入，未写入）：将新增 2 条，更新 0 条，未变 0 条" in dry.output
    assert count(session, Target) == 0
    result = runner.invoke(args=["import-targets", str(path)])
    assert result.exit_code == 0 and "导入完成：新增 2 条，更新 0 条，未变 0 条" in result.output
    session.expire_all()
    assert count(session, Target) == 2


def test_cli_import_with_a_bad_row_exits_1_and_imports_nothing(app, session, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx_bytes([TARGET_HEAD, target_row(311), target_row(312, {"行业类别": "货运"})]))
    result = app.test_cli_runner().invoke(args=["import-targets", str(path)])
    assert result.exit_code == 1
    assert "文件中有错误，未导入任何数据：1 行共 1 处问题" in result.stderr
    assert "4\t行业类别\t“货运”不是有效的行业类别" in result.stderr
    assert count(session, Target) == 0


def test_cli_import_of_a_missing_or_unreadable_file(app, tmp_path):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["import-items", str(tmp_path / "无此文件.xlsx")])
    assert missing.exit_code == 1 and "无法读取文件" in missing.stderr
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    wrong = runner.invoke(args=["import-inspectors", str(tmp_path / "x.pdf")])
    assert wrong.exit_code == 1 and "不支持的文件类型“.pdf”" in wrong.stderr
