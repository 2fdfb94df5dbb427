"""Shared steps for the PWA's end-to-end tests and its benchmark: seeding an inspection for two inspector
accounts, a standalone live server (for the benchmark, outside pytest), and what a user does on the phone."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import shutil
import tempfile
import threading
import time
from pathlib import Path

from server.extensions import db
from server.services.accounts import credentials
from server.services.kernel import workdays
from tests.factories import create_department, create_inspection, create_inspector, create_item, create_target, create_task

PASSWORD = "password123"
TARGET = "阳城县宏达物流有限公司"
CHECKPOINTS = ("是否取得道路运输经营许可证", "车辆技术档案是否齐全", "是否按规定开展安全生产教育培训")
LATITUDE, LONGITUDE = 35.4862, 112.4153  # where seed_inspection puts the target
GPS = {"geolocation": {"latitude": LATITUDE, "longitude": LONGITUDE, "accuracy": 8}, "permissions": ["geolocation"]}


def seed_group(session, people=(("wangjg", "王建国"), ("lim", "李明")), *, department: str = "执法一中队") -> list:
    """Inspectors with their inspector accounts (username, name) in a new department; returns the Inspectors."""
    department = create_department(session, name=department)
    rows = []
    for username, name in people:
        inspector = create_inspector(session, department, name=name)
        credentials.create_user(session, None, username=username, password=PASSWORD, role="inspector",
                             inspector_id=inspector.id)
        rows.append(inspector)
    return rows


def seed_inspection(session, inspectors, *, target_name: str = TARGET, checkpoints=CHECKPOINTS,
                    due_date: dt.date | None = None, task=None) -> int:
    """An assigned inspection of `inspectors` with a full target card; returns its id."""
    department = inspectors[0].department
    task = task or create_task(session, items=[create_item(session, name="道路货物运输经营行为检查",
                                                           checkpoints=checkpoints)],
                               departments=[department], name="2024年道路货运企业双随机抽查",
                               period_end=due_date or workdays.today() + dt.timedelta(days=20))
    target = create_target(session, name=target_name, address="阳城县凤城镇凤鸣路88号", risk_level="general",
                           contact_name="赵志强", contact_phone="13903560000", legal_rep="赵大海",
                           latitude=LATITUDE, longitude=LONGITUDE)
    insp = create_inspection(session, task=task, target=target, inspectors=inspectors,
                             due_date=due_date or task.period_end)
    insp.target_snapshot = {**insp.target_snapshot, "contact_name": target.contact_name,
                            "contact_phone": target.contact_phone, "legal_rep": target.legal_rep,
                            "latitude": target.latitude, "longitude": target.longitude}
    session.flush()
    return insp.id


def jpeg_bytes(width: int = 1200, height: int = 900, *, orientation: int | None = None, seed: int = 1) -> bytes:
    """A photo-like JPEG (gradients, shapes and texture, so it compresses like a real one)."""
    from PIL import Image, ImageDraw, ImageFilter
    import random
    rnd = random.Random(seed)
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(60):
        x, y = rnd.randrange(width), rnd.randrange(height)
        r = rnd.randrange(max(4, width // 40), max(8, width // 8))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    img = Image.blend(img.filter(ImageFilter.GaussianBlur(2)), noise, 0.25)
    out = io.BytesIO()
    exif = None
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
    img.save(out, "JPEG", quality=92, **({"exif": exif} if exif else {}))
    return out.getvalue()


# ---- on the phone -------------------------------------------------------------------------------------

def phone_login(page, username: str, password: str = PASSWORD, *, expect_list: bool = True):
    """Open /app/ and log in through the form, as an inspector would."""
    if "/app/" not in page.url:
        page.goto("/app/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    if expect_list:  # and the first download has finished, as an inspector waits for it before leaving the office
        page.get_by_role("heading", name="我的检查任务").wait_for()
        page.locator("#syncbar").filter(has_text="全部已同步").wait_for()


def phone_ready(phone_context, username: str = "wangjg", *, init_script: str | None = None, **options):
    """A new phone (context `options`, e.g. **GPS) logged in as `username`, its service worker in control so
    it keeps working offline; `init_script` runs in every page before the app. Returns (context, page)."""
    ctx = phone_context(**options)
    if init_script:
        ctx.add_init_script(init_script)
    page = ctx.new_page()
    phone_login(page, username)
    wait_for_controller(page)
    return ctx, page


SMALL_PHONE = {"viewport": {"width": 360, "height": 740}, "screen": {"width": 360, "height": 800}, "has_touch": True,
               "is_mobile": True, "device_scale_factor": 2}  # a cheap Android phone, held in one hand


def small_phone(phone_context, username: str = "wangjg", **options):
    """phone_ready on a 360×740 touch screen: (context, page)."""
    return phone_ready(phone_context, username, **{**SMALL_PHONE, **options})


def console_errors(page) -> list[str]:
    """Collects the page's console errors (and uncaught exceptions) from now on, into the returned list."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(f"uncaught: {e}"))
    return seen


def wait_for_controller(page, timeout: float = 15.0):
    """Wait until the service worker controls the page (offline reload works from then on).

    Polled with evaluate(): the app's Content-Security-Policy forbids the eval behind wait_for_function."""
    deadline = time.monotonic() + timeout
    while not page.evaluate("() => Boolean(navigator.serviceWorker && navigator.serviceWorker.controller)"):
        if time.monotonic() > deadline:
            raise AssertionError("service worker never took control of the page")
        page.wait_for_timeout(100)


def sync_bar(page):
    """The status line under the top bar."""
    return page.get_by_role("status").filter(has_text="同步").first


def wait_synced(page, timeout: float = 15_000):
    """Tap 同步 and wait for “全部已同步”."""
    page.get_by_role("button", name="同步", exact=True).click()
    page.locator("#syncbar").filter(has_text="全部已同步").wait_for(timeout=timeout)


# ---- a live server outside pytest (the benchmark) -------------------------------------------------------

@contextlib.contextmanager
def standalone_server():
    """A spotcheck server on a fresh SQLite file in a temporary folder; yields (app, url)."""
    from werkzeug.serving import make_server
    from server import create_app
    tmp = Path(tempfile.mkdtemp(prefix="spotcheck-pwa-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "SECRET_KEY": "bench",
                      "MEDIA_DIR": str(tmp / "media"), "PDF_CACHE_DIR": str(tmp / "pdf")})
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


# ---- recording an inspection on the phone, through what the inspector sees ---------------------------

def open_inspection(page, target: str = TARGET):
    """From the list, open an inspection by its target's name."""
    page.goto("/app/#/")
    page.get_by_role("link", name=target).click()
    page.get_by_role("heading", name="检查详情").wait_for()


def open_section(page, name: str):
    """Open a step of the inspection overview ("逐项检查", "现场照片", …)."""
    import re
    page.get_by_role("link", name=re.compile(name)).click()


def start_inspection(page):
    """Show the notice and start."""
    open_section(page, "出示检查告知")
    page.get_by_role("heading", name="随机抽查告知").wait_for()
    page.get_by_role("button", name="已出示告知，开始检查").click()
    page.get_by_role("heading", name="逐项检查").wait_for()


def answer(page, seq: int, label: str):
    """Answer checkpoint `seq` with 符合 / 不符合 / 不涉及."""
    group = page.get_by_role("group", name=f"第 {seq} 项判定")
    group.get_by_role("button", name=label, exact=True).click()
    group.get_by_role("button", name=label, exact=True).and_(page.locator("[aria-pressed=true]")).wait_for()


def begin_inspection(page, first: str = "符合", target: str = TARGET):
    """From the list: open the inspection, start it and answer checkpoint 1 with `first`."""
    open_inspection(page, target)
    start_inspection(page)
    answer(page, 1, first)


def back_to_overview(page):
    page.get_by_role("link", name="返回", exact=True).click()
    page.get_by_role("heading", name="检查详情").wait_for()


def record_pending_work(page, iid: int, target: str = TARGET):
    """Part of an inspection recorded (a 不符合, a photo, the party), so every screen has data to show."""
    begin_inspection(page, "不符合", target)
    back_to_overview(page)
    open_section(page, "现场照片")
    take_photo(page, jpeg_bytes(800, 600))
    page.goto(f"/app/#/i/{iid}/party")
    record_party(page)


def add_finding(page, description: str, rectification: str = "责令限期补齐", deadline: str | None = None):
    """Fill and save the 新增问题 form (already open)."""
    page.get_by_label("问题描述").fill(description)
    page.get_by_label("责令改正内容").fill(rectification)
    if deadline:
        page.get_by_label("整改期限").fill(deadline)
    page.get_by_role("button", name="保存问题").click()
    page.get_by_role("heading", name="发现的问题").wait_for()


def take_photo(page, data: bytes | None = None, caption: str = "", name: str = "IMG_0001.jpg",
               checkpoint: int | None = None):
    """Take a photo with the camera input (tied to checkpoint number `checkpoint`); waits for it to be listed."""
    before = page.locator("ul.photos > li").count()
    if caption:
        page.get_by_label("照片说明").fill(caption)
    if checkpoint:
        page.get_by_label("关联检查要点").select_option(index=checkpoint)
    page.get_by_label("拍照").set_input_files([{"name": name, "mimeType": "image/jpeg", "buffer": data or jpeg_bytes()}])
    page.locator("ul.photos > li").nth(before).wait_for()


def record_party(page, name: str = "赵志强", position: str = "安全主管"):
    page.get_by_label("姓名").fill(name)
    page.get_by_label("职务").fill(position)
    page.get_by_role("button", name="保存当事人信息").click()
    page.get_by_role("heading", name="检查详情").wait_for()


def sign(page, who: str, *, again: bool = False):
    """Sign for `who` (e.g. "检查人员 王建国", "当事人 赵志强") from the 签名 screen (again: 重新签名)."""
    row = page.locator("li.signer").filter(has_text=who)
    row.get_by_role("link", name="重新签名" if again else "签名", exact=True).click()
    pad = page.get_by_role("img", name=f"{who}的签名区域")
    pad.wait_for()
    box = pad.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.2, y + h * 0.6)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x + w * (0.2 + i * 0.06), y + h * (0.6 - (i % 3) * 0.12))
    page.mouse.up()
    page.get_by_role("button", name="确认签名").click()
    page.get_by_role("heading", name="签名").wait_for()
    page.locator("li.signer.done").filter(has_text=who).wait_for()


def sign_again(page, who):
    """After a change to what was signed: from the overview, everyone in `who` signs again (重新签名)."""
    open_section(page, "签名")
    for person in who:
        sign(page, person, again=True)
    back_to_overview(page)


def choose_result(page, categories=("发现问题已责令改正",), methods=("实地检查",), follow_ups=("责令限期整改",), summary=""):
    for label in (*categories, *methods):
        page.get_by_label(label, exact=True).check()
    for label in follow_ups:
        page.get_by_label(label).check()
    if summary:
        page.get_by_label("检查情况综述").fill(summary)
        page.get_by_label("检查情况综述").blur()
    page.get_by_text("已保存在手机上", exact=True).wait_for()


def submit(page):
    """From the review screen: submit and confirm."""
    page.get_by_role("button", name="提交检查结果").click()
    page.get_by_role("button", name="确认提交").click()
    page.get_by_role("heading", name="回执").wait_for()


def record_complete_inspection(page, *, photo: bytes | None = None, party: str = "赵志强",
                               members=("王建国", "李明")):
    """The whole on-site work for the seeded 3-checkpoint inspection, ending on the receipt screen: the
    conclusion comes before the signatures, which cover it."""
    start_inspection(page)
    answer(page, 1, "符合")
    answer(page, 2, "不符合")
    answer(page, 3, "不涉及")
    page.get_by_role("link", name="记录问题").click()
    add_finding(page, "晋E12345 车辆技术档案缺少 2023 年度审验记录")
    back_to_overview(page)
    open_section(page, "现场照片")
    take_photo(page, photo, caption="车辆技术档案（晋E12345）", checkpoint=2)  # a 不符合 needs its photo
    back_to_overview(page)
    open_section(page, "现场当事人")
    record_party(page, party)
    open_section(page, "检查结论")
    choose_result(page, summary="车辆技术档案不全，已责令限期改正")
    page.get_by_role("button", name="下一步：核对笔录并签名").click()
    page.get_by_role("heading", name="签名").wait_for()
    page.get_by_role("link", name="预览现场检查笔录").click()  # the party reads the record before signing
    preview = page.get_by_role("article", name="现场检查笔录预览")
    preview.get_by_role("heading", name="现场检查笔录").wait_for()
    preview.get_by_text("晋E12345 车辆技术档案缺少 2023 年度审验记录").wait_for()
    preview.get_by_text("车辆技术档案不全，已责令限期改正").wait_for()
    preview.get_by_text("以上笔录已经本人核对，与事实相符。").wait_for()
    page.go_back()
    page.get_by_role("heading", name="签名").wait_for()
    for name in members:
        sign(page, f"检查人员 {name}")
    sign(page, f"当事人 {party}")
    back_to_overview(page)
    open_section(page, "核对并提交")
    page.get_by_text("必填内容已齐全，可以提交。").wait_for()
    submit(page)


# ---- accessibility -------------------------------------------------------------------------------------

AXE = Path(__file__).resolve().parents[1] / "pwa" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_violations(page, impacts=SERIOUS) -> list[dict]:
    """Run axe-core in the page (evaluated, not injected as a tag: the app's CSP allows no inline script)
    and return the violations of the given impacts as {id, impact, help, targets}."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                       targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
    }""")
    return [v for v in result if v["impact"] in impacts]


def visit_every_screen(page, iid: int):
    """Yield (name, page) at every screen of the app, with data on each (the inspection is recorded)."""
    base = f"/app/#/i/{iid}"
    for name, hash_, heading in [
        ("任务列表", "/app/#/", "我的检查任务"), ("检查详情", base, "检查详情"), ("检查告知", f"{base}/notice", "检查告知"),
        ("逐项检查", f"{base}/checklist", "逐项检查"), ("发现的问题", f"{base}/findings", "发现的问题"),
        ("新增问题", f"{base}/finding/new", "新增问题"), ("现场照片", f"{base}/photos", "现场照片"),
        ("现场当事人", f"{base}/party", "现场当事人"), ("签名", f"{base}/signatures", "签名"),
        ("签名板", f"{base}/sign/party", "签名"), ("检查结论", f"{base}/result", "检查结论"),
        ("核对并提交", f"{base}/review", "核对并提交"), ("笔录预览", f"{base}/preview", "笔录预览"),
        ("回执", f"{base}/receipt", "回执"), ("需要处理", "/app/#/attention", "需要处理"), ("我的", "/app/#/me", "我的"),
    ]:
        page.goto(hash_)
        page.get_by_role("heading", name=heading, exact=True).first.wait_for()
        page.wait_for_timeout(50)
        yield name, page
