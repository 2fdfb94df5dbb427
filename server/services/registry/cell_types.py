"""Cell types: how one cell of an office sheet (or one form field) is read, checked and written back.

Every parser raises CellError with the message the office sees, in Chinese.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from server.services.registry import uscc as uscc_rules
from server.services.registry.aliases import find_department
from server.vocab import RATING_LEVELS, LabelledEnum, RatingSource

# Full-width digits and Latin letters (and the ideographic space) fold to ASCII even in free text;
# full-width punctuation such as （） stays, because official names are written with it.
_WIDTH = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF1A), (0xFF21, 0xFF3B), (0xFF41, 0xFF5B)) for c in range(*r)}
_WIDTH[0x3000] = 0x20
_WIDTH[0x00A0] = 0x20
INVISIBLE = uscc_rules.INVISIBLE  # zero-width spaces and the like, which make a USCC 19 characters long
_SPACES = re.compile(r"\s+")
_BLANKS = re.compile(r"[ \t]+")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_SPLIT = re.compile(r"[、,，;；/\n\r]+")
_EXCEL_WRAPPED = re.compile(r'^="(.*)"$', re.S)


class CellError(Exception):
    """A cell whose content cannot be used; the message is shown to the office as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def cell_text(raw: Any, multiline: bool = False) -> str:
    """A cell or form value as clean text: numbers without '.0', widths folded, spaces tidied."""
    if raw is None:
        return ""
    if type(raw) is not str:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, dt.datetime):
            raw = raw.date() if raw.time() == dt.time() else raw
        if isinstance(raw, dt.date):
            return raw.isoformat()
        raw = str(raw)
    text = INVISIBLE.sub("", raw.translate(_WIDTH)).strip()
    if text[:1] in ("=", "'"):
        m = _EXCEL_WRAPPED.match(text)
        if m:
            text = m.group(1)
        if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
            text = text[1:]  # the export's guard against formula injection
    if multiline:
        lines = (_BLANKS.sub(" ", ln).strip() for ln in _NEWLINES.split(text))
        return "\n".join(ln for ln in lines if ln)
    return _SPACES.sub(" ", text).strip()


def note_alias(ctx: dict, what: str, typed: str, meant: str) -> None:
    """Remember that the cell's `typed` was read as `meant`, for the import report (ctx['aliases'])."""
    uses = ctx.get("aliases")
    if uses is not None:
        uses.setdefault((what, typed, meant), []).append(ctx.get("row"))


def split_list(text: str) -> list[str]:
    """Split a cell of several values (separated by 、 , ； / or new lines), dropping repeats."""
    out: list[str] = []
    for part in _SPLIT.split(text):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


class ColumnType:
    """How one kind of cell is parsed and written back."""

    multiline = False

    def parse(self, raw: Any, ctx: dict) -> Any:
        return cell_text(raw, self.multiline)

    def is_blank(self, raw: Any) -> bool:
        return cell_text(raw, self.multiline) == ""

    def empty(self) -> Any:
        return ""

    def cell(self, value: Any) -> Any:
        """The value as written to an .xlsx cell."""
        return value if value is not None else ""

    def text(self, value: Any) -> str:
        """The value as text: CSV cells and form inputs."""
        value = self.cell(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return "" if value is None else str(value)


class Text(ColumnType):
    def __init__(self, max_len: int, multiline: bool = False):
        self.max_len, self.multiline = max_len, multiline

    def parse(self, raw, ctx):
        text = cell_text(raw, self.multiline)
        if len(text) > self.max_len:
            raise CellError(f"内容过长：不能超过 {self.max_len} 个字，实际 {len(text)} 个字")
        return text


class Key(ColumnType):
    """A registry key typed by people (执法证号, 事项编号): no spaces, half-width, upper-case."""

    def __init__(self, max_len: int):
        self.max_len = max_len

    def parse(self, raw, ctx):
        text = re.sub(r"\s+", "", nfkc(cell_text(raw))).upper()
        if re.fullmatch(r"\d(\.\d+)?E\+\d+", text):
            raise CellError(f"“{text}”被 Excel 显示成了科学计数法，原号码已丢失：请把该列设为“文本”格式后重新填写")
        if len(text) > self.max_len:
            raise CellError(f"不能超过 {self.max_len} 个字符，实际 {len(text)} 个")
        return text


_LOST_DIGITS = "被 Excel 存成了数字，后几位已丢失：请把该列设为“文本”格式后重新填写"


class Uscc(ColumnType):
    def parse(self, raw, ctx):
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and abs(raw) >= 1e15:
            raise CellError(f"统一社会信用代码{_LOST_DIGITS}")  # a float holds 15–16 digits of the 18
        code = uscc_rules.normalize(cell_text(raw))
        if re.fullmatch(r"\d(\.\d+)?E\+\d+", code):
            raise CellError(f"统一社会信用代码“{code}”{_LOST_DIGITS}")
        problem = uscc_rules.problem(code)
        if problem:
            raise CellError(problem)
        return code


def _lookup(enum: type[LabelledEnum], aliases: dict[str, LabelledEnum]) -> dict[str, LabelledEnum]:
    table = {nfkc(k): v for k, v in aliases.items()}
    for m in enum:
        table[nfkc(m.label)] = m
        table[m.value] = m
    return table


class Choice(ColumnType):
    """One value of a vocabulary, typed as its Chinese label (or its code)."""

    def __init__(self, enum: type[LabelledEnum], what: str, default: LabelledEnum | None = None,
                 aliases: dict[str, LabelledEnum] | None = None):
        self.enum, self.what, self.default = enum, what, default
        self.table = _lookup(enum, aliases or {})
        self.canonical = {nfkc(m.label).replace(" ", "") for m in enum} | {m.value for m in enum}

    def _member(self, text: str, ctx: dict) -> LabelledEnum:
        key = nfkc(text).replace(" ", "")
        member = self.table.get(key)
        if member is None:
            raise CellError(f"“{text}”不是有效的{self.what}，可选：{self.allowed()}")
        if key not in self.canonical:
            note_alias(ctx, self.what, text, member.label)
        return member

    def allowed(self) -> str:
        return "、".join(m.label for m in self.enum)

    def aliases(self) -> list[tuple[str, str]]:
        """(alias, label) for each other name this column reads, for the template."""
        return [(k, m.label) for k, m in self.table.items() if k not in self.canonical]

    def parse(self, raw, ctx):
        text = cell_text(raw)
        if not text:
            return self.default.value if self.default else ""
        return self._member(text, ctx).value

    def empty(self):
        return self.default.value if self.default else ""

    def cell(self, value):
        member = self.enum.by_label(value) if value else None
        return member.label if member else (value or "")


class MultiChoice(Choice):
    def parse(self, raw, ctx):
        out = []
        for part in split_list(cell_text(raw)):
            member = self._member(part, ctx)
            if member.value not in out:
                out.append(member.value)
        return out

    def empty(self):
        return []

    def cell(self, value):
        return "、".join(super(MultiChoice, self).cell(v) for v in value or [])


class Tags(ColumnType):
    def parse(self, raw, ctx):
        tags = split_list(cell_text(raw))
        for t in tags:
            if len(t) > 32:
                raise CellError(f"标签“{t[:10]}…”过长：每个标签不能超过 32 个字")
        return tags

    def empty(self):
        return []

    def cell(self, value):
        return "、".join(value or [])


class Lines(ColumnType):
    """One entry per line (检查要点); leading numbering such as “1.” or “（2）” is dropped."""

    multiline = True
    _NUMBERING = re.compile(r"^(?:\d{1,2}[.、．)）]|[（(]\d{1,2}[)）])\s*")

    def parse(self, raw, ctx):
        lines = [self._NUMBERING.sub("", ln).strip() for ln in cell_text(raw, True).split("\n")]
        return [ln for ln in lines if ln]

    def empty(self):
        return []

    def cell(self, value):
        return "\n".join(value or [])


class Number(ColumnType):
    def __init__(self, lo: float, hi: float, hint: str):
        self.lo, self.hi, self.hint = lo, hi, hint

    def parse(self, raw, ctx):
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = float(raw)
        else:
            text = nfkc(cell_text(raw)).replace(" ", "")
            if not text:
                return None
            try:
                value = float(text)
            except ValueError:
                raise CellError(f"“{text}”不是数字，{self.hint}") from None
        if not self.lo <= value <= self.hi:
            raise CellError(f"{value:g} 超出范围，{self.hint}")
        return round(value, 6)

    def empty(self):
        return None


class Phone(ColumnType):
    def parse(self, raw, ctx):
        text = nfkc(cell_text(raw)).strip()
        if not text:
            return ""
        if not re.fullmatch(r"[0-9+\-() 、,/转]+", text) or len(re.sub(r"\D", "", text)) < 7:
            raise CellError(f"“{text}”不是有效的电话号码（只能包含数字、“-”和“+”，至少 7 位数字）")
        if len(text) > 32:
            raise CellError("电话号码过长：不能超过 32 个字符")
        return text


class DepartmentRef(ColumnType):
    """A department typed by name, code or a short name (执法队); ctx['departments'] maps names and codes."""

    def parse(self, raw, ctx):
        text = cell_text(raw)
        if not text:
            return None
        departments = ctx.get("departments") or {}
        dept = departments.get(nfkc(text).replace(" ", ""))
        if dept is None:
            dept = self._by_short_name(text, departments, ctx)
        if not dept.is_active:
            raise CellError(f"部门“{dept.name}”已停用，请改填在用的部门")
        return dept.id

    @staticmethod
    def _by_short_name(text, departments, ctx):
        dept, candidates = find_department(nfkc(text).replace(" ", ""), departments)
        if candidates:
            raise CellError(f"部门“{text}”可能是：{'、'.join(candidates)}，请填写部门全称")
        if dept is None:
            names = "、".join(sorted({d.name for d in departments.values() if d.is_active}))
            hint = f"现有部门：{names}" if names else "系统中还没有部门，请先由管理员添加部门"
            raise CellError(f"部门“{text}”不存在，{hint}")
        note_alias(ctx, "部门", text, dept.name)
        return dept

    def empty(self):
        return None


class Rating(ColumnType):
    def __init__(self, source: RatingSource):
        self.source = source

    def parse(self, raw, ctx):
        text = nfkc(cell_text(raw)).replace(" ", "").upper()
        if text and text not in RATING_LEVELS[self.source]:
            allowed = "、".join(RATING_LEVELS[self.source])
            raise CellError(f"“{text}”不是有效的{self.source.label}信用等级，可选：{allowed}")
        return text


class Licences(ColumnType):
    """Licence numbers, several separated by 、 or ；."""

    def parse(self, raw, ctx):
        nos = split_list(nfkc(cell_text(raw)).replace(",", "、"))
        for no in nos:
            if len(no) > 64:
                raise CellError(f"许可证号“{no[:12]}…”过长：不能超过 64 个字符")
        return nos

    def empty(self):
        return []

    def cell(self, value):
        return "、".join(value or [])
