"""The rules of a task received from the level above (上级任务): what it must record, where its targets come
from, and which columns the results go back in.

An upper task names the authority that deployed it, that authority's document number (文号) and, where it
has one, the task code it uses. Its targets come either as a list the level above sends (imported from its
sheet; the draw then takes every listed target, a ratio of 100% recorded as such, so the record stays a
normal verifiable draw) or are drawn here at the ratio it sets. The results go back as a sheet in the
columns it asked for, chosen from RESULT_COLUMNS (which hold the gsxt 双随机抽查结果信息 fields).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from server.services.draw import v1 as draw_v1
from server.vocab import TaskType

UPPER = TaskType.UPPER.value
SOURCES = {"list": "上级下发对象名单", "draw": "本级按上级设定的比例抽取"}
TAKE_ALL = {k: "1" for k in draw_v1.STRATA}  # a list from above: every listed target is inspected
MAX_AUTHORITY, MAX_DOC_NO, MAX_TASK_CODE = 200, 100, 64


@dataclass(frozen=True)
class ResultColumn:
    key: str
    header: str
    aliases: tuple[str, ...] = ()


RESULT_COLUMNS = (
    ResultColumn("plan_code", "抽查计划编号", ("计划编号",)),
    ResultColumn("plan_name", "抽查计划名称", ("计划名称",)),
    ResultColumn("task_code", "抽查任务编号", ("任务编号",)),
    ResultColumn("task_name", "抽查任务名称", ("任务名称",)),
    ResultColumn("type", "抽查类型", ("类型",)),
    ResultColumn("authority", "抽查机关", ("检查实施机关", "检查机关", "实施机关")),
    ResultColumn("completed_on", "抽查完成日期", ("检查日期", "完成日期", "日期")),
    ResultColumn("uscc", "统一社会信用代码", ("社会信用代码", "信用代码", "统一社会信用代码（注册号）")),
    ResultColumn("target_name", "企业名称", ("单位名称", "主体名称", "检查对象", "名称")),
    ResultColumn("seqno", "序号"),
    ResultColumn("item_name", "检查事项", ("抽查事项",)),
    ResultColumn("result", "检查结果", ("抽查结果", "结果")),
    ResultColumn("doc_no", "下达文号", ("文号", "任务文号")),
    ResultColumn("address", "住所", ("地址", "经营地址", "注册地址")),
    ResultColumn("inspectors", "检查人员", ("执法人员",)),
    ResultColumn("cert_nos", "执法证号", ("执法证件号",)),
    ResultColumn("follow_ups", "后续处置措施", ("处置措施", "处置情况")),
    ResultColumn("summary", "检查情况", ("发现问题情况", "检查情况说明")),
    ResultColumn("status", "办理状态", ("状态",)),
    ResultColumn("note", "备注"),
)
GSXT_COLUMNS = ("抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "抽查类型", "抽查机关", "抽查完成日期",
                "统一社会信用代码", "企业名称", "序号", "检查事项", "检查结果")


def _norm(text: str) -> str:
    return re.sub(r"[\s*＊]", "", text or "")


_BY_NAME = {_norm(n): c for c in RESULT_COLUMNS for n in (c.header,) + c.aliases}


def column_for(header: str) -> ResultColumn | None:
    """The result field a header the level above wrote stands for."""
    return _BY_NAME.get(_norm(header))


def clean_columns(raw, errors: dict) -> list[str]:
    """The return sheet's headers as the level above wrote them (one a line), each one a known field."""
    if isinstance(raw, str):
        raw = re.split(r"[\n\r、,，;；\t]+", raw)
    headers = [str(h).strip() for h in raw or () if str(h).strip()]
    if not headers:
        return list(GSXT_COLUMNS)
    unknown = [h for h in headers if column_for(h) is None]
    if unknown:
        known = "、".join(c.header for c in RESULT_COLUMNS)
        errors["upper_columns"] = f"回传表的列“{'、'.join(unknown)}”无法识别，请改用这些列名之一：{known}"
    seen: dict[str, str] = {}
    for h in headers:
        col = column_for(h)
        if col is not None and col.key in seen:
            errors["upper_columns"] = f"回传表的列“{seen[col.key]}”和“{h}”是同一项内容，请只保留一列"
        elif col is not None:
            seen[col.key] = h
    return headers


def _text(data: dict, key: str, limit: int, label: str, errors: dict, required: str | None = None) -> str:
    value = str(data.get(key) or "").strip()
    if required and not value:
        errors[key] = required
    elif len(value) > limit:
        errors[key] = f"{label}不能超过 {limit} 个字"
    return value


def clean(data: dict, errors: dict) -> dict:
    """The upper-task fields, checked; problems go into `errors` under their field names."""
    source = str(data.get("upper_source") or "").strip()
    if source not in SOURCES:
        errors["upper_source"] = "请选择检查对象的来源：上级下发对象名单，或本级按上级设定的比例抽取"
    return {
        "upper_authority": _text(data, "upper_authority", MAX_AUTHORITY, "下达机关", errors,
                                 "上级任务须填写下达任务的上级机关（如 晋城市交通运输局）"),
        "upper_doc_no": _text(data, "upper_doc_no", MAX_DOC_NO, "下达文号", errors,
                              "上级任务须填写上级下达文件的文号（如 晋市交运发〔2024〕12号）"),
        "upper_task_code": _text(data, "upper_task_code", MAX_TASK_CODE, "上级任务编号", errors),
        "upper_source": source,
        "upper_columns": clean_columns(data.get("upper_columns"), errors),
    }


def empty() -> dict:
    """The upper-task fields of a task of any other type."""
    return {"upper_authority": "", "upper_doc_no": "", "upper_task_code": "", "upper_source": "", "upper_columns": []}


def takes_list(task) -> bool:
    """Whether the task's targets are the list the level above sent (not a local draw)."""
    return task.task_type == UPPER and task.upper_source == "list"


def deployed_by(task) -> str:
    """How the plan and the portal name an upper task's origin: 上级部署（机关 文号）."""
    if task.task_type != UPPER:
        return ""
    origin = " ".join(p for p in (task.upper_authority, task.upper_doc_no) if p)
    return f"上级部署（{origin}）" if origin else "上级部署"
