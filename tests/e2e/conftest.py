"""End-to-end harness: the real app on 127.0.0.1, driven by Debian's Chromium through Playwright.

Each test gets its own server: `create_app` on a fresh SQLite file (copied from a template made once with
the schema), served by werkzeug's threaded `make_server` on port 0. These tests run once, not per database:
they never use the `app` fixture. Fixtures:

- `live_server`: `.url`, `.app`, `.session()` (a committed unit of work in the server's database) and
  `.create_user(role=…)` which seeds an account through the services and returns (username, password);
- `browser` (one Chromium per session), `context` / `page` (fresh per test, desktop, zh-CN);
- `phone_context(**overrides)` (a factory of Pixel 7 contexts) and `phone_page`;
- `office_login(page, username, password)`: logs in through the office login form.

Without /usr/bin/chromium (or the playwright package) the tests skip with the reason, except under CI
(CI=true), where they fail. A failing test leaves a screenshot of every open page in test-artifacts/.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from server import create_app
from server.extensions import db
from server.services.accounts import credentials
from tests.factories import create_inspector

CHROMIUM = os.environ.get("SPOTCHECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
E2E_DIR = Path(__file__).resolve().parent
TIMEOUT_MS = 15_000
_users = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    """Everything under tests/e2e carries the e2e marker, so `-m "not e2e"` leaves the browser out."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason}（CI 中端到端测试必须运行）")
    pytest.skip(reason)


class LiveServer:
    """A running spotcheck server and a way into its database from the test."""

    def __init__(self, app, url: str):
        self.app = app
        self.url = url

    @contextlib.contextmanager
    def session(self):
        """The database session in the app's context; commits when the block ends without an error."""
        with self.app.app_context():
            try:
                yield db.session
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    def create_user(self, role: str = "office", *, username: str | None = None, password: str = "password123",
                    **kwargs) -> tuple[str, str]:
        """Seed an account through the services (an inspector gets an Inspector record); returns the login."""
        username = username or f"{role}{next(_users)}"
        with self.session() as s:
            if role == "inspector" and "inspector_id" not in kwargs:
                kwargs["inspector_id"] = create_inspector(s).id
            credentials.create_user(s, None, username=username, password=password, role=role, **kwargs)
        return username, password


@pytest.fixture(scope="session")
def _e2e_template_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e-template") / "template.db"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "e2e"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return path


@pytest.fixture
def live_server(_e2e_template_db, tmp_path):
    """A fresh database and a real HTTP server for one test (CSRF on, as in production)."""
    path = tmp_path / "e2e.db"
    shutil.copy(_e2e_template_db, path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "e2e-secret",
                      "MEDIA_DIR": str(tmp_path / "media"), "PDF_CACHE_DIR": str(tmp_path / "pdf-cache")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="spotcheck-e2e", daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def playwright():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"未找到 Chromium（{CHROMIUM}）；请运行 apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("未安装 playwright；请运行 .venv/bin/pip install -e '.[test]'")
    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="session")
def browser(playwright):
    """One headless Debian Chromium for the whole session (never `playwright install`)."""
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


def _screenshot_if_failed(request, contexts, label: str) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    for i, ctx in enumerate(contexts):
        for j, pg in enumerate(ctx.pages):
            with contextlib.suppress(Exception):  # a crashed page must not hide the test's own failure
                pg.screenshot(path=str(ARTIFACTS / f"{stem}-{label}{i}-{j}.png"), full_page=True)


def _new_context(browser, live_server, **options):
    ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


@pytest.fixture
def context(browser, live_server, request):
    ctx = _new_context(browser, live_server, viewport={"width": 1280, "height": 900})
    yield ctx
    _screenshot_if_failed(request, [ctx], "desktop")
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def phone_context(browser, playwright, live_server, request):
    """A factory of phone contexts with the Pixel 7 profile: phone_context(offline=False, …)."""
    made = []

    def make(**overrides):
        ctx = _new_context(browser, live_server, **{**playwright.devices["Pixel 7"], **overrides})
        made.append(ctx)
        return ctx

    yield make
    _screenshot_if_failed(request, made, "phone")
    for ctx in made:
        ctx.close()


@pytest.fixture
def phone_page(phone_context):
    return phone_context().new_page()


@pytest.fixture
def office_login():
    """Log in through the office login form as a user would; waits for the 工作台."""
    def login(page, username: str, password: str = "password123"):
        page.goto("/office/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("heading", name="工作台").wait_for()
        return page
    return login


@pytest.fixture
def desk(browser, live_server, office_login, request):
    """desk(username): a desktop browser of its own, logged into the office as that user (password123)."""
    made = []

    def open_desk(username: str):
        ctx = _new_context(browser, live_server, viewport={"width": 1280, "height": 900})
        made.append(ctx)
        return office_login(ctx.new_page(), username)

    yield open_desk
    _screenshot_if_failed(request, made, "desk")
    for ctx in made:
        ctx.close()
