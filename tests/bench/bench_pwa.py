"""PWA budgets, measured in Debian's Chromium (DESIGN §11), each beside a baseline from the same run:

- shell (HTML + JS + CSS, no icons) as the phone downloads it (the precached files and sw.js, scripts stripped by
  server/shell_build.py) ≤ 200 KB uncompressed, no framework (baselines: the commented sources in pwa/, and gzip);
- offline cold start to the inspection list under 4× CPU throttling ≤ 0.8 s (baseline: a blank page);
- on-device resize of a 4000×3000 JPEG under 4× throttling ≤ 2 s, output ≤ 500 KB
  (baseline: a plain createImageBitmap + canvas draw + JPEG encode of the same image);
- axe-core: no serious or critical violation on any screen (baseline: a blank page).

`python -m tests.bench.bench_pwa` (or `make bench`). Needs /usr/bin/chromium and tests/pwa/node_modules."""
from __future__ import annotations

import base64
import gzip
import logging
import statistics
import tempfile
from pathlib import Path

from server.extensions import db
from server.pwa_routes import PWA_DIR, served_script, shell_files
from tests.e2e.conftest import CHROMIUM
from tests.e2e.conftest import CHROMIUM_ARGS as ARGS
from tests.e2e.pwa_kit import (AXE, axe_violations, jpeg_bytes, phone_login, record_pending_work, seed_group,
                               seed_inspection, standalone_server, visit_every_screen, wait_for_controller)

RUNS = 3
COLD_RUNS = 5
INSPECTIONS = 20

RESIZE = """async ([b64, mode]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes], { type: 'image/jpeg' });
  const { processPhoto } = await import('/app/js/photos.js');
  const started = performance.now();
  let size;
  if (mode === 'app') {
    const out = await processPhoto(blob, { max_side_px: 1600, jpeg_quality: 0.8 },
      ['时间：2024-05-06 09:05:12', '地点：北纬 35.48620，东经 112.41530（误差约 8 米）', '检查对象：阳城县宏达物流有限公司', '检查人员：王建国、李明']);
    size = out.bytes;
  } else {
    const bmp = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(1600, 1200);
    canvas.getContext('2d').drawImage(bmp, 0, 0, 1600, 1200);
    size = (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 })).size;
  }
  return { ms: performance.now() - started, bytes: size };
}"""
BLANK = "data:text/html,<!doctype html><title>blank</title><p>blank</p><script>performance.mark('ready')</script>"


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER BUDGET"


def shell_size() -> None:
    names = [n for n in shell_files() + ["sw.js"] if n.endswith((".html", ".js", ".css"))]
    sources = {n: (PWA_DIR / n).read_bytes() for n in names}
    served = {n: served_script(n) or sources[n] for n in names}
    raw = sum(len(b) for b in served.values())
    zipped = sum(len(gzip.compress(b, 6)) for b in served.values())
    print(f"shell as served, {len(names)} files (HTML + JS + CSS): {raw / 1024:.1f} KB uncompressed "
          f"(baseline the commented sources in pwa/: {sum(len(b) for b in sources.values()) / 1024:.1f} KB; "
          f"gzip -6 of what is served: {zipped / 1024:.1f} KB; budget ≤ 200 KB) {verdict(raw <= 200 * 1024)}")


def _seed(app) -> int:
    with app.app_context():
        people = seed_group(db.session)
        first = None
        for i in range(INSPECTIONS):
            iid = seed_inspection(db.session, people, target_name=f"阳城县测试物流有限公司{i + 1:02d}")
            first = first or iid
        db.session.commit()
    return first


def _throttled_page(ctx, rate: int = 4):
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
    return page


def cold_start(pw, url: str) -> None:
    device = {k: v for k, v in pw.devices["Pixel 7"].items() if k != "default_browser_type"}
    profile = Path(tempfile.mkdtemp(prefix="spotcheck-pwa-profile-"))

    def launch(offline):
        return pw.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True, args=ARGS,
                                                     offline=offline, base_url=url, locale="zh-CN", **device)
    ctx = launch(False)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    phone_login(page, "wangjg")
    wait_for_controller(page)
    page.locator("#syncbar").filter(has_text="全部已同步").wait_for()
    ctx.close()
    app_ms, blank_ms, parts = [], [], []
    for _ in range(COLD_RUNS):
        ctx = launch(True)  # a restarted browser: no warm process, no memory cache
        page = _throttled_page(ctx)
        page.goto("/app/")
        page.get_by_role("heading", name="我的检查任务").wait_for()
        page.get_by_role("link", name="阳城县测试物流有限公司01").wait_for()
        # The first of each mark: the start-up sync re-renders the list later, which is not the cold start.
        marks = page.evaluate("() => Object.fromEntries(performance.getEntriesByType('mark').reverse().map((m) => [m.name, m.startTime]))")
        app_ms.append(marks["list-ready"])
        parts.append(marks)
        ctx.close()
        ctx = launch(True)
        page = _throttled_page(ctx)
        page.goto(BLANK)
        blank_ms.append(page.evaluate("() => performance.getEntriesByName('ready')[0].startTime"))
        ctx.close()
    app, blank = statistics.median(app_ms), statistics.median(blank_ms)
    mid = parts[app_ms.index(sorted(app_ms)[len(app_ms) // 2])]
    print(f"offline cold start to the list ({INSPECTIONS} inspections), 4× CPU throttle: {app / 1000:.2f} s median of {COLD_RUNS} "
          f"[min {min(app_ms) / 1000:.2f} s; median run: modules loaded {mid['app-start'] / 1000:.2f} s, session restored "
          f"{mid['session-restored'] / 1000:.2f} s, list {mid['list-ready'] / 1000:.2f} s] "
          f"(baseline blank page: {blank / 1000:.2f} s; budget ≤ 0.8 s) {verdict(app <= 800)}")


def resize(browser, url: str) -> None:
    ctx = browser.new_context(base_url=url)
    page = _throttled_page(ctx)
    page.goto("/app/")
    photo = jpeg_bytes(4000, 3000)
    b64 = base64.b64encode(photo).decode()
    app = [page.evaluate(RESIZE, [b64, "app"]) for _ in range(RUNS)]
    plain = [page.evaluate(RESIZE, [b64, "plain"]) for _ in range(RUNS)]
    ctx.close()
    ms = statistics.median(r["ms"] for r in app)
    out = max(r["bytes"] for r in app)
    print(f"photo resize 4000×3000 JPEG ({len(photo) / 1048576:.1f} MB) → 1600 px + caption band, 4× CPU throttle: "
          f"{ms / 1000:.2f} s median of {RUNS}, output {out / 1024:.0f} KB "
          f"(baseline plain canvas draw + encode: {statistics.median(r['ms'] for r in plain) / 1000:.2f} s, "
          f"{max(r['bytes'] for r in plain) / 1024:.0f} KB; budget ≤ 2 s, ≤ 500 KB) {verdict(ms <= 2000 and out <= 500 * 1024)}")


def accessibility(browser, pw, url: str, iid: int) -> None:
    if not AXE.exists():
        print("accessibility: skipped — axe-core missing (run npm install in tests/pwa)")
        return
    ctx = browser.new_context(base_url=url, locale="zh-CN", **pw.devices["Pixel 7"])
    page = ctx.new_page()
    page.goto(BLANK)
    blank = len(axe_violations(page))
    page.goto("/app/")
    page.get_by_role("heading", name="登录").wait_for()
    found = {"登录": axe_violations(page)}
    phone_login(page, "lim")
    ctx.set_offline(True)
    record_pending_work(page, iid, "阳城县测试物流有限公司01")
    for name, p in visit_every_screen(page, iid):
        found[name] = axe_violations(p)
    ctx.close()
    bad = {k: [v["id"] for v in vs] for k, vs in found.items() if vs}
    print(f"accessibility (axe-core), {len(found)} screens: {sum(len(v) for v in found.values())} serious/critical "
          f"violations{f' {bad}' if bad else ''} (baseline blank page: {blank}; budget 0) {verdict(not bad)}")


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    shell_size()
    if not Path(CHROMIUM).exists():
        print(f"browser figures skipped: {CHROMIUM} not found (apt-get install -y chromium)")
        return
    from playwright.sync_api import sync_playwright
    with standalone_server() as (app, url), sync_playwright() as pw:
        iid = _seed(app)
        cold_start(pw, url)
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            resize(browser, url)
            accessibility(browser, pw, url, iid)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
