"""The public record of a joint task holds every part: the portal lists which departments have drawn, offers all
records in one file, and `spotcheck verify-draw` checks each of them and how they fit together; the citizen's
program checks a department's part too."""
from __future__ import annotations

import datetime as dt
import json
import re

from tests.server import drawkit, jointkit
from tests.server.draw.test_snippet import page_program, run_program

AT_ONCE = {"reveal_seed_at_once": True, "period_start": dt.date(2029, 4, 1), "period_end": dt.date(2029, 10, 31)}


def _text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


def _drawn(session):
    kit = jointkit.setup(session, **AT_ONCE)
    kit.main = drawkit.drawn(session, kit.office, kit.task.id, "监督人张三")
    session.commit()
    return kit


def _verify(app, tmp_path, body) -> tuple[int, str]:
    path = tmp_path / "draws.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["verify-draw", str(path)])
    return result.exit_code, result.output


def test_the_portal_shows_the_waiting_department_then_every_part(client, session):
    kit = _drawn(session)
    page = _text(client.get(f"/public/tasks/{kit.task.code}"))
    assert "联合抽查：各部门的抽取" in page and "县市场监督管理局（配合，抽取本部门人员） 待封存" in page
    part = jointkit.department_drawn(session, kit.staff, kit.task.id, kit.scj.id, "市场监管局监督人")
    session.commit()
    page = _text(client.get(f"/public/tasks/{kit.task.code}"))
    assert "县市场监督管理局（配合，抽取本部门人员） 已抽取" in page
    assert "配合部门抽取本部门人员：县市场监督管理局" in page
    assert "本页已核对：已抽取的配合部门均以发起部门抽中并派员的对象为准" in page
    bundle = client.get(f"/public/tasks/{kit.task.code}/draws.json").json
    assert [r["record_sha256"] for r in bundle["records"]] == [kit.main.record_sha256, part.record_sha256]


def test_verify_draw_checks_every_part_and_their_links(app, client, session, tmp_path):
    kit = _drawn(session)
    jointkit.department_drawn(session, kit.office, kit.task.id, kit.scj.id)
    session.commit()
    bundle = client.get(f"/public/tasks/{kit.task.code}/draws.json").json
    code, out = _verify(app, tmp_path, bundle)
    assert code == 0, out
    assert "配合部门“县市场监督管理局”的本部门人员抽取：与重新计算的结果一致（检查组 3 个" in out
    assert "验证通过：任务 " in out and "的 2 份抽取记录均与重新计算的结果一致" in out
    other = dict(bundle["records"][1])
    other["population_listing"] = "".join(other["population_listing"].splitlines(True)[1:])
    code, out = _verify(app, tmp_path, {**bundle, "records": [bundle["records"][0], other]})
    assert code == 1
    assert "配合部门“县市场监督管理局”抽取所用的检查对象（2 个）与发起部门抽中并派员的对象（3 个）不一致" in out
    code, out = _verify(app, tmp_path, {**bundle, "records": [bundle["records"][0], {"algorithm": "x"}]})
    assert code == 2 and "第 2 份抽取记录无法验证" in out


def test_verify_draw_names_the_departments_still_to_draw(app, client, session, tmp_path):
    kit = _drawn(session)
    code, out = _verify(app, tmp_path, client.get(f"/public/tasks/{kit.task.code}/draws.json").json)
    assert code == 0 and "尚未抽取的配合部门：县市场监督管理局" in out


def test_the_citizens_program_checks_a_departments_part(client, session, tmp_path):
    kit = _drawn(session)
    part = jointkit.department_drawn(session, kit.office, kit.task.id, kit.scj.id)
    session.commit()
    record = client.get(f"/public/tasks/{kit.task.code}/draws/{part.id}.json").json
    lines = run_program(page_program(client, kit.task.code), record, tmp_path)
    assert lines[:2] == ["抽中对象一致： True", "检查组一致： True"]
    assert lines[2] == f"配合部门： 县市场监督管理局 所依据的发起部门记录摘要： {kit.main.record_sha256}"
