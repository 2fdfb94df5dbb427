"""Drive sync/push.py against a store: the same interface over the in-memory store and the SQL store."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from types import SimpleNamespace

from sync.errors import SyncError
from sync.memory_store import MemoryStore
from sync.messages import Vocabulary
from sync.push import handle_push

VOCAB = Vocabulary(frozenset(["01", "02", "03", "99"]), frozenset(["on_site", "document"]),
                   frozenset(["none", "rectify"]))
T0 = dt.datetime(2024, 5, 6, 1, 0, tzinfo=dt.timezone.utc)
PEOPLE = ("wang", "li", "zhao")


def uid(n: int | str | None = None) -> str:
    return str(uuid.uuid4()) if n is None else str(uuid.uuid5(uuid.NAMESPACE_URL, f"spotcheck-test-{n}"))


class Device:
    """One phone: numbers its mutations from 1 and stamps them with a moving clock."""

    def __init__(self, person: str, client_id: str | None = None, start_minute: int = 1):
        self.person, self.client_id = person, client_id or uid()
        self._ids = itertools.count(1)
        self._minutes = itertools.count(start_minute)

    def m(self, mutation_name: str, **args) -> dict:
        when = (T0 + dt.timedelta(minutes=next(self._minutes))).isoformat()
        return {"id": next(self._ids), "name": mutation_name, "created_at": when, "args": args}


def answer(d: Device, insp: int, cp: int, value: str, base=(), rid=None, note="") -> dict:
    return d.m("checkpoint.record", id=rid or uid(), inspection_id=insp, checkpoint_id=cp, answer=value,
               note=note, base=list(base))


def signatures(d: Device, insp: int, sha_sig: str, inspectors=(1, 2), party: str | None = "赵志强") -> list[dict]:
    """The signatures a submit needs (sync/submit_rules.py): every inspector of the group and the party."""
    out = [d.m("signature.add", id=uid(), inspection_id=insp, sha256=sha_sig, signer_role="inspector",
               signer_name=f"检查人员{i}", inspector_id=i, signed_at=T0.isoformat()) for i in inspectors]
    if party:
        out.append(d.m("signature.add", id=uid(), inspection_id=insp, sha256=sha_sig, signer_role="party",
                       signer_name=party, inspector_id=None, signed_at=T0.isoformat()))
    return out


def sign_off(d: Device, insp: int, sha_sig: str, inspectors=(1, 2), party: str = "赵志强") -> list[dict]:
    """The party on site and every signature: what a submit needs besides the judgements."""
    return [d.m("party.record", id=uid(), inspection_id=insp, name=party, position="经理", phone="")] + \
        signatures(d, insp, sha_sig, inspectors, party)


def full_inspection(d: Device, insp: int, cps, sha_photo: str, sha_sig: str, inspectors=(1, 2)) -> list[dict]:
    """Start, answer every checkpoint, a finding with a photo, the party, the signatures, submit: an
    inspection that passes every rule of sync/submit_rules.py (the finding is a general one, on no checkpoint)."""
    fid = uid()
    out = [d.m("inspection.start", inspection_id=insp, started_at=T0.isoformat())]
    out += [answer(d, insp, cp, "compliant") for cp in cps]
    out.append(d.m("finding.add", id=fid, inspection_id=insp, checkpoint_id=None, description="档案不全",
                   legal_basis="《道路运输条例》", rectification="限期补齐", rectify_by="2024-06-30"))
    out.append(d.m("photo.attach", id=uid(), inspection_id=insp, sha256=sha_photo, finding_id=fid,
                   checkpoint_id=cps[0], caption="档案", taken_at=T0.isoformat(), latitude=35.5, longitude=112.4,
                   accuracy_m=5.0, width=4, height=3, bytes=77, clock_offset_ms=0))
    out.append(d.m("party.record", id=uid(), inspection_id=insp, name="赵志强", position="经理", phone="139"))
    out += signatures(d, insp, sha_sig, inspectors)
    out.append(d.m("inspection.submit", inspection_id=insp, result_categories=["02"], methods=["on_site"],
                   follow_ups=["rectify"], summary="已责令改正"))
    return out


class MemoryHarness:
    kind = "memory"

    def __init__(self):
        self.clock_value = T0
        self.store = MemoryStore(VOCAB, clock=self._tick)
        self.users = {p: SimpleNamespace(id=n, inspector_id=n, role="inspector", is_active=True)
                      for n, p in enumerate(PEOPLE, 1)}
        self._insp = itertools.count(1)

    def _tick(self):
        self.clock_value += dt.timedelta(microseconds=1)
        return self.clock_value

    def new_inspection(self, members=("wang", "li"), checkpoints=2) -> tuple[int, list[int]]:
        i = next(self._insp)
        cps = [i * 100 + k for k in range(1, checkpoints + 1)]
        self.store.add_inspection(i, [self.users[p].inspector_id for p in members], cps)
        return i, cps

    def push(self, person: str, client_id: str, mutations: list[dict], store=None) -> dict:
        snap = self.store.snapshot()
        try:
            return handle_push(store or self.store, self.users[person], _body(client_id, mutations), max_batch=500)
        except Exception:
            self.store.restore(snap)
            raise

    def set_status(self, insp: int, status: str) -> None:
        self.store.inspections[insp].status = status

    def unassign(self, insp: int, person: str) -> None:
        i = self.store.inspections[insp]
        i.members.discard(self.users[person].inspector_id)
        i.former_members.add(self.users[person].inspector_id)
        i.changed_at = self._tick()

    def hold(self, sha: str) -> None:
        self.store.hold_media(sha)

    def state(self, insp: int) -> dict:
        i = self.store.inspections[insp]
        rec = i.records
        return _normal(i.status, i.version, i.has_conflicts,
                       [(k, v["content"]["checkpoint_id"], v["content"]["answer"], v["content"]["note"],
                         tuple(v["content"]["base"])) for k, v in rec["answers"].items()],
                       self.store.registers(insp),
                       [(k, v["content"].get("finding_id"), v["content"]["description"]) for k, v in rec["findings"].items()],
                       [(k, v["content"]["sha256"]) for k, v in rec["photos"].items()],
                       [(k, v["content"]["sha256"]) for k, v in rec["signatures"].items()],
                       list(rec["party"]), [(x["name"], x["args"].get("id")) for x in i.late],
                       i.result.get("result_categories", []))

    def log(self) -> dict:
        return {k: (v["status"], v["code"], v["args"]) for k, v in self.store.log_rows.items()}

    def reused(self) -> list:
        """(client id, mutation id, args) of the changed contents kept under an already used id."""
        return [(r["client_id"], r["mutation_id"], r["args"]) for r in self.store.reused_rows]

    def last_applied(self, client_id: str) -> int:
        return self.store.clients.get(client_id, {"last": 0})["last"]


def _body(client_id: str, mutations: list[dict]) -> bytes:
    return json.dumps({"protocol": 1, "client_id": client_id, "mutations": mutations}).encode()


def _normal(status, version, conflicts, answers, registers, findings, photos, signatures, party, late, results):
    return {"status": status, "version": version, "has_conflicts": conflicts, "answers": sorted(answers),
            "registers": {cp: (r.winner.id, tuple(r.heads), r.conflict) for cp, r in registers.items()},
            "findings": sorted(findings), "photos": sorted(photos), "signatures": sorted(signatures),
            "party": sorted(party), "late": sorted(late, key=str), "result_categories": list(results)}


class SqlHarness:
    kind = "sql"

    def __init__(self, app, session):
        from tests import factories
        from tests.sync.scenario import one_inspection

        self.app, self.session, self.factories = app, session, factories
        named = one_inspection(session)
        from server.models.registry import Inspector
        zhao = session.query(Inspector).filter_by(cert_no="14052000000003").one()
        named["zhao"] = factories.create_user(session, role="inspector", username="zhaog", inspector_id=zhao.id)
        self.users = {"wang": named["wangjg"], "li": named["lim"], "zhao": named["zhao"]}
        session.commit()
        self._first = True

    def new_inspection(self, members=("wang", "li"), checkpoints=2) -> tuple[int, list[int]]:
        from server.models.inspections import Inspection
        if self._first and members == ("wang", "li") and checkpoints == 2:
            self._first = False
            insp = self.session.get(Inspection, 1)
        else:
            f = self.factories
            item = f.create_item(self.session, checkpoints=[f"要点{k}" for k in range(1, checkpoints + 1)])
            task = f.create_task(self.session, items=[item])
            inspectors = [self.session.get(type(self.users[p].inspector), self.users[p].inspector_id) for p in members]
            insp = f.create_inspection(self.session, task=task, inspectors=inspectors)
        self.session.commit()
        return insp.id, [cp["id"] for it in insp.checklist_snapshot for cp in it["checkpoints"]]

    def push(self, person: str, client_id: str, mutations: list[dict], store=None) -> dict:
        from server.services.fieldwork.sync_store import SqlSyncStore
        try:
            body = handle_push(store or SqlSyncStore(self.session, self.app.config), self.users[person],
                               _body(client_id, mutations), max_batch=500)
            self.session.commit()
            return body
        except Exception:
            self.session.rollback()
            raise

    def sql_store(self):
        from server.services.fieldwork.sync_store import SqlSyncStore
        return SqlSyncStore(self.session, self.app.config)

    def set_status(self, insp: int, status: str) -> None:
        from server.models.inspections import Inspection
        self.session.get(Inspection, insp).status = status
        self.session.commit()

    def unassign(self, insp: int, person: str) -> None:
        from server.models.inspections import Inspection
        from server.models.types import utcnow
        i = self.session.get(Inspection, insp)
        for m in i.members:
            if m.inspector_id == self.users[person].inspector_id:
                m.active = False
        i.changed_at = utcnow()
        self.session.commit()

    def hold(self, sha: str) -> None:
        from server.models.fieldwork import MediaFile
        from server.services.fieldwork import submit as fieldwork_submit
        self.session.add(MediaFile(sha256=sha, byte_size=1, format="PNG", width=1600, height=1200))  # a photo-sized file
        self.session.flush()
        fieldwork_submit.complete_waiting(self.session, None, sha)
        self.session.commit()

    def state(self, insp: int) -> dict:
        from server.models.inspections import Inspection
        from server.services.fieldwork import records
        self.session.expire_all()
        i = self.session.get(Inspection, insp)
        rec = records.load(self.session, [insp])[insp]
        return _normal(i.status, i.version, i.has_conflicts,
                       [(a.id, a.checkpoint_id, a.answer, a.note, tuple(a.base)) for a in rec.answers],
                       rec.registers(), [(f.id, f.supersedes_id, f.description) for f in rec.findings],
                       [(p.id, p.sha256) for p in rec.photos], [(s.id, s.sha256) for s in rec.signatures],
                       [p.id for p in rec.party], [(x.name, x.args.get("id")) for x in rec.late],
                       i.result_categories or [])

    def log(self) -> dict:
        from server.models.sync import MutationLog
        return {(r.client_id, r.mutation_id): (r.status, r.code, r.args)
                for r in self.session.query(MutationLog).all() if r.code != "mutation_id_reused"}

    def reused(self) -> list:
        from server.models.sync import MutationLog
        return [(r.client_id, r.mutation_id, r.args) for r in self.session.query(MutationLog).filter_by(
            code="mutation_id_reused").order_by(MutationLog.id)]

    def last_applied(self, client_id: str) -> int:
        from server.models.sync import SyncClient
        c = self.session.get(SyncClient, client_id, populate_existing=True)
        return c.last_mutation_id if c else 0


def expect_error(fn, code: str) -> SyncError:
    try:
        fn()
    except SyncError as err:
        assert err.code == code, (err.code, err.message)
        return err
    raise AssertionError(f"expected {code}")
