"""The fast .xlsx value reader gives what openpyxl gives, plus the dates of Chinese Excel's date formats."""
import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from server.services.registry import imports, xlsx_reader
from tests import factories as f
from tests.server.sheet_builders import INSPECTOR_HEAD, TARGET_HEAD, target_row, xlsx_bytes

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rows_of(data, sheet=0):
    return [(n, _trim(r)) for n, r in xlsx_reader.sheets(data)[sheet][1]]


def _trim(values):
    values = list(values)
    while values and values[-1] is None:
        values.pop()
    return values


def test_same_values_as_openpyxl_for_an_openpyxl_workbook():
    data = xlsx_bytes([TARGET_HEAD + ["日期", "布尔", "小数"],
                       target_row(1) + [dt.datetime(2024, 3, 1), True, 112.41],
                       target_row(2) + [None, False, -3]], trailing_blank_rows=1)
    ws = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    expected = [(n, _trim(r)) for n, r in enumerate(ws.iter_rows(values_only=True), start=1) if any(
        v is not None for v in r)]
    got = [(n, r) for n, r in rows_of(data) if any(v is not None for v in r)]
    assert got == expected


def excel_like(sheet_xml: str, shared: list[str], date1904: bool = False, workbook_ns: str = MAIN) -> bytes:
    """A workbook laid out as Excel writes it: shared strings and a styles part with Chinese date formats."""
    pr = ' date1904="1"' if date1904 else ""
    sst = "".join(s if s.startswith("<si>") else f"<si><t>{s}</t></si>" for s in shared)
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '</Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{workbook_ns}" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<workbookPr{pr}/><sheets><sheet name="名录" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        '</Relationships>',
        "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst xmlns="{MAIN}">{sst}</sst>',
        "xl/styles.xml": f'<?xml version="1.0"?><styleSheet xmlns="{MAIN}">'
        '<numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy/m/d;@"/></numFmts>'
        '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="31"/><xf numFmtId="176"/><xf numFmtId="49"/></cellXfs>'
        '</styleSheet>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{sheet_xml}</sheetData></worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
    return buf.getvalue()


def test_shared_and_rich_strings_dates_and_formula_results():
    rich = "<si><r><t>阳城县</t></r><r><rPr><b/></rPr><t>顺达</t></r><rPh sb=\"0\" eb=\"1\"><t>ヤン</t></rPh></si>"
    sheet = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
             '<row r="3"><c r="A3" s="1"><v>45352</v></c><c r="B3" s="2"><v>45352</v></c><c r="C3" s="3"><v>45352.5</v></c>'
             '<c r="D3" s="4" t="s"><v>2</v></c><c r="E3" t="str"><f>A1&amp;"x"</f><v>名录x</v></c>'
             '<c r="F3" t="e"><v>#N/A</v></c><c r="G3" t="b"><v>1</v></c><c r="H3"><v>1.4052E+10</v></c></row>'
             '<row><c t="inlineStr"><is><t>行内</t></is></c><c><v>7</v></c></row>')
    data = excel_like(sheet, ["名录", rich, "14052000001"])
    assert rows_of(data) == [
        (1, ["名录", None, "阳城县顺达"]),
        (3, [dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 1, 12), "14052000001", "名录x",
             "#N/A", True, 14052000000.0]),
        (4, ["行内", 7]),
    ]


def test_1904_workbooks_shift_the_dates():
    data = excel_like('<row r="1"><c r="A1" s="1"><v>366</v></c></row>', [], date1904=True)
    assert rows_of(data) == [(1, [dt.datetime(1905, 1, 1)])]
    assert rows_of(excel_like('<row r="1"><c r="A1" s="1"><v>366</v></c></row>', [])) == [(1, [dt.datetime(1900, 12, 31)])]


def test_strict_or_foreign_layouts_are_left_to_openpyxl():
    data = excel_like('<row r="1"><c r="A1"><v>1</v></c></row>', [], workbook_ns="http://purl.oclc.org/ooxml/spreadsheetml/main")
    with pytest.raises(xlsx_reader.XlsxUnreadable):
        xlsx_reader.sheets(data)
    broken = excel_like('<row r="1"><c r="A1" t="s"><v>9</v></c></row>', ["only one"])
    with pytest.raises(xlsx_reader.XlsxUnreadable):
        rows_of(broken)


def test_an_excel_sheet_with_chinese_date_cells_imports(session):
    dept = f.create_department(session, name="法制股")
    strings = INSPECTOR_HEAD + ["张三", "法制股", "在岗", "检查员名录"]
    cells = "".join(f'<c r="{chr(65 + i)}2" t="s"><v>{i}</v></c>' for i in range(len(INSPECTOR_HEAD)))
    sheet = (f'<row r="1"><c r="A1" t="s"><v>{len(strings) - 1}</v></c></row><row r="2">{cells}</row>'
             '<row r="3"><c r="A3" t="s"><v>7</v></c><c r="B3"><v>14052000001</v></c><c r="C3" s="2"><v>45352</v></c>'
             '<c r="D3" s="3"><v>47177</v></c><c r="E3" t="s"><v>8</v></c><c r="G3" t="s"><v>9</v></c></row>')
    report = imports.import_file(session, None, "inspectors", excel_like(sheet, strings), "人员.xlsx")
    assert report.summary() == "导入完成：新增 1 条，更新 0 条，未变 0 条", report.problems
    from server.models.registry import Inspector
    insp = session.query(Inspector).one()
    assert (insp.cert_no, insp.cert_issued_on, insp.cert_expires_on, insp.department_id) == \
        ("14052000001", dt.date(2024, 3, 1), dt.date(2029, 2, 28), dept.id)
