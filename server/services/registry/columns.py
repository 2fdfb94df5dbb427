"""The columns of the three registries as an office sheet has them, and how each cell is read.

One definition serves the importer, the exporter, the template and the office edit forms, so a
value is checked the same way wherever it is typed, and the Chinese messages are the same too.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from server.errors import NotFound
from server.services.registry import uscc as uscc_rules
from server.services.registry.aliases import (
    CATEGORY_ALIASES, INSPECTOR_STATUS_ALIASES, ITEM_KIND_ALIASES, ITEM_STATUS_ALIASES, METHOD_ALIASES,
    TARGET_STATUS_ALIASES, flat,
)
from server.services.registry.cell_dates import Date, LicenceDates
from server.services.registry.cell_types import (
    Choice, ColumnType, DepartmentRef, Key, Licences, Lines, MultiChoice, Number, Phone, Rating, Tags, Text, Uscc,
    cell_text, nfkc,
)
from server.vocab import (
    InspectorStatus, ItemKind, ItemStatus, Method, RatingSource, RiskLevel, TargetCategory, TargetStatus,
)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    type: ColumnType
    required: bool = False
    note: str = ""
    example: Any = ""
    aliases: tuple[str, ...] = ()
    export_only: bool = False  # written on export for reading, ignored on import
    is_key: bool = False
    text_format: bool = False  # the template formats the column as text so Excel keeps long numbers


@dataclass(frozen=True)
class RegistrySpec:
    name: str  # targets | inspectors | items
    label: str  # 检查对象 …
    sheet_title: str
    columns: tuple[Column, ...]
    key_field: str
    singular: str  # for audit actions: target.import …
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> Column:
        return next(c for c in self.columns if c.field == self.key_field)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)

    @property
    def importable(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.export_only)


_EXAMPLE_USCC = "91140522MA0K00001" + uscc_rules.check_digit("91140522MA0K00001")
_CN_LONGITUDE = Number(73, 136, "经度应为 73 到 136 之间的数字（中国境内，如 112.41）")
_CN_LATITUDE = Number(3, 54, "纬度应为 3 到 54 之间的数字（中国境内，如 35.48）")
_CATEGORIES = flat(CATEGORY_ALIASES)
_CERT_LONG_TERM = "执法证都有有效期，不能填“长期”：请按执法证上的“有效期至”填写具体日期，如 2029-02-28"

TARGETS = RegistrySpec("targets", "检查对象", "检查对象名录库", (
    Column("统一社会信用代码", "uscc", Uscc(), True, "18 位，校验位按 GB 32100-2015 检查", _EXAMPLE_USCC,
           ("统一社会信用代码（注册号）", "社会信用代码", "信用代码", "统一信用代码", "社会统一信用代码", "统一代码",
            "统一社会信用代码/注册号", "信用代码/注册号"), is_key=True, text_format=True),
    Column("单位名称", "name", Text(200), True, "营业执照上的名称", "阳城县示例运输有限公司",
           ("主体名称", "企业名称", "名称", "企业（单位）名称", "经营者名称", "经营业户名称", "业户名称", "机构名称",
            "单位全称", "企业全称")),
    Column("行业类别", "category", Choice(TargetCategory, "行业类别", aliases=_CATEGORIES), True,
           "可选：" + "、".join(m.label for m in TargetCategory), TargetCategory.FREIGHT.label,
           ("类别", "行业", "行业分类", "业户类别", "经营类别", "经营类型", "业务类别", "对象类别")),
    Column("标签", "tags", Tags(), False, "多个用“、”分隔，如 危货、重点企业", "重点企业"),
    Column("所属乡镇", "region", Text(64), False, "乡镇或街道", "凤城镇", ("乡镇", "所属乡镇（街道）", "所在乡镇", "乡镇（街道）", "乡镇街道", "所属街道")),
    Column("经营地址", "address", Text(300), False, "", "阳城县凤城镇示例路 1 号", ("注册地址", "地址", "住所", "经营场所", "住所（经营场所）", "经营场所地址", "详细地址")),
    Column("经度", "longitude", _CN_LONGITUDE, False, "十进制度数，与纬度同时填写", 112.41),
    Column("纬度", "latitude", _CN_LATITUDE, False, "十进制度数，与经度同时填写", 35.48),
    Column("法定代表人", "legal_rep", Text(64), False, "", "张三",
           ("法人", "法人代表", "法定代表人（负责人）", "法定代表人/负责人", "法定代表人姓名", "法人姓名", "负责人", "经营者",
            "经营者姓名", "业户负责人")),
    Column("联系人", "contact_name", Text(64), False, "", "李四", ("联络人", "联络员")),
    Column("联系电话", "contact_phone", Phone(), False, "手机或固定电话", "13800000000",
           ("联系方式", "电话", "手机号", "手机", "手机号码", "电话号码", "移动电话", "联系人电话"), text_format=True),
    Column("许可证号", "licences", Licences(), False, "道路运输经营许可证等，多个用“、”分隔", "晋交运管许可晋字140522000001号",
           ("经营许可证号", "道路运输经营许可证号", "许可证编号", "经营许可证编号", "道路运输经营许可证", "许可证"),
           text_format=True),
    Column("许可证有效期至", "licence_valid_until", LicenceDates(), False,
           "与许可证号一一对应，多个用“、”分隔；没有截止日期的填“长期”", "2027-12-31",
           ("许可证有效期", "许可证有效期限", "经营许可证有效期至", "许可有效期至", "有效期至", "有效期")),
    Column("经营状态", "status", Choice(TargetStatus, "经营状态", TargetStatus.ACTIVE, flat(TARGET_STATUS_ALIASES)), False,
           "可选：" + "、".join(m.label for m in TargetStatus) + "；不填为在营", TargetStatus.ACTIVE.label, ("状态", "登记状态", "企业状态")),
    Column("信用等级（交通）", "rating_transport", Rating(RatingSource.TRANSPORT), False,
           "交通运输行业信用等级 AA、A、B、C、D；不填则不改变已有等级", "A", ("交通信用等级",)),
    Column("信用等级（市场监管）", "rating_market", Rating(RatingSource.MARKET), False,
           "市场监管信用风险分类 A、B、C、D；不填则不改变已有等级", "B", ("市场监管信用等级", "信用风险分类")),
    Column("风险等级（系统计算）", "risk_level", Choice(RiskLevel, "风险等级"), False, "由信用等级计算，导入时忽略", "",
           ("风险等级",), export_only=True),
), "uscc", "target")

INSPECTORS = RegistrySpec("inspectors", "执法检查人员", "执法检查人员名录库", (
    Column("姓名", "name", Text(64), True, "", "王五", ("执法人员姓名", "人员姓名", "执法人员")),
    Column("执法证号", "cert_no", Key(32), True, "交通运输行政执法证号", "14052000001", ("执法证件号", "证件号", "执法证件号码", "执法证编号", "执法证件编号", "执法证号码", "证号"),
           is_key=True, text_format=True),
    Column("发证日期", "cert_issued_on", Date(), True, "如 2024-03-01、2024/3/1、2024年3月1日 或 20240301",
           dt.date(2023, 3, 1), ("发证时间", "领证日期", "发证日")),
    Column("有效期至", "cert_expires_on", Date(_CERT_LONG_TERM), True, "不能早于发证日期；执法证都有有效期，不能填“长期”",
           dt.date(2029, 2, 28), ("有效期", "证件有效期至", "有效期限至", "有效截止日期", "有效期截止", "证件有效期")),
    Column("所属部门", "department_id", DepartmentRef(), True, "须为系统中已有的部门，可填简称（如 执法队）", "",
           ("部门", "所在部门", "所属单位", "工作单位", "执法单位", "所在单位", "单位")),
    Column("资质标签", "tags", Tags(), False, "多个用“、”分隔，如 危货、客运", "客运", ("标签", "执法领域")),
    Column("在岗状态", "status", Choice(InspectorStatus, "在岗状态", InspectorStatus.ACTIVE,
                                      flat(INSPECTOR_STATUS_ALIASES)), False,
           "在岗 或 离岗；不填为在岗", InspectorStatus.ACTIVE.label, ("状态", "岗位状态")),
    Column("联系电话", "phone", Phone(), False, "", "13900000000", ("手机号", "电话"), text_format=True),
), "cert_no", "inspector")

ITEMS = RegistrySpec("items", "抽查事项", "随机抽查事项清单", (
    Column("事项编号", "code", Key(32), True, "清单中的编号，如 JT-001", "JT-001", ("编号",), is_key=True,
           text_format=True),
    Column("抽查事项", "name", Text(200), True, "", "道路货物运输经营行为检查", ("抽查事项名称", "事项名称", "检查事项", "检查事项名称")),
    Column("事项类别（一般/重点）", "kind", Choice(ItemKind, "事项类别", aliases=flat(ITEM_KIND_ALIASES)), True, "一般 或 重点", ItemKind.GENERAL.label,
           ("事项类别",)),
    Column("检查依据", "legal_basis", Text(4000, True), False, "法律法规名称及条款", "《道路运输条例》第六十九条",
           ("抽查依据",)),
    Column("检查方式", "methods", MultiChoice(Method, "检查方式", aliases=flat(METHOD_ALIASES)), False,
           "可多选：" + "、".join(m.label for m in Method), "实地检查、书面检查", ("抽查方式",)),
    Column("检查对象类别", "target_categories", MultiChoice(TargetCategory, "检查对象类别", aliases=_CATEGORIES), False,
           "可多选，与检查对象的行业类别相同", TargetCategory.FREIGHT.label, ("检查对象", "抽查对象")),
    Column("检查人员资质要求", "qualification_tags", Tags(), False, "执法人员须具备的资质标签，多个用“、”分隔", "",
           ("检查人员要求", "资质要求")),
    Column("检查要点", "checkpoints", Lines(), True, "每行一条（单元格内按 Alt+Enter 换行）",
           "是否取得道路运输经营许可证\n车辆是否按规定进行年度审验", ("检查内容", "检查要点及内容", "检查标准")),
    Column("实施部门", "department_id", DepartmentRef(), False, "牵头检查的部门，可不填", "", ("检查主体",)),
    Column("状态", "status", Choice(ItemStatus, "事项状态", ItemStatus.PUBLISHED, flat(ITEM_STATUS_ALIASES)), False, "草稿、已发布 或 已停用；不填为已发布",
           ItemStatus.PUBLISHED.label),
    Column("备注", "note", Text(2000, True), False, "", ""),
), "code", "item")

REGISTRIES: dict[str, RegistrySpec] = {r.name: r for r in (TARGETS, INSPECTORS, ITEMS)}


def registry_spec(name: str) -> RegistrySpec:
    """The registry called `name` (targets, inspectors or items); NotFound for any other name."""
    spec = REGISTRIES.get(name)
    if spec is None:
        raise NotFound(f"没有名为“{name}”的名录库")
    return spec


def header_key(text: Any) -> str:
    """How a header cell is compared: NFKC, no spaces, no required-field asterisks."""
    return re.sub(r"[\s*＊]", "", nfkc(cell_text(text)))


def header_table(spec: RegistrySpec) -> dict[str, Column]:
    """Every accepted header spelling of the registry, normalised, to its column."""
    table: dict[str, Column] = {}
    for col in spec.columns:
        for name in (col.header,) + col.aliases:
            table.setdefault(header_key(name), col)
    return table


_NOTE_IN_BRACKETS = re.compile(r"[(\[【][^)\]】]*[)\]】]")


def header_lookup(spec: RegistrySpec):
    """A function from a header cell to its column (or None): spellings as in header_table, and failing that
    the header without a note in brackets, such as 单位名称（全称） or 联系电话(手机)."""
    table = header_table(spec)

    def lookup(text: Any) -> Column | None:
        key = header_key(text)
        col = table.get(key)
        if col is None and any(b in key for b in "([【"):
            col = table.get(_NOTE_IN_BRACKETS.sub("", key))
        return col
    return lookup

