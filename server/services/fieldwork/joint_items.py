"""联合抽查 on the phone: each group member records the items of their own department (谁检查、谁录入).

A joint inspection reaches the phones only when its group is complete (`group_incomplete` otherwise). Its
checklist names, per item, the department that checks it (planning.joint_block). An
answer, finding or photo a member sends for a checkpoint of another department's item is refused with the
protocol code `other_department_item` (sync/PROTOCOL.md §3.2); like every rejection it is kept, as sent, in
the mutation log for the reviewer. Checklists without departments (every task that is not joint) pass.
"""
from __future__ import annotations

from server.errors import Conflict, PermissionDenied

OTHER_DEPARTMENT_ITEM = "other_department_item"
GROUP_INCOMPLETE = "group_incomplete"


def check_group_complete(insp) -> None:
    """A joint inspection is recorded only once every cooperating department has drawn its member (until then
    no phone has it; a mutation or a fetch by id is refused and, like every rejection, kept)."""
    if not insp.group_complete:
        raise Conflict("检查组尚未组成：配合部门尚未抽取本部门的检查人员，暂不能查看或记录该检查；请待各部门抽取完成后同步",
                       code=GROUP_INCOMPLETE)


def item_of(insp, checkpoint_id: int) -> dict | None:
    """The checklist item (as frozen at the draw) holding a checkpoint."""
    for item in insp.checklist_snapshot or []:
        if any(cp.get("id") == checkpoint_id for cp in item.get("checkpoints", [])):
            return item
    return None


def check_own_item(actor, insp, checkpoint_id: int | None) -> None:
    """Refuse a record for another department's item from a member of the group."""
    if checkpoint_id is None or actor is None or getattr(actor, "inspector_id", None) is None:
        return
    item = item_of(insp, checkpoint_id)
    dept = (item or {}).get("department")
    if not dept:
        return
    mine = {m.department_id for m in insp.active_members if m.inspector_id == actor.inspector_id}
    if not mine or dept.get("id") in mine:
        return
    seq = next((cp.get("seq") for cp in item["checkpoints"] if cp.get("id") == checkpoint_id), "")
    raise PermissionDenied(
        f"检查要点 {seq}（事项“{item.get('code', '')} {item.get('name', '')}”）由{dept.get('name', '其他部门')}负责检查和录入，"
        f"只能由该部门的检查人员记录；您的记录未生效（数据已留存，审核人员可见）",
        code=OTHER_DEPARTMENT_ITEM, errors={"checkpoint_id": checkpoint_id, "department": dept.get("name", "")})
