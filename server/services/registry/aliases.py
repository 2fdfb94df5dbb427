"""The names offices really write for the registries' fixed values, and how a department's short name is found.

Each alias maps to one value only; a word that could mean two values (货运: 普通 or 危险货物?, 客运: 道路,
公交 or 出租?) is left out, so the import asks rather than guesses. Every use of an alias is reported to
the office ("“普通货运”按“道路普通货物运输”导入"), so nothing is changed behind its back.
"""
from __future__ import annotations

from typing import Any

from server.vocab import InspectorStatus, ItemKind, ItemStatus, Method, TargetCategory, TargetStatus

CATEGORY_ALIASES = {
    TargetCategory.FREIGHT: ("普通货运", "道路货物运输", "道路普通货运", "普通货物运输", "普货运输", "道路货运", "道路货物运输经营",
                             "道路普通货物运输经营"),
    TargetCategory.PASSENGER: ("道路客运", "旅客运输", "班车客运", "包车客运", "旅游客运", "道路旅客运输经营", "县内班车客运",
                               "农村客运"),
    TargetCategory.BUS: ("公交", "公交车", "城市公交", "公交客运", "公共汽车", "城市公共汽电车客运", "公共汽电车客运", "城市公共交通"),
    TargetCategory.TAXI: ("出租车", "出租汽车", "出租客运", "巡游出租汽车", "巡游出租汽车客运", "网约车", "网络预约出租汽车",
                          "网络预约出租汽车客运"),
    TargetCategory.DRIVING_SCHOOL: ("驾校", "驾培", "驾驶员培训", "机动车驾驶培训", "驾驶培训", "机动车驾驶员培训学校",
                                    "普通机动车驾驶员培训"),
    TargetCategory.REPAIR: ("一类机动车维修", "二类机动车维修", "三类机动车维修", "一类维修", "二类维修", "三类维修", "汽车维修",
                            "一类汽车维修", "二类汽车维修", "三类汽车维修", "机动车维修经营", "汽车综合小修", "汽车专项维修",
                            "摩托车维修", "维修"),
    TargetCategory.STATION: ("客运站", "汽车客运站", "汽车站", "道路客运站", "客运站场", "一级客运站", "二级客运站", "三级客运站",
                             "四级客运站", "五级客运站", "道路旅客运输站"),
}
TARGET_STATUS_ALIASES = {
    TargetStatus.ACTIVE: ("正常", "存续", "在业", "营业", "开业", "在册", "正常经营", "存续（在营、开业、在册）"),
    TargetStatus.SUSPENDED: ("歇业", "停业整顿", "暂停营业"),
    TargetStatus.CLOSED: ("已注销",),
    TargetStatus.MOVED: ("已迁出",),
    TargetStatus.REVOKED: ("已吊销", "吊销未注销", "吊销，未注销"),
}
INSPECTOR_STATUS_ALIASES = {
    InspectorStatus.ACTIVE: ("在职", "在编在岗", "正常"),
    InspectorStatus.INACTIVE: ("离职", "退休", "调离", "不在岗", "停用"),
}
ITEM_KIND_ALIASES = {ItemKind.GENERAL: ("一般事项", "一般检查事项"), ItemKind.KEY: ("重点事项", "重点检查事项")}
ITEM_STATUS_ALIASES = {ItemStatus.PUBLISHED: ("发布", "已公布", "公布", "在用", "启用"), ItemStatus.RETIRED: ("停用", "废止"),
                       ItemStatus.DRAFT: ("未发布",)}
METHOD_ALIASES = {Method.ON_SITE: ("现场检查", "实地核查", "实地（现场）检查", "现场核查"),
                  Method.DOCUMENT: ("书面审查", "书面核查", "资料核查"), Method.ONLINE: ("网络检查", "网上监测")}


def flat(table: dict) -> dict[str, Any]:
    """{alias: value} from {value: (alias, …)}."""
    return {alias: value for value, names in table.items() for alias in names}


def _subsequence(short: str, name: str) -> bool:
    rest = iter(name)
    return all(ch in rest for ch in short)


def find_department(text: str, departments: dict[str, Any]) -> tuple[Any | None, list[str]]:
    """The one department a short or long form of its name means: (department, []), or (None, the names it
    could mean) when it is ambiguous, or (None, []) when nothing fits.

    Tried in order, each only among departments in use: the name ends with what was typed (执法队 for
    交通运输综合行政执法队), contains it, has its characters in order and ends the same (综合执法队, 运管股),
    or is contained in it (阳城县交通运输综合行政执法队 for a department called 交通运输综合行政执法队).
    """
    if len(text) < 2:
        return None, []
    active = {d.id: d for d in departments.values() if d.is_active}.values()
    tests = (lambda n: n.endswith(text), lambda n: text in n,
             lambda n: n[-1] == text[-1] and _subsequence(text, n),  # the same kind of unit: 队, 股, 科 …
             lambda n: len(n) >= 2 and n in text)
    for test in tests:
        found = [d for d in active if test(d.name.replace(" ", ""))]
        if len(found) == 1:
            return found[0], []
        if found:
            return None, sorted(d.name for d in found)
    return None, []
