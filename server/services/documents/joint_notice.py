"""联合抽查 in the documents: the one 告知书 a target receives lists what every department's items need (一次性告知),
and the 笔录 names the department that checked each item. Items of a task that is not joint name no department."""
from __future__ import annotations


def departments(items: list[dict]) -> list[str]:
    """The departments checking the items, in the order they first appear (empty for a task that is not joint)."""
    return list(dict.fromkeys(i["department"] for i in items if i.get("department")))


def materials(items: list[dict], lead_materials: list[str]) -> list[str]:
    """One list for the target: the lead department's materials, then, per cooperating department, what its
    items need, named by department and item so nothing has to be asked for twice."""
    names = departments(items)
    if len(names) < 2:
        return lead_materials
    lead = names[0]
    out = [f"（{lead}）{m}" for m in lead_materials]
    for dept in names[1:]:
        own = [i for i in items if i.get("department") == dept]
        titles = "、".join(f"“{i['name']}”" for i in own)
        bases = "；".join(dict.fromkeys(i["legal_basis"] for i in own if i.get("legal_basis")))
        out.append(f"（{dept}）检查{titles}所需的证照、台账、票据、计量器具检定证书等资料"
                   + (f"（依据：{bases}）" if bases else ""))
    return out
