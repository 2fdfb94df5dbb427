"""Registry budgets (DESIGN §11): office search over 100,000 targets ≤ 150 ms server time, and the
import of a 10,000-row target sheet, validation included, ≤ 10 s. Each figure is printed beside a
baseline measured in the same run: the bare SQL query of the same page, and just reading the sheet
with openpyxl read-only (xlrd for the .xls). The import is timed twice: on the plain template-shaped
.xlsx, and on the same rows shaped as county offices keep them (old Excel .xls, a title line, a 序号
column numbered 200 rows past the data, a footer, header synonyms such as 法人 and category aliases
such as 普通货运). SQLite always; PostgreSQL too when its server binaries are installed."""
from __future__ import annotations

import io
import os
import random
import statistics
import tempfile
import time

from sqlalchemy import insert, text

SEARCH_TARGETS = 100_000
IMPORT_ROWS = 10_000
SEARCH_BUDGET_MS = 150.0
IMPORT_BUDGET_S = 10.0
REPEATS = 15
TOWNS = ["凤城镇", "北留镇", "润城镇", "町店镇", "芹池镇", "次营镇", "横河镇", "河北镇", "蟒河镇", "东冶镇",
         "白桑乡", "寺头乡", "西河乡", "演礼乡", "固隆乡", "董封乡", "驾岭乡"]
WORDS = ["顺达", "通达", "宏运", "安捷", "鑫源", "恒通", "华晋", "太行", "析城", "远航", "利民", "诚信"]
KINDS = {"freight": "运输有限公司", "passenger": "客运有限公司", "bus": "公交有限公司", "taxi": "出租汽车有限公司",
         "driving_school": "驾驶员培训学校", "repair": "汽车维修厂", "station": "汽车客运站"}
RISKS = ["low"] * 5 + ["general"] * 3 + ["higher", "high"]


def _uscc(n: int) -> str:
    from server.services.registry.uscc import check_digit
    body = f"91140522{n:09d}"
    return body + check_digit(body)


def _target_rows(count: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    rows = []
    for n in range(count):
        category = rnd.choice(list(KINDS))
        town = rnd.choice(TOWNS)
        rows.append({"uscc": _uscc(n), "name": f"阳城县{town}{rnd.choice(WORDS)}{n}{KINDS[category]}",
                     "category": category, "region": town, "address": f"阳城县{town}{rnd.randint(1, 300)}号",
                     "status": "active" if rnd.random() < 0.95 else "closed", "risk_level": rnd.choice(RISKS),
                     "tags": [], "licences": [], "legal_rep": "", "contact_name": "", "contact_phone": ""})
    return rows


def _verdict(value: float, budget: float) -> str:
    return "OK" if value <= budget else "OVER BUDGET"


def _median_ms(fn, repeats: int = REPEATS) -> float:
    fn()  # warm caches and the statement cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _databases():
    """Yield (label, url) for a temporary SQLite file, then for a throwaway PostgreSQL if available."""
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        yield "SQLite", f"sqlite:///{os.path.join(tmp, 'bench.db')}", tmp
        from tests import pg
        bindir = pg.find_bindir()
        if bindir is None:
            print("PostgreSQL: skipped (no server binaries; apt-get install -y postgresql)")
            return
        cluster = pg.Cluster(bindir)
        cluster.start()
        try:
            yield "PostgreSQL", cluster.create_database("bench_registry"), tmp
        finally:
            cluster.stop()


def _app(url: str):
    from server import create_app
    return create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                       "WTF_CSRF_ENABLED": False})


def _seed(db, count: int) -> float:
    from server.models.registry import Target
    rows = _target_rows(count)
    started = time.perf_counter()
    for i in range(0, len(rows), 10_000):
        db.session.execute(insert(Target), rows[i:i + 10_000])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return time.perf_counter() - started


SEARCHES = [
    ("name “顺达”", {"q": "顺达"}, "q=顺达"),
    ("USCC prefix (15 characters)", {"q": _uscc(4321)[:15]}, f"q={_uscc(4321)[:15]}"),
    ("filtered page 3: 道路普通货物运输 + 高 + 凤城镇", {"category": "freight", "risk_level": "high", "region": "凤城镇", "page": 3},
     "category=freight&risk=high&region=凤城镇&page=3"),
    ("unfiltered page 1", {}, ""),
]


def _bench_search(label: str, app, db) -> None:
    from server.models.registry import Target
    from server.services.accounts import credentials, sessions
    from server.services.registry import search
    user = credentials.create_user(db.session, None, username="bench", password="password123", role="office")
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as s:
        s["sid"] = sessions.start(db.session, user)  # a server-side session, as a form login makes
    db.session.commit()
    for name, kwargs, query in SEARCHES:
        page_args = {k: v for k, v in kwargs.items() if k != "page"}
        page_no = kwargs.get("page", 1)
        conds = search.target_conditions(**page_args)
        bare = (Target.__table__.select().where(*conds).order_by(Target.name, Target.id)
                .limit(50).offset((page_no - 1) * 50))
        baseline = _median_ms(lambda: db.session.connection().execute(bare).fetchall())
        result = search.search_targets(db.session, user, per_page=50, **kwargs)
        service = _median_ms(lambda: search.search_targets(db.session, user, per_page=50, **kwargs))
        page = _median_ms(lambda: client.get(f"/office/targets?{query}"), repeats=7)
        worst = max(service, page)
        print(f"office search, {SEARCH_TARGETS:,} targets, {name} ({label}, {result.total:,} matches): "
              f"service {service:.1f} ms, whole page {page:.1f} ms "
              f"(baseline bare SQL of the page: {baseline:.1f} ms; budget ≤ {SEARCH_BUDGET_MS:.0f} ms) "
              f"{_verdict(worst, SEARCH_BUDGET_MS)}", flush=True)


def _import_sheet(rows: int) -> bytes:
    import openpyxl
    from server.services.registry.columns import TARGETS
    wb = openpyxl.Workbook()  # not write-only: like Excel, it writes shared strings and the sheet's dimension
    ws = wb.active
    ws.title = "检查对象名录库"
    ws.append(["阳城县交通运输局检查对象名录库（基准测试）"])
    columns = [c for c in TARGETS.importable if c.field != "licence_valid_until"]  # the sheet as before it existed
    ws.append([c.header for c in columns])
    rnd = random.Random(11)
    for r in _target_rows(rows, seed=3):
        ws.append([r["uscc"], r["name"], TARGETS.column("category").type.cell(r["category"]), "重点企业", r["region"],
                   r["address"], round(112.2 + rnd.random() / 2, 6), round(35.3 + rnd.random() / 2, 6), "张三", "李四",
                   f"1380000{rnd.randint(0, 9999):04d}", f"晋交运管许可晋字{r['uscc'][-9:]}号", "在营",
                   rnd.choice(["AA", "A", "B", "C", "D"]), rnd.choice(["A", "B", "C", "D", ""])])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


OFFICE_HEAD = {"uscc": "社会信用代码", "name": "企业名称", "legal_rep": "法人"}  # the rest under their own names
OFFICE_WORDS = {"道路普通货物运输": "普通货运", "机动车驾驶员培训": "驾校", "道路客运站（场）": "客运站"}


def _office_xls(rows: int) -> bytes:
    """The bench's rows as a county office's .xls: title, 序号 past the data, footer, synonyms and aliases."""
    import openpyxl
    from server.services.registry.columns import TARGETS
    from tests.server.sheet_builders import xls_bytes
    ws = openpyxl.load_workbook(io.BytesIO(_import_sheet(rows)), read_only=True).worksheets[0]
    table = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    fields = [c.field for c in TARGETS.importable if c.field != "licence_valid_until"]
    head = ["序号"] + [OFFICE_HEAD.get(f, h) for f, h in zip(fields, table[0])] + ["许可证有效期"]
    category = fields.index("category")
    body = [[i] + [OFFICE_WORDS.get(v, v) if j == category else v for j, v in enumerate(r)]
            + ["长期" if i % 3 else 20271231] for i, r in enumerate(table[1:], start=1)]
    body += [[i] for i in range(rows + 1, rows + 201)]
    body += [[], ["填表人：王丽", None, "审核人：赵建国", None, "填表日期：", "2024年3月8日"], ["注：本表由运输管理股填报。"]]
    return xls_bytes([head] + body, title_rows=("阳城县交通运输局检查对象名录库（基准测试）",))


def _bench_office_import(label: str, db, data: bytes) -> None:
    import xlrd
    from server.services.registry import imports

    started = time.perf_counter()
    xlrd.open_workbook(file_contents=data, logfile=io.StringIO()).sheet_by_index(0).nrows
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    report = imports.import_file(db.session, None, "targets", data, "检查对象名录.xls")
    db.session.commit()
    first = time.perf_counter() - started
    assert report.ok and report.created == IMPORT_ROWS and len(report.skipped) == 202, report.summary()
    print(f"import, {IMPORT_ROWS:,}-row target sheet as offices keep it (.xls, 序号, footer, aliases) ({label}): "
          f"{first:.2f} s (baseline xlrd read of the sheet: {baseline:.2f} s; budget ≤ {IMPORT_BUDGET_S:.0f} s) "
          f"{_verdict(first, IMPORT_BUDGET_S)}", flush=True)


def _bench_import(label: str, db, data: bytes) -> None:
    import openpyxl
    from server.services.registry import imports

    def read_only():
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        return n

    started = time.perf_counter()
    read_only()
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    report = imports.import_file(db.session, None, "targets", data, "bench.xlsx")
    db.session.commit()
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = imports.import_file(db.session, None, "targets", data, "bench.xlsx")
    db.session.commit()
    second = time.perf_counter() - started
    assert report.ok and report.created == IMPORT_ROWS and again.unchanged == IMPORT_ROWS, report.summary()
    print(f"import, {IMPORT_ROWS:,}-row target sheet incl. validation ({label}): {first:.2f} s "
          f"(baseline openpyxl read-only read of the sheet: {baseline:.2f} s; budget ≤ {IMPORT_BUDGET_S:.0f} s) "
          f"{_verdict(first, IMPORT_BUDGET_S)}; re-import, all unchanged: {second:.2f} s", flush=True)


def _empty(db) -> None:
    db.session.execute(text("DELETE FROM credit_ratings"))
    db.session.execute(text("DELETE FROM targets"))
    db.session.commit()


def main() -> None:
    from server.extensions import db
    print("(load average at start: {:.1f} {:.1f} {:.1f}; the 2 cores are shared, so read each figure beside its "
          "baseline)".format(*os.getloadavg()), flush=True)
    sheet, office_sheet = _import_sheet(IMPORT_ROWS), _office_xls(IMPORT_ROWS)
    for label, url, _tmp in _databases():
        app = _app(url)
        with app.app_context():
            db.create_all()
            _bench_import(label, db, sheet)
            _empty(db)
            _bench_office_import(label, db, office_sheet)
            _empty(db)
            seconds = _seed(db, SEARCH_TARGETS)
            print(f"(seeded {SEARCH_TARGETS:,} targets into {label} with a bulk insert in {seconds:.1f} s)", flush=True)
            _bench_search(label, app, db)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
