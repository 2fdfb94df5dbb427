"""What an import found: the counts, each bad cell, and the notes on what was read in a way the sheet did not
say word for word (rows passed over, aliases, columns left out), so nothing happens behind the office's back."""
from __future__ import annotations

from dataclasses import dataclass, field

from server.services.registry.non_data import NonData
from server.services.registry.spreadsheets import Table

ROWS_NAMED = 6  # a note names this many rows, then says how many more


@dataclass
class RowProblem:
    row: int  # the row number Excel shows
    column: str  # the column's header as written in the file
    message: str
    col: int | None = None  # the column's index in the sheet (0 = A), for the error report's highlighting


@dataclass
class ImportReport:
    registry: str
    label: str
    filename: str
    sheet: str | None = None
    header_row: int = 0
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    file_kind: str = ""  # xlsx | xls | csv, as the content showed, whatever the file's name
    skipped: list[tuple[int, NonData]] = field(default_factory=list)
    header_aliases: list[tuple[str, str]] = field(default_factory=list)  # (as written, the column it was read as)
    aliases: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)  # (what, typed, meant) -> rows
    table: Table | None = field(default=None, repr=False, compare=False)  # as read, for the error report

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One sentence in Chinese for the page and the command line."""
        if self.problems:
            rows = len({p.row for p in self.problems})
            return f"文件中有错误，未导入任何数据：{rows} 行共 {len(self.problems)} 处问题"
        counts = f"新增 {self.created} 条，更新 {self.updated} 条，未变 {self.unchanged} 条"
        return f"校验通过（试导入，未写入）：将{counts}" if self.dry_run else f"导入完成：{counts}"

    def notes(self) -> list[str]:
        """In Chinese: each header and value read under another name, and each kind of row passed over."""
        out = [f"表头“{typed}”按“{meant}”导入" for typed, meant in self.header_aliases]
        for (what, typed, meant), rows in self.aliases.items():
            out.append(f"“{typed}”按“{meant}”导入（{what}，{rows_text(rows)}）")
        seq = [n for n, nd in self.skipped if nd.kind == "seq"]
        if seq:
            out.append(f"{rows_text(seq)}只有序号、没有数据，已跳过")
        for n, nd in self.skipped:
            if nd.kind == "note":
                out.append(f"第 {n} 行是表尾或说明（“{nd.text}”），不是数据，已跳过")
        return out


def rows_text(rows: list[int]) -> str:
    """第 5 行 · 第 5、8 行 · 第 13–40 行 · 第 3、5–9、12 行等 20 行: rows as a clerk reads them."""
    rows = sorted(set(n for n in rows if n is not None))
    spans: list[list[int]] = []
    for n in rows:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in spans[:ROWS_NAMED]]
    more = f"等 {len(rows)} 行" if len(spans) > ROWS_NAMED else ""
    if len(spans) > ROWS_NAMED or len(spans) == 1 and spans[0][0] != spans[0][1]:
        more = more or f"（共 {len(rows)} 行）"
        return f"第 {'、'.join(parts)} 行{more}"
    return f"第 {'、'.join(parts)} 行"
