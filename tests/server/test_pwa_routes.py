"""Serving the PWA at /app/: the shell, a stamped service worker whose version follows the files, and headers."""
from __future__ import annotations

import json
import re

from server import pwa_routes


def test_the_app_shell_is_served_at_app_with_a_strict_policy(client):
    resp = client.get("/app/")
    assert resp.status_code == 200
    assert "<html lang=\"zh-CN\">" in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert client.get("/app").status_code == 301


def test_the_service_worker_is_stamped_with_the_shell_version_and_file_list(client, app):
    resp = client.get("/app/sw.js")
    assert resp.status_code == 200
    assert resp.headers["Service-Worker-Allowed"] == "/app/"
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.mimetype == "text/javascript"
    body = resp.get_data(as_text=True)
    version = re.search(r'const VERSION\s*=\s*"([0-9a-f]{12})";', body).group(1)
    shell = json.loads(re.search(r"const SHELL\s*=\s*(\[.*?\]);", body).group(1))
    assert shell[0] == "./"
    assert {"js/app.js", "js/outbox.js", "css/app.css", "manifest.webmanifest", "icons/icon-192.png"} <= set(shell)
    assert "sw.js" not in shell and "index.html" not in shell
    for name in shell[1:]:
        assert client.get(f"/app/{name}").status_code == 200, name
    app.config["PWA_VERSION"] = "next"
    again = client.get("/app/sw.js").get_data(as_text=True)
    assert re.search(r'const VERSION\s*=\s*"([0-9a-f]{12})";', again).group(1) != version, "a new deploy is a new version"


def test_every_shell_file_is_precached(client):
    files = pwa_routes.shell_files()
    on_disk = {p.relative_to(pwa_routes.PWA_DIR).as_posix() for p in pwa_routes.PWA_DIR.rglob("*.js")} - {"sw.js"}
    assert on_disk <= set(files)


def test_assets_have_their_types_and_other_paths_are_not_served(client):
    assert client.get("/app/manifest.webmanifest").mimetype == "application/manifest+json"
    assert client.get("/app/js/app.js").mimetype in ("text/javascript", "application/javascript")
    assert client.get("/app/js/nothing.js").status_code == 404
    assert client.get("/app/../server/config.py").status_code == 404
    assert client.get("/app/index.html").status_code == 404  # the shell lives at /app/ only


def test_the_modules_preloaded_by_the_shell_exist_and_are_precached(client):
    html = client.get("/app/").get_data(as_text=True)
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)
    assert "js/app.js" in preloaded and "js/screens/list.js" in preloaded
    assert set(preloaded) <= set(pwa_routes.shell_files())
