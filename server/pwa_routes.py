"""Serves the inspector's PWA (the build-free files in pwa/) at /app/.

The scripts are served as `server.shell_build` strips them (no comments or layout; the commented sources stay in
pwa/), built once per process on the first request and again whenever a file under pwa/ changes. Every shell file
is served with `Cache-Control: no-cache` so the service worker's precache always revalidates; the service worker
itself gets `Service-Worker-Allowed: /app/`, and its `__VERSION__` / `__SHELL__` placeholders are filled with a
content hash of what is served and the list of files to precache, so any change to what a phone runs is a new
version that the phone offers as “更新” (rewording a comment is not).
"""
from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, redirect, request, send_from_directory

from server import shell_build

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
SHELL_SUFFIXES = {".html", ".js", ".css", ".webmanifest", ".png", ".svg"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")

bp = Blueprint("pwa", __name__, url_prefix="/app")
_cache: dict[tuple, tuple[str, list[str], dict[str, bytes]]] = {}
_building = threading.Lock()  # one build at a time: the parser is not shared across threads, and once is enough


def shell_files() -> list[str]:
    """The files the service worker precaches, relative to pwa/ (sw.js itself excluded)."""
    return sorted(p.relative_to(PWA_DIR).as_posix() for p in PWA_DIR.rglob("*")
                  if p.is_file() and p.suffix in SHELL_SUFFIXES and p.name != "sw.js")


def _built() -> tuple[str, list[str], dict[str, bytes]]:
    """A digest of what is served, the precache list and the scripts as served (sw.js with its placeholders)."""
    files = shell_files()
    stamp = tuple((f, (PWA_DIR / f).stat().st_mtime_ns) for f in files + ["sw.js"])
    built = _cache.get(stamp)
    if built is None:
        with _building:
            built = _cache.get(stamp) or _build(files)
            _cache.clear()
            _cache[stamp] = built
    return built


def _build(files: list[str]) -> tuple[str, list[str], dict[str, bytes]]:
    digest = hashlib.sha256()
    scripts = {}
    for name in files + ["sw.js"]:
        served = (PWA_DIR / name).read_bytes()
        if name.endswith(".js"):
            served = scripts[name] = shell_build.build(name, served)
        digest.update(name.encode() + b"\0" + served)
    return digest.hexdigest(), files, scripts


def shell_version() -> tuple[str, list[str]]:
    """A short content hash over every shell file and sw.js as served (plus PWA_VERSION from the config, if set)."""
    digest, files, _ = _built()
    extra = str(current_app.config.get("PWA_VERSION") or "")
    return hashlib.sha256(f"{extra}\0{digest}".encode()).hexdigest()[:12], files


def served_script(name: str) -> bytes | None:
    """The script `name` (relative to pwa/) as the phone gets it; None when it is not part of the shell."""
    return _built()[2].get(name)


def _no_cache(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("")
def root_redirect():
    return redirect("/app/", code=301)


@bp.get("/")
def index():
    """The app shell (hash routing: every screen lives under /app/)."""
    resp = _no_cache(send_from_directory(PWA_DIR, "index.html", max_age=0))
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.get("/sw.js")
def service_worker():
    """The service worker, stamped with the shell's version and file list."""
    version, files = shell_version()
    source = served_script("sw.js").decode("utf-8")
    source = source.replace('"__VERSION__"', json.dumps(version)).replace(
        '["__SHELL__"]', json.dumps(["./"] + [f for f in files if f != "index.html"]))
    resp = _no_cache(Response(source, mimetype="text/javascript"))
    resp.headers["Service-Worker-Allowed"] = "/app/"
    return resp


@bp.record_once
def _favicon(state):
    """/favicon.ico, which browsers ask the site's root for (bookmarks, tabs, pages without an icon link)."""
    state.app.add_url_rule("/favicon.ico", "favicon", favicon)


def favicon():
    resp = send_from_directory(PWA_DIR / "icons", "favicon-32.png", mimetype="image/png", max_age=86400)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/version.json")
def version():
    """The version the server would install now (the app compares it with its own in 我的)."""
    return _no_cache(Response(json.dumps({"version": shell_version()[0]}), mimetype="application/json"))


@bp.get("/<path:filename>")
def asset(filename: str):
    """A shell file: scripts, styles, icons and the manifest."""
    if Path(filename).suffix not in SHELL_SUFFIXES or filename == "index.html":
        abort(404)
    if filename.endswith(".js"):
        script = served_script(filename)
        if script is None or filename == "sw.js":
            abort(404)
        resp = Response(script, mimetype="text/javascript")
        resp.set_etag(hashlib.sha256(script).hexdigest()[:16])
        return _no_cache(resp.make_conditional(request))
    mimetype = "application/manifest+json" if filename.endswith(".webmanifest") else None
    resp = send_from_directory(PWA_DIR, filename, max_age=0, mimetype=mimetype)
    return _no_cache(resp)
