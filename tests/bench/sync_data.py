"""Data for the sync benchmarks: seeded inspections and the mutations of one complete inspection."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select


def seed(session, *, inspections: int, checkpoints: int, users: int = 1, group_of_one_user: bool = False):
    """Inspections assigned to inspector users (user k is in inspection k's group when group_of_one_user)."""
    from server.models.accounts import User
    from server.models.inspections import Inspection, InspectionMember
    from server.models.planning import Task
    from server.models.registry import Checkpoint, Department, InspectionItem, Inspector, Target
    from server.services.accounts.passwords import hash_password
    from server.services.registry.uscc import check_digit

    dept = Department(code="ZFD", name="执法一中队")
    session.add(dept)
    session.flush()
    per_item = 15
    items = []
    for i in range(-(-checkpoints // per_item)):
        item = InspectionItem(code=f"JT-{i:03d}", name=f"道路运输经营行为检查{i}", legal_basis="《道路运输条例》第五十九条",
                              methods=["on_site"], target_categories=["freight"])
        n = min(per_item, checkpoints - i * per_item)
        item.checkpoints = [Checkpoint(seq=k + 1, text=f"是否按规定建立车辆技术档案并如实记录第{k + 1}项内容")
                            for k in range(n)]
        items.append(item)
    session.add_all(items)
    task = Task(code="T2024001", name="2024年道路货运企业双随机抽查", item_ids=[], lead_department_id=dept.id,
                department_ids=[dept.id], period_start=dt.date(2024, 4, 1), period_end=dt.date(2024, 10, 31))
    session.add(task)
    session.flush()
    task.item_ids = [it.id for it in items]
    checklist = [{"item_id": it.id, "code": it.code, "name": it.name, "legal_basis": it.legal_basis,
                  "checkpoints": [{"id": cp.id, "seq": cp.seq, "text": cp.text} for cp in it.checkpoints]}
                 for it in items]
    people = [Inspector(name=f"检查员{k}", cert_no=f"14052{k:07d}", cert_issued_on=dt.date(2022, 1, 1),
                        cert_expires_on=dt.date(2030, 12, 31), department_id=dept.id) for k in range(users + 1)]
    session.add_all(people)
    session.flush()
    pw = hash_password("password123")
    session.add_all([User(username=f"insp{k}", display_name=people[k].name, password_hash=pw, role="inspector",
                          inspector_id=people[k].id, department_id=dept.id) for k in range(users)])
    for k in range(inspections):
        body = f"91140522{k:09d}"
        target = Target(uscc=body + check_digit(body), name=f"阳城县第{k}运输有限公司", category="freight",
                        address="阳城县凤城镇凤凰东街8号", legal_rep="张三", contact_phone="13903560000")
        session.add(target)
        session.flush()
        first = people[k if group_of_one_user else 0]
        insp = Inspection(task_id=task.id, target_id=target.id, due_date=task.period_end, checklist_snapshot=checklist,
                          target_snapshot={"uscc": target.uscc, "name": target.name, "address": target.address,
                                           "category": "freight", "risk_level": "general", "legal_rep": "张三",
                                           "contact_phone": "13903560000", "latitude": 35.48, "longitude": 112.41})
        insp.members = [InspectionMember(inspector_id=first.id, department_id=dept.id),
                        InspectionMember(inspector_id=people[-1].id, department_id=dept.id)]
        session.add(insp)
    session.commit()


def full_inspection(insp_id: int, cps: list[int], inspector_id: int, hashes: list[str],
                    partner_id: int | None = None, day: int = 0) -> list[dict]:
    """49 mutations for 38 checkpoints: start, answers (one 不符合), its finding, 4 photos (one of it), the
    party, 3 signatures (both members and the party), submit: complete by sync/submit_rules.py."""
    t0 = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=day)
    muts = []

    def m(mutation_name, **args):
        muts.append({"id": len(muts) + 1, "name": mutation_name, "created_at": (t0 + dt.timedelta(seconds=len(muts))).isoformat(),
                     "args": {"inspection_id": insp_id, **args}})
    m("inspection.start", started_at=t0.isoformat())
    for k, cp in enumerate(cps):
        m("checkpoint.record", id=str(uuid.uuid4()), checkpoint_id=cp, answer="noncompliant" if k == 0 else "compliant",
          note="现场核查" if k % 4 == 0 else "", base=[])
    fid = str(uuid.uuid4())
    m("finding.add", id=fid, checkpoint_id=cps[0], description="两辆车技术档案缺少年度审验记录",
      legal_basis="《道路运输车辆技术管理规定》第二十三条", rectification="责令限期补齐", rectify_by="2024-06-30")
    for k in range(4):
        m("photo.attach", id=str(uuid.uuid4()), sha256=hashes[k], finding_id=fid if k == 0 else None,
          checkpoint_id=cps[k], caption=f"现场照片{k}", taken_at=t0.isoformat(), latitude=35.48, longitude=112.41,
          accuracy_m=8.0, width=1600, height=1200, bytes=400000, clock_offset_ms=-800)
    m("party.record", id=str(uuid.uuid4()), name="赵志强", position="安全主管", phone="13903560000")
    m("signature.add", id=str(uuid.uuid4()), sha256=hashes[4], signer_role="party", signer_name="赵志强",
      inspector_id=None, signed_at=t0.isoformat())
    for who in (inspector_id, partner_id):
        m("signature.add", id=str(uuid.uuid4()), sha256=hashes[5], signer_role="inspector", signer_name=f"检查员{who}",
          inspector_id=who, signed_at=t0.isoformat())
    m("inspection.submit", result_categories=["02"], methods=["on_site"], follow_ups=["rectify"], summary="已责令改正")
    return muts


def partner_of(session, insp_id: int, user) -> int:
    """The other member of the inspection's group (both sign)."""
    from server.models.inspections import InspectionMember
    return session.scalar(select(InspectionMember.inspector_id).where(
        InspectionMember.inspection_id == insp_id, InspectionMember.inspector_id != user.inspector_id))
