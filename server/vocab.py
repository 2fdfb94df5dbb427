"""Controlled vocabularies: codes stored in the database, 中文 labels shown to users.

Sources: DESIGN §2–§3 and reference/domain-rules.md §2.2 (result categories), §2.3 (follow-up
measures), §3 (credit levels) and §4 (target categories, inspection methods).
"""
from __future__ import annotations

import enum


class LabelledEnum(str, enum.Enum):
    """A str enum whose members carry a Chinese label."""

    def __new__(cls, value: str, label: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    @classmethod
    def by_label(cls, label: str):
        """The member whose label or code is `label`, or None."""
        label = (label or "").strip()
        for m in cls:
            if label in (m.label, m.value):
                return m
        return None

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class TargetCategory(LabelledEnum):
    FREIGHT = "freight", "道路普通货物运输"
    PASSENGER = "passenger", "道路旅客运输"
    BUS = "bus", "城市公共汽车客运"
    TAXI = "taxi", "出租汽车客运"
    DRIVING_SCHOOL = "driving_school", "机动车驾驶员培训"
    REPAIR = "repair", "机动车维修"
    STATION = "station", "道路客运站（场）"


class TargetStatus(LabelledEnum):
    ACTIVE = "active", "在营"
    SUSPENDED = "suspended", "停业"
    CLOSED = "closed", "注销"
    MOVED = "moved", "迁出"
    REVOKED = "revoked", "吊销"


class ItemKind(LabelledEnum):
    GENERAL = "general", "一般"
    KEY = "key", "重点"


class ItemStatus(LabelledEnum):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    RETIRED = "retired", "已停用"


class InspectorStatus(LabelledEnum):
    ACTIVE = "active", "在岗"
    INACTIVE = "inactive", "离岗"


class RiskLevel(LabelledEnum):
    """Derived risk level that drives the draw's strata, lowest first."""

    LOW = "low", "低"
    GENERAL = "general", "一般"
    HIGHER = "higher", "较高"
    HIGH = "high", "高"

    @property
    def rank(self) -> int:
        return list(RiskLevel).index(self)


class RatingSource(LabelledEnum):
    MARKET = "market", "市场监管"
    TRANSPORT = "transport", "交通运输"
    INTERNAL = "internal", "内部"


# Which levels each rating source uses, and the risk level each maps to (domain-rules §3).
RATING_LEVELS: dict[RatingSource, dict[str, RiskLevel]] = {
    RatingSource.MARKET: {"A": RiskLevel.LOW, "B": RiskLevel.GENERAL, "C": RiskLevel.HIGHER, "D": RiskLevel.HIGH},
    RatingSource.TRANSPORT: {"AA": RiskLevel.LOW, "A": RiskLevel.LOW, "B": RiskLevel.GENERAL,
                             "C": RiskLevel.HIGHER, "D": RiskLevel.HIGH},
    RatingSource.INTERNAL: {"低": RiskLevel.LOW, "一般": RiskLevel.GENERAL, "较高": RiskLevel.HIGHER, "高": RiskLevel.HIGH},
}


class Role(LabelledEnum):
    ADMIN = "admin", "系统管理员"
    OFFICE = "office", "科室工作人员"
    LEADER = "leader", "领导"
    INSPECTOR = "inspector", "执法检查人员"
    DEPT_STAFF = "dept_staff", "部门工作人员"


class DepartmentKind(LabelledEnum):
    """Whether a department is one of the bureau's own sections or another authority that joins inspections."""

    INTERNAL = "internal", "本局内设机构"
    EXTERNAL = "external", "外部部门"


class TaskType(LabelledEnum):
    """How a task chooses its targets (DESIGN §3 rule 2); 上级任务 are deployed by the level above."""

    UNDIRECTED = "undirected", "不定向"
    DIRECTED = "directed", "定向"
    TARGETED = "targeted", "靶向"
    UPPER = "upper", "上级任务"


class InspectionMode(LabelledEnum):
    """How a task's inspections are carried out: on site with the phone, or at a desk in the office (非现场检查)."""

    ON_SITE = "on_site", "现场检查"
    DOCUMENT = "document", "书面检查"
    ONLINE = "online", "网络监测"


class Method(LabelledEnum):
    """Inspection methods (domain-rules §2.3, §4.2)."""

    ON_SITE = "on_site", "实地检查"
    DOCUMENT = "document", "书面检查"
    OTHER_DEPT = "other_dept", "行政部门检查结果或专业意见"
    TESTING = "testing", "检验检测"
    ONLINE = "online", "网络监测"
    DELEGATED = "delegated", "委托专业机构辅助"


class ResultCategory(LabelledEnum):
    """Per-item result categories, multi-select (domain-rules §2.2, the suggested unified enum)."""

    NO_PROBLEM = "01", "未发现问题"
    CORRECTED = "02", "发现问题已责令改正"
    PENDING = "03", "发现问题待后续处理"
    NO_ACTIVITY = "04", "未发现开展本次抽查涉及的经营活动"
    UNREACHABLE = "05", "通过登记的住所（经营场所）无法联系"
    REFUSED = "06", "不配合检查情节严重"
    NOT_DISCLOSED = "07", "未按规定公示应当公示的信息"
    FALSE_DISCLOSURE = "08", "公示信息隐瞒真实情况弄虚作假"
    CLOSED = "09", "已关闭停业或正在组织清算"
    DEREGISTERED = "10", "已注销"
    LICENCE_REVOKED = "11", "已吊销"
    CANCELLED = "12", "已撤销"
    MOVED_OUT = "13", "已迁出"
    UNQUALIFIED = "14", "不合格（产品、检测类）"
    OTHER = "99", "其他"


NEGATIVE_RESULTS = {ResultCategory.CORRECTED, ResultCategory.PENDING, ResultCategory.UNREACHABLE,
                    ResultCategory.REFUSED, ResultCategory.NOT_DISCLOSED, ResultCategory.FALSE_DISCLOSURE,
                    ResultCategory.UNQUALIFIED}


class FollowUp(LabelledEnum):
    """Follow-up measures (domain-rules §2.3)."""

    NONE = "none", "无须后置处置措施"
    STOP_FEEDBACK = "stop_feedback", "停止检查，反馈至日常监管部门依法依规处理"
    RECTIFY = "rectify", "违反本部门相关规定，责令限期整改，后续跟踪由日常监管部门负责"
    CASE_REFERRAL = "case_referral", "发现案件线索，初步固定相关证据后移送办案机构依法依规处理"
    NOTIFY_OTHER = "notify_other", "违反其他部门相关规定，抄告相关部门"
    OTHER = "other", "其他"


class CheckpointAnswer(LabelledEnum):
    COMPLIANT = "compliant", "符合"
    NONCOMPLIANT = "noncompliant", "不符合"
    NOT_APPLICABLE = "na", "不涉及"
