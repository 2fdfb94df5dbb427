"""封存 (seal) before 抽取 (draw): a draw's inputs frozen and their hashes published before the witness types.

The draw service gathers the inputs (population listing, inspector pool, recusals) and freezes them
here; the seal's public block appears on the task page at once and on the draw form for the witness.
The draw then runs on the sealed inputs only. Sealing again (say, after adding an inspector) supersedes
the open seal; every seal stays published, so nobody can quietly swap one for another.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Conflict
from server.models.planning import DrawRequest, DrawSeal, Task
from server.models.types import utcnow
from server.services.draw import sealing, v2
from server.services.kernel import audit

NO_SEAL = "请先封存（冻结检查对象名单、执法人员名单和回避关系并公开其哈希），让监督人核对封存摘要后再抽取"
STALE_SEAL = "封存已更新（有新的封存摘要），请让监督人核对页面上最新的封存摘要后再抽取"


def stamp(moment=None) -> str:
    """A time as records carry it: ISO 8601, UTC, milliseconds."""
    return (moment or utcnow()).isoformat(timespec="milliseconds")


def current(session: Session, task: Task, request: DrawRequest | None = None) -> DrawSeal | None:
    """The open seal of the task's main draw (or of a supplementary request)."""
    query = select(DrawSeal).where(DrawSeal.task_id == task.id, DrawSeal.status == "open")
    query = query.where(DrawSeal.request_id == request.id) if request else query.where(DrawSeal.request_id.is_(None))
    return session.scalars(query.order_by(DrawSeal.id.desc())).first()


def of_task(session: Session, task: Task) -> list[DrawSeal]:
    """Every seal of the task, oldest first, as the public task page lists them."""
    return list(session.scalars(select(DrawSeal).where(DrawSeal.task_id == task.id).order_by(DrawSeal.id)))


def sealed_recusals(pairs: list[dict]) -> list[dict]:
    """The recusal pairs to seal, each with a fresh random nonce."""
    return [{"cert_no": r["cert_no"], "uscc": r["uscc"], "nonce": sealing.new_nonce()} for r in pairs]


def freeze(session: Session, actor, task: Task, inputs: dict, pairs: list[tuple[str, str]],
           request: DrawRequest | None = None) -> DrawSeal:
    """Seal `inputs` (listing, pool, sealed recusals, kept members …) for the task's draw or a request's."""
    previous = current(session, task, request)
    if previous is not None:
        previous.status = "superseded"
    block = sealing.make_block(stamp(), v2.population_hash(inputs["population_listing"]), len(pairs),
                               v2.stratum_sizes(pairs), inputs["inspectors"], inputs["recusals"],
                               inputs.get("existing_members"))
    made = DrawSeal(task_id=task.id, request_id=request.id if request else None, kind=inputs["kind"], status="open",
                    block=block, inputs=inputs, sealed_by_id=actor.id)
    session.add(made)
    session.flush()
    audit.record(session, actor, "draw.seal", made, detail={
        "task": task.code, "kind": inputs["kind"], "request": request.id if request else None,
        "seal_sha256": block["seal_sha256"], "population": block["population_size"],
        "inspectors": block["inspectors_count"], "recusals": block["recusals_count"],
        "superseded": previous.id if previous else None})
    return made


def for_draw(session: Session, task: Task, request: DrawRequest | None, seal_id: int | None) -> DrawSeal:
    """The open seal a draw runs on; `seal_id` is the one the witness was shown (refused if superseded)."""
    made = current(session, task, request)
    if made is None:
        raise Conflict(NO_SEAL)
    if seal_id is not None and made.id != seal_id:
        raise Conflict(STALE_SEAL)
    return made


def record_inputs(made: DrawSeal, *, server_seed: str, witness_entropy: str) -> dict:
    """The record's inputs: the sealed ones, the seal block, the seeds and the moment of the witness's input."""
    drawn_at = stamp()
    if not drawn_at > made.block["sealed_at"]:
        raise Conflict("服务器时间不晚于封存时间（服务器时钟可能不一致），未进行抽取；请稍后再试")
    return {**made.inputs, "seal": dict(made.block), "server_seed": server_seed, "witness_entropy": witness_entropy,
            "drawn_at": drawn_at}


def mark_used(made: DrawSeal, draw) -> None:
    """The seal has been drawn on; its listing lives on in the record, its private recusal nonces here."""
    made.status = "used"
    made.draw_id = draw.id
    made.inputs = {k: v for k, v in made.inputs.items() if k != "population_listing"}
