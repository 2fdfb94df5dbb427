"""Rows under an office sheet's header that are not records: a 序号 column numbered past the last filled row,
and the footer and notes (填表人：…　审核人：…　填表日期：…, 注：…, 合计, 以下空白).

A row is passed over only when nothing in it is data: every filled cell is a 序号 or part of a note. A row
with any other value is a record, checked like the others, so a half-filled row is still an error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from server.services.registry.cell_types import cell_text

SEQ_HEADERS = {"序号", "序", "顺序号", "排序", "编次", "NO", "NO.", "NO:"}
_LABEL = (r"填表人|填报人|制表人|统计人|经办人|录入人|审核人|审核|复核人|核对人|审批人|负责人|单位负责人|分管领导|主管领导|"
          r"科室负责人|填表日期|填报日期|制表日期|统计日期|报送日期|审核日期|填报单位|填表单位|制表单位|报送单位|"
          r"单位（盖章）|单位\(盖章\)|盖章|联系人|联系电话|日期")
_FOOTER = re.compile(rf"^({_LABEL})\s*[:：]")
_NOTE = re.compile(r"^(注|备注|说明|附注|注意|填表说明|填报说明)\s*(\d+|[一二三四五六七八九十]+)?\s*[:：、.．]")
_TOTAL = re.compile(r"^(合\s*计|总\s*计|小\s*计|共\s*计|以下空白|以下无内容|以下无数据|本页以下空白|此页以下空白)")


@dataclass(frozen=True)
class NonData:
    kind: str  # "seq": only a 序号; "note": a footer, note or total line
    text: str = ""  # the note, shortened, for the report


def is_seq_header(key: str) -> bool:
    """Whether a header (as header_key gives it) names a 序号 column."""
    return key.upper() in SEQ_HEADERS


def _note(text: str) -> str | None:
    """'total' or 'label' or 'note' when the text is one, else None."""
    if _TOTAL.match(text):
        return "total"
    if _FOOTER.match(text):
        return "label" if re.search(r"[:：]$", text) else "note"
    if _NOTE.match(text):
        return "note"
    return None


def classify(cells: list, seq_columns: set[int]) -> NonData | None:
    """NonData when the row holds no data at all, else None (the row is a record)."""
    filled = [(i, v) for i, v in enumerate(cells) if v is not None and (not isinstance(v, str) or v.strip())]
    notes: list[str] = []
    expect_value = False
    for i, value in filled:
        text = cell_text(value) if isinstance(value, str) else ""
        kind = _note(text) if text else None
        if i in seq_columns and not kind:
            continue
        if kind == "total":
            return NonData("note", text[:40])  # the rest of a 合计 line is its figures
        if kind:
            notes.append(text)
            expect_value = kind == "label"  # 填表日期： | 2024-03-08: the next cell is the label's value
        elif expect_value:
            notes[-1] += cell_text(value)
            expect_value = False
        else:
            return None
    if notes:
        return NonData("note", "　".join(notes)[:40])
    return NonData("seq") if filled else None


def looks_like_data(raw: Any) -> bool:
    """A quick test on the key cell: filled with something that is not a note means a record."""
    if raw is None:
        return False
    if not isinstance(raw, str):
        return True
    text = raw.strip()
    return bool(text) and _note(cell_text(text)) is None
