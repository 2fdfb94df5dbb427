"""What the office's end-to-end tests need besides the PWA's steps: the bureau's registries as the .xlsx files an
office keeps, and the office steps several stages repeat (opening a page from the navigation, importing a
sheet, reading a 项目/内容 table, downloading a file, opening a PDF, running `spotcheck verify-draw`)."""
from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook

from server.services.registry.uscc import check_digit
from tests.e2e.pwa_kit import CHECKPOINTS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
DEPARTMENT = "执法一中队"
ITEM_CODE, ITEM_NAME = "JT-001", "道路货物运输经营行为检查"
ITEM_LABEL = f"{ITEM_CODE} {ITEM_NAME}（一般）"
WITNESS = "监督人 阳城县道路运输协会 李红梅：今天天气晴，抽取开始"
SPOTCHECK = Path(sys.executable).with_name("spotcheck")  # the console script beside the running interpreter


def uscc(n: int) -> str:
    """A valid 统一社会信用代码 for the n-th business of the journey."""
    body = f"91140522MA0{n:06d}"
    return body + check_digit(body)


@dataclass(frozen=True)
class Business:
    n: int
    name: str

    @property
    def uscc(self) -> str:
        return uscc(self.n)


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    cert_no: str

    @property
    def option(self) -> str:
        """How the 用户 page offers this inspector for linking."""
        return f"{self.name}（{self.cert_no}）"


TARGETS = (Business(101, "阳城县宏达物流有限公司"), Business(102, "阳城县顺通货运有限公司"),
           Business(103, "阳城县鑫源运输有限公司"))
INSPECTORS = (Person("wangjg", "王建国", "14052200101"), Person("lim", "李明", "14052200102"),
              Person("zhangw", "张伟", "14052200103"), Person("liuf", "刘芳", "14052200104"))
TARGET_LAT, TARGET_LON = 35.4862, 112.4153


def beijing_today() -> dt.date:
    """The bureau's today (the office works in 北京时间, whatever the machine's zone)."""
    return dt.datetime.now(BEIJING).date()


# ---- the office's spreadsheets ----------------------------------------------------------------------

def sheet(title: str, header: list[str], rows: list[list]) -> bytes:
    """An .xlsx like an office's: a merged title line above the header, then the rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append([f"阳城县交通运输局{title}（{beijing_today().year}年）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def targets_sheet() -> bytes:
    header = ["统一社会信用代码", "单位名称", "行业类别", "所属乡镇", "经营地址", "经度", "纬度", "法定代表人", "联系人",
              "联系电话", "经营状态"]
    rows = [[t.uscc, t.name, "道路普通货物运输", "凤城镇", f"阳城县凤城镇凤鸣路{t.n}号", TARGET_LON, TARGET_LAT,
             "赵大海", "赵志强", "13903560000", "在营"] for t in TARGETS]
    return sheet("检查对象名录", header, rows)


def inspectors_sheet() -> bytes:
    header = ["姓名", "执法证号", "发证日期", "有效期至", "所属部门", "在岗状态", "联系电话"]
    rows = [[p.name, p.cert_no, dt.date(2023, 3, 1), dt.date(2029, 2, 28), DEPARTMENT, "在岗", "13800000000"]
            for p in INSPECTORS]
    return sheet("执法检查人员名录", header, rows)


def items_sheet() -> bytes:
    header = ["事项编号", "抽查事项", "事项类别（一般/重点）", "检查依据", "检查方式", "检查对象类别", "检查要点", "状态"]
    rows = [[ITEM_CODE, ITEM_NAME, "一般", "《中华人民共和国道路运输条例》第二十四条、第六十九条", "实地检查",
             "道路普通货物运输", "\n".join(CHECKPOINTS), "已发布"]]
    return sheet("随机抽查事项清单", header, rows)


def xlsx_rows(data: bytes) -> list[list[str]]:
    """Every row of a workbook's first sheet as text."""
    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]


# ---- desktop pages ------------------------------------------------------------------------------------

def nav(page, label: str):
    """Open a page from the office's main navigation, as staff do."""
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=label, exact=True).click()


def choose(scope, label: str, option: str):
    """Pick an option of the <select> whose label starts with `label` (a select inside its <label> has the
    options in its accessible name, so an exact label never matches)."""
    scope.get_by_role("combobox", name=re.compile("^" + re.escape(label))).select_option(label=option)


def kv(page, header: str):
    """The value cell of a two-column 项目/内容 table's row."""
    return page.get_by_role("row").filter(has=page.get_by_text(header, exact=True)).get_by_role("cell").last


def flash(page, text: str):
    """Wait for the status line a form's result is announced in."""
    page.get_by_role("status").filter(has_text=text).first.wait_for()


def import_sheet(page, nav_label: str, filename: str, data: bytes, created: int):
    """From a registry's list page: 导入, upload the .xlsx, and see every row created."""
    nav(page, nav_label)
    page.get_by_role("link", name="导入", exact=True).click()
    page.get_by_label("导入文件").set_input_files({"name": filename, "mimeType": XLSX, "buffer": data})
    page.get_by_role("button", name="校验并导入").click()
    flash(page, f"导入完成：新增 {created} 条，更新 0 条，未变 0 条")


def download(page, link) -> bytes:
    """Click a link that offers a file and return the file's bytes."""
    with page.expect_download() as info:
        link.click()
    path = info.value.path()
    return Path(path).read_bytes()


def open_document(page, link) -> bytes:
    """Click a link the browser opens in its PDF viewer, then save what it shows (the same URL, same session):
    the viewer hands Playwright its own wrapper page, not the file."""
    href = link.evaluate("a => a.href")
    link.click()
    page.wait_for_url(href)
    response = page.request.get(href)
    assert response.ok, f"{href}: HTTP {response.status}"
    assert response.headers["content-type"] == "application/pdf", response.headers
    return response.body()


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text poppler's pdftotext reads from a PDF, with the layout's spaces and line breaks removed."""
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=60)
    return squeeze(out.stdout.decode("utf-8"))


def squeeze(text: str) -> str:
    """Text without whitespace, to compare Chinese that a PDF's layout breaks across lines."""
    return re.sub(r"\s+", "", text)


def verify_draw(data: bytes, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run `spotcheck verify-draw` on a downloaded record, as anyone checking a draw would."""
    path = tmp_path / "draw-record.json"
    path.write_bytes(data)
    return subprocess.run([str(SPOTCHECK), "verify-draw", str(path)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)



def office_sheet(title: str, header: list[str], rows: list[list], numbered_to: int) -> list[list]:
    """The rows of a sheet as a county office fills it in: a title line, a 序号 column numbered to `numbered_to`
    (past the last filled row), and the footer (填表人, 审核人, 填表日期) and a note under the table."""
    out = [[f"阳城县交通运输局{title}（{beijing_today().year}年）"], ["序号"] + header]
    out += [[i] + row for i, row in enumerate(rows, start=1)] + [[i] for i in range(len(rows) + 1, numbered_to + 1)]
    return out + [[], ["填表人：王丽", None, "审核人：赵建国", None, "填表日期：", beijing_today().isoformat()],
                  ["注：行业类别按道路运输经营许可证填写。"]]


def marked_cells(data: bytes, fill: str = "FFC7CE") -> dict[str, tuple]:
    """The cells of a workbook's first sheet filled with `fill` (the error report's red): {A1: (value, comment)}."""
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return {c.coordinate: (c.value, c.comment.text if c.comment else None)
            for row in ws.iter_rows() for c in row if (c.fill.fgColor.rgb or "").endswith(fill)}
