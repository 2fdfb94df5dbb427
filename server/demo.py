"""Demo data that looks like 阳城县 (`spotcheck load-demo`); the plan, tasks and draws are in demo_plan.py.

`build(today)` makes the whole data set as plain dicts from a seeded random generator, so the same day
always gives the same data; `load(session)` stores it. Dates that matter for the demo (certificates
expiring soon, ratings in effect) are relative to `today`. Every person and business is fictional;
the USCCs carry 阳城县's region code 140522 and a valid GB 32100-2015 check digit.
"""
from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import demo_plan
from server.errors import Conflict
from server.models.accounts import User
from server.models.registry import (
    Checkpoint, CreditRating, Department, InspectionItem, Inspector, Recusal, Target,
)
from server.models.types import utcnow
from server.services.accounts import credentials
from server.services.kernel import audit, workdays
from server.services.registry import risk
from server.services.registry.uscc import ALPHABET, check_digit

SEED = 140522
REGION = "140522"
DATA_DIR = Path(__file__).with_name("demo")


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    display_name: str
    inspector_name: str | None = None  # an inspector user is linked to this Inspector
    department: str | None = None


DEMO_USERS = (
    DemoUser("admin", "admin123", "admin", "系统管理员"),
    DemoUser("office", "office123", "office", "王丽萍", department="FZG"),
    DemoUser("leader", "leader123", "leader", "赵建国"),
    DemoUser("lizhiqiang", "inspect123", "inspector", "李志强", "李志强", "ZFD"),
    DemoUser("guoxiaodong", "inspect123", "inspector", "郭晓东", "郭晓东", "ZFD"),
    DemoUser("weihaiyan", "inspect123", "inspector", "卫海燕", "卫海燕", "ZFD"),
    DemoUser("scjstaff", "dept12345", "dept_staff", "常文静", department="SCJ"),  # 县市场监督管理局's staff
)

# category → (how many, name suffixes, tag choices, licence kind or None for 备案, share of 个体工商户)
CATEGORIES = {
    "freight": (105, ("运输有限公司", "物流有限公司", "货运有限公司", "运贸有限公司"), (["普货"],), "道路运输经营许可证", 0),
    "passenger": (22, ("客运有限公司", "旅游客运有限公司", "汽车运输有限公司"),
                  (["班线客运"], ["包车客运"], ["旅游客运", "包车客运"]), "道路运输经营许可证（旅客运输）", 0),
    "bus": (5, ("公共交通有限公司", "城乡公交有限公司"), (["城乡公交"],), "城市公共汽车客运线路运营权", 0),
    "taxi": (30, ("出租汽车有限公司",), (["巡游出租"],), "巡游出租汽车经营许可证", 0),
    "driving_school": (18, ("机动车驾驶员培训有限公司", "驾驶员培训学校"), (["驾培"],), None, 0),
    "repair": (112, ("汽车维修有限公司", "汽车修理厂", "汽车维修服务有限公司", "汽车维修中心"),
               (["一类维修"], ["二类维修"], ["二类维修"], ["三类维修"]), None, 0.4),
}
# Special kinds carved out of the counts above: (category, how many, name suffix, tags, licence kind).
SPECIAL = (
    ("freight", 12, "危险货物运输有限公司", ["危货"], "道路运输经营许可证（危险货物运输）"),
    ("taxi", 4, "网约车科技有限公司", ["网约车"], "网络预约出租汽车经营许可证"),
    ("taxi", 10, "汽车租赁有限公司", ["汽车租赁"], None),
)
TRANSPORT_LEVELS = (("AA", 12), ("A", 38), ("B", 32), ("C", 12), ("D", 6))
MARKET_LEVELS = (("A", 55), ("B", 28), ("C", 11), ("D", 6))
# Inspectors per department, and their tags in order (the first three 执法队 members are the demo group).
INSPECTOR_TAGS = {
    "ZFD": (["危货", "货运"], ["维修", "客运"], ["危货", "维修"], ["客运"], ["货运"], ["驾培"], ["出租汽车"], ["危货"],
            ["维修"], ["客运", "驾培"], ["货运"], ["危货", "客运"], ["维修"], ["出租汽车"], ["货运"]),
    "YSG": (["出租汽车", "网约车"], ["网约车"], ["危货", "货运"], ["维修"], ["客运"], ["驾培"]),
    "FZG": (["法制审核"], ["法制审核", "危货"], ["法制审核"], ["法制审核", "维修"]),
    "SCJ": (["市场监管", "价格"], ["市场监管"], ["市场监管", "计量"]),
}
FIXED_INSPECTORS = {("ZFD", 0): "李志强", ("ZFD", 1): "郭晓东", ("ZFD", 2): "卫海燕"}
# (department, index) → days from today to the certificate's expiry, for the few that need attention.
CERT_EXPIRY_OVERRIDES = {("ZFD", 9): 18, ("YSG", 4): 41, ("FZG", 2): 57, ("ZFD", 12): -23}
INACTIVE_INSPECTORS = {("ZFD", 14)}
COUNT_LABELS = (("departments", "部门"), ("items", "抽查事项"), ("targets", "检查对象"), ("inspectors", "执法检查人员"),
                ("recusals", "回避声明"), ("users", "用户"), ("plans", "抽查计划"), ("tasks", "抽查任务"),
                ("inspections", "已分派的检查"), ("submitted", "已提交待审核的检查"))
RECUSALS = ((("ZFD", 3), "repair", 5, "配偶系该单位股东"),
            (("ZFD", 0), "freight", 7, "近亲属（兄长）任该公司法定代表人"))


@cache
def _json(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return json.load(fh)


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights)[0]


def _uscc(rng: random.Random, used: set[str], individual: bool) -> str:
    """A fresh valid USCC: 91 (company) or 92 (个体工商户), 140522, a 9-character organisation code."""
    letters = ALPHABET[10:]
    while True:
        if rng.random() < 0.7:
            org = "MA0" + "".join(rng.choice(ALPHABET) for _ in range(5)) + rng.choice(letters + "0123456789")
        else:
            org = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice("0123456789X")
        body = ("92" if individual else "91") + REGION + org
        code = body + check_digit(body)
        if code not in used:
            used.add(code)
            return code


def _person(rng: random.Random) -> str:
    names = _json("names.json")
    return rng.choice(names["surnames"]) + rng.choice(names["given_names"])


def _phone(rng: random.Random) -> str:
    return rng.choice(("139", "138", "135", "152", "187", "150", "133")) + f"{rng.randrange(10**8):08d}"


def _place(rng: random.Random, town: dict | None = None) -> dict:
    towns = _json("places.json")["towns"]
    town = town or rng.choices(towns, weights=[t["weight"] for t in towns])[0]
    spot = rng.choice(town["places"])
    return {"region": town["name"], "address": f"阳城县{town['name']}{spot}{rng.randint(1, 260)}号",
            "latitude": round(town["lat"] + rng.uniform(-0.012, 0.012), 6),
            "longitude": round(town["lon"] + rng.uniform(-0.012, 0.012), 6)}


def _licences(rng: random.Random, kind: str | None, category: str, seq: int, today: dt.date) -> list[dict]:
    if kind is None:  # 维修、驾培、汽车租赁 are filed (备案), not licensed
        label = {"repair": "机动车维修经营备案", "driving_school": "机动车驾驶员培训备案"}.get(category, "小微型客车租赁经营备案")
        return [{"no": f"阳交运备{rng.randint(2019, today.year - 1)}{seq:04d}号", "kind": label, "valid_until": None}]
    until = today + dt.timedelta(days=rng.randint(90, 1600))
    return [{"no": f"晋交运管许可阳字{REGION}{seq:06d}号", "kind": kind, "valid_until": until.isoformat()}]


def _ratings(rng: random.Random, individual: bool, today: dt.date) -> list[dict]:
    """Ratings in effect today: the transport year starts on 1 April; the market class is monthly."""
    start = dt.date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    end = dt.date(start.year + 1, 3, 31)
    out = []
    if rng.random() < 0.9:
        out.append({"source": "transport", "level": _weighted(rng, TRANSPORT_LEVELS), "from": start, "to": end})
        if rng.random() < 0.25:  # last year's rating, kept as history
            out.append({"source": "transport", "level": _weighted(rng, TRANSPORT_LEVELS),
                        "from": dt.date(start.year - 1, 4, 1), "to": start - dt.timedelta(days=1)})
    if not individual and rng.random() < 0.8:
        out.append({"source": "market", "level": _weighted(rng, MARKET_LEVELS), "from": today.replace(day=1),
                    "to": None})
    return out


def _target(rngs, used, name, category, tags, kind, seq, today, individual=False, town=None) -> dict:
    rng, drng = rngs
    rep = _person(rng)
    return {"uscc": _uscc(rng, used, individual), "name": name, "category": category, "tags": list(tags),
            **_place(rng, town), "legal_rep": rep, "contact_name": rep if individual else _person(rng),
            "contact_phone": _phone(rng), "licences": _licences(drng, kind, category, seq, today),
            "status": "active", "ratings": _ratings(drng, individual, today)}


def _unique_name(rng: random.Random, taken: set[str], make) -> str:
    trades = _json("names.json")["trade_names"]
    while True:
        name = make(rng.choice(trades))
        if name not in taken:
            taken.add(name)
            return name


def _targets(rngs: tuple[random.Random, random.Random], today: dt.date) -> list[dict]:
    rng = rngs[0]
    used, taken, out = set(), set(), []
    towns = {t["name"]: t for t in _json("places.json")["towns"]}
    for st in _json("places.json")["stations"]:
        out.append(_target(rngs, used, st["name"], "station", st["tags"], "道路运输经营许可证（客运站经营）",
                           len(out) + 1, today, town=towns[st["town"]]))
    for category, n, suffix, tags, kind in SPECIAL:
        for _ in range(n):
            name = _unique_name(rng, taken, lambda t: f"阳城县{t}{suffix}")
            out.append(_target(rngs, used, name, category, tags, kind, len(out) + 1, today))
    for category, (count, suffixes, tag_choices, kind, individual_share) in CATEGORIES.items():
        count -= sum(n for c, n, *_ in SPECIAL if c == category)
        for _ in range(count):
            individual = rng.random() < individual_share
            town = rng.choice(list(towns.values())) if individual else None
            place = town["name"] if individual else ""
            suffix = "汽车修理部" if individual else rng.choice(suffixes)
            name = _unique_name(rng, taken, lambda t: f"阳城县{place}{t}{suffix}")
            out.append(_target(rngs, used, name, category, rng.choice(tag_choices), kind, len(out) + 1, today,
                               individual=individual, town=town))
    for i, status in ((17, "suspended"), (44, "suspended"), (121, "suspended"), (63, "closed"), (200, "closed"),
                      (165, "moved")):
        out[i]["status"] = status
    return out


def _inspectors(rngs: tuple[random.Random, random.Random], today: dt.date) -> list[dict]:
    rng, drng = rngs
    taken = set(FIXED_INSPECTORS.values()) | {u.display_name for u in DEMO_USERS}
    out = []
    for d, code in enumerate((dept["code"] for dept in _json("departments.json")["departments"]), start=1):
        for k, tags in enumerate(INSPECTOR_TAGS[code]):
            name = FIXED_INSPECTORS.get((code, k))
            if name is None:
                while name is None or name in taken:
                    name = _person(rng)
                taken.add(name)
            if (code, k) in CERT_EXPIRY_OVERRIDES:
                expires = today + dt.timedelta(days=CERT_EXPIRY_OVERRIDES[(code, k)])
                issued = expires - dt.timedelta(days=6 * 365 + 1)
            else:
                issued = today - dt.timedelta(days=drng.randint(200, 1500))
                expires = issued + dt.timedelta(days=6 * 365 + 1)
            out.append({"key": (code, k), "name": name, "cert_no": f"{REGION}{d:02d}{k + 1:04d}",
                        "cert_issued_on": issued, "cert_expires_on": expires, "department": code, "tags": list(tags),
                        "status": "inactive" if (code, k) in INACTIVE_INSPECTORS else "active",
                        "phone": _phone(rng)})
    return out


def build(today: dt.date) -> dict:
    """The whole demo data set for `today`, as plain data (the same day always gives the same data)."""
    # Two generators: who and where (names, codes, places) never depend on the day; dates and ratings do.
    rngs = (random.Random(SEED), random.Random(SEED + 1))
    targets = _targets(rngs, today)
    inspectors = _inspectors(rngs, today)
    by_key = {i["key"]: i for i in inspectors}
    recusals = []
    for key, category, nth, reason in RECUSALS:
        target = [t for t in targets if t["category"] == category and t["status"] == "active"][nth]
        recusals.append({"cert_no": by_key[key]["cert_no"], "uscc": target["uscc"], "reason": reason})
    return {"departments": _json("departments.json")["departments"], "items": _json("items.json")["items"], "targets": targets,
            "inspectors": inspectors, "recusals": recusals, "users": list(DEMO_USERS)}


def has_targets(session: Session) -> bool:
    """Whether any target exists (then `load-demo --if-empty` does nothing)."""
    return session.scalar(select(func.count(Target.id))) > 0


def _departments(session: Session, data: dict) -> dict[str, Department]:
    out = {}
    for spec in data["departments"]:
        code, name = spec["code"], spec["name"]
        dept = session.scalar(select(Department).where((Department.code == code) | (Department.name == name)))
        if dept is None:
            dept = Department(**spec)
            session.add(dept)
        out[code] = dept
    session.flush()
    return out


def _items(session: Session, data: dict, depts: dict[str, Department]) -> int:
    existing = set(session.scalars(select(InspectionItem.code)))
    added = 0
    for spec in data["items"]:
        if spec["code"] in existing:
            continue
        item = InspectionItem(code=spec["code"], name=spec["name"], kind=spec["kind"], legal_basis=spec["legal_basis"],
                              methods=spec["methods"], target_categories=spec["target_categories"],
                              qualification_tags=spec["qualification_tags"], department_id=depts[spec["department"]].id,
                              status="published", note=spec["note"])
        item.checkpoints = [Checkpoint(seq=i, text=text) for i, text in enumerate(spec["checkpoints"], start=1)]
        session.add(item)
        added += 1
    session.flush()
    return added


def _store_targets(session: Session, data: dict, today: dt.date) -> int:
    targets = []
    for spec in data["targets"]:
        fields = {k: v for k, v in spec.items() if k != "ratings"}
        target = Target(**fields)
        target.ratings = [CreditRating(source=r["source"], level=r["level"], effective_from=r["from"],
                                       effective_to=r["to"]) for r in spec["ratings"]]
        # A new registry's first level is where it starts, not a change: no 风险等级变化预警 for it.
        target.risk_level = risk.derive(target.ratings, today).value
        target.risk_updated_at = utcnow()
        session.add(target)
        targets.append(target)
    session.flush()
    return len(targets)


def _store_inspectors(session: Session, data: dict, depts: dict[str, Department]) -> dict[str, Inspector]:
    existing = {i.cert_no: i for i in session.scalars(select(Inspector))}
    for spec in data["inspectors"]:
        if spec["cert_no"] in existing:
            continue
        fields = {k: v for k, v in spec.items() if k not in ("key", "department")}
        inspector = Inspector(**fields, department_id=depts[spec["department"]].id)
        session.add(inspector)
        existing[spec["cert_no"]] = inspector
    session.flush()
    for rec in data["recusals"]:
        session.add(Recusal(inspector_id=existing[rec["cert_no"]].id, target_uscc=rec["uscc"], reason=rec["reason"]))
    session.flush()
    return existing


def _store_users(session: Session, data: dict, depts: dict[str, Department], inspectors: dict) -> int:
    by_name = {i.name: i for i in inspectors.values()}
    taken = {u.lower() for u in session.scalars(select(User.username))}
    added = 0
    for u in data["users"]:
        if u.username in taken:
            continue  # keep an account someone already made; its password is theirs
        inspector = by_name.get(u.inspector_name) if u.inspector_name else None
        credentials.create_user(session, None, username=u.username, password=u.password, role=u.role,
                             display_name=u.display_name, inspector_id=inspector.id if inspector else None,
                             department_id=depts[u.department].id if u.department else None)
        added += 1
    return added


def load(session: Session, *, today: dt.date | None = None) -> dict[str, int]:
    """Store the demo data in a database without targets; returns what was added. Flushes, never commits."""
    if has_targets(session):
        raise Conflict("数据库中已有检查对象，演示数据只能加载到没有检查对象的数据库；"
                       "如需重新加载，请换一个空数据库（或删除 instance/spotcheck.db 后重新运行 make run）")
    today = today or workdays.today()
    data = build(today)
    depts = _departments(session, data)
    counts = {"departments": len(depts), "items": _items(session, data, depts),
              "targets": _store_targets(session, data, today)}
    inspectors = _store_inspectors(session, data, depts)
    counts["inspectors"], counts["recusals"] = len(data["inspectors"]), len(data["recusals"])
    counts["users"] = _store_users(session, data, depts, inspectors)
    counts.update(demo_plan.extend_with_draw(session, today))
    audit.record(session, None, "demo.load", object_type="demo", detail=summary(counts), reason="加载演示数据")
    return counts


def summary(counts: dict[str, int]) -> dict[str, int]:
    """The counts under their 中文 names, in a fixed order."""
    return {label: counts[key] for key, label in COUNT_LABELS if key in counts}
