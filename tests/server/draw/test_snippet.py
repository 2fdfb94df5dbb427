"""The Python program on each task page's “如何自己核对”: run as a citizen would, with the standard library only,
on the record downloaded from the page, it confirms the targets and the inspector groups of every kind of draw."""
from __future__ import annotations

import datetime as dt
import html
import json
import re
import subprocess
import sys

from sqlalchemy import select

from server.models.inspections import Inspection
from server.models.registry import Recusal
from server.services.kernel import approvals
from server.services.planning import staffing, supplementary
from tests.server import drawkit

AT_ONCE = {"reveal_seed_at_once": True, "period_start": dt.date(2029, 4, 1), "period_end": dt.date(2029, 10, 31)}


def page_program(client, code: str) -> str:
    page = client.get(f"/public/tasks/{code}").get_data(as_text=True)
    blocks = re.findall(r'<pre class="mono">(.*?)</pre>', page, re.S)
    return next(html.unescape(b) for b in blocks if "import hashlib, hmac, json, math" in b)


def run_program(program: str, record: dict, tmp_path) -> list[str]:
    (tmp_path / "check.py").write_text(program, encoding="utf-8")
    (tmp_path / "记录文件.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", "-S", "check.py"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)  # -S: no site-packages, the standard library only
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def downloaded(client, code: str, draw_id: int) -> dict:
    return client.get(f"/public/tasks/{code}/draws/{draw_id}.json").json


def test_the_page_program_is_short_and_checks_targets_and_groups_of_a_joint_draw(client, session, tmp_path):
    kit = drawkit.setup(session, targets_per_level=(8, 6, 4, 2), departments=2, inspectors_per_dept=3,
                        ratios={"low": "0.5", "general": "0.5", "higher": "1", "high": "1"}, **AT_ONCE)
    for t in kit.targets[::3]:
        session.add(Recusal(inspector_id=kit.inspectors[1].id, target_uscc=t.uscc, reason="亲属"))
    made = drawkit.drawn(session, kit.office, kit.task.id, "监督人：Zoë")
    session.commit()
    program = page_program(client, kit.task.code)
    lines = program.strip().splitlines()
    assert len(lines) <= 50
    assert [line for line in lines if line.startswith(("import", "from"))] == [
        "import hashlib, hmac, json, math", "from decimal import Decimal"]  # the standard library only
    record = downloaded(client, kit.task.code, made.id)
    assert record["recusals"]  # the groups depend on a published recusal
    assert run_program(program, record, tmp_path) == ["抽中对象一致： True", "检查组一致： True"]
    record["assignments"][0]["inspectors"][0]["cert_no"] = record["assignments"][1]["inspectors"][0]["cert_no"]
    assert run_program(program, record, tmp_path) == ["抽中对象一致： True", "检查组一致： False"]
    record["selections"].reverse()
    assert run_program(program, record, tmp_path)[0] == "抽中对象一致： False"


def test_the_page_program_checks_supplementary_draws_too(client, session, tmp_path):
    kit = drawkit.setup(session, targets_per_level=(0, 6, 0, 0), inspectors_per_dept=4,
                        ratios={"low": "0.5", "general": "0.5", "higher": "0.5", "high": "0.5"}, **AT_ONCE)
    drawkit.drawn(session, kit.office, kit.task.id)
    first, second = session.scalars(select(Inspection).order_by(Inspection.id)).all()[:2]
    made = []
    for inspection, kind, member in ((first, "replace_target", None),
                                     (second, "replace_inspector", second.active_members[0].id)):
        req = supplementary.request_supplementary(session, kit.office, inspection.id, kind=kind, reason="理由",
                                                  member_id=member)
        approvals.decide(session, kit.leader, req.approval_id, approve=True)
        made.append(drawkit.drawn_request(session, kit.office, req.id, "监督人王五"))
    session.commit()
    program = page_program(client, kit.task.code)
    for d in made:
        record = downloaded(client, kit.task.code, d.id)
        assert run_program(program, record, tmp_path) == ["抽中对象一致： True", "检查组一致： True"], d.kind
    assert made[1].record["existing_members"]  # the 递补 kept a member, which the program must count


def test_the_page_program_checks_a_staffing_draw(client, session, tmp_path):
    kit = drawkit.setup(session, targets_per_level=(0, 2, 0, 0), inspectors_per_dept=2,
                        ratios={"low": "1", "general": "1", "higher": "1", "high": "1"}, **AT_ONCE)
    recusal = Recusal(inspector_id=kit.inspectors[0].id, target_uscc=kit.targets[0].uscc, reason="近亲属")
    session.add(recusal)
    session.flush()
    drawkit.drawn(session, kit.office, kit.task.id)
    session.delete(recusal)
    req = staffing.request_staffing(session, kit.office, kit.task.id, uscc=kit.targets[0].uscc, reason="回避已撤回")
    approvals.decide(session, kit.leader, req.approval_id, approve=True)
    made = drawkit.drawn_request(session, kit.office, req.id)
    session.commit()
    record = downloaded(client, kit.task.code, made.id)
    assert run_program(page_program(client, kit.task.code), record, tmp_path) == \
        ["抽中对象一致： True", "检查组一致： True"]
