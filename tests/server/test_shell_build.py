"""The shell a phone downloads: the scripts without comments or layout, doing exactly what the commented sources do."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from server import pwa_routes
from server.shell_build import strip_js

# What a stripper gets wrong: text inside nested template literals, regex literals holding `//` or `/*`, strings
# holding comment markers, division next to a regex, automatic semicolon insertion, `+ +b`, modules.
TRICKY = r"""// @ts-check
/** A header comment. */
export const pad = (n) => String(n).padStart(2, '0'); // trailing
const h = 3, m = 5;
export const nested = `${h} 小时${m ? ` ${m}  分 // not a comment /* nor this */` : ''}`;
const re = /\/\/ *(a|b)+\/*/g;        /* a regex holding comment markers */
const url = 'https://example.test/a//b'; const c = "/* kept */";
const ratio = h / m / 2;
function asi() {
  return
    42;
}
let a = 1
let b = a
++b
const plus = a + +b, minus = a - -b, neg = a - - - b;
const label = `${nested.length}:${re.source}`.replace(/\s+/g, ' ');
const 检查 = { 对象: '阳城县 宏达物流' };
const opt = null ?? { x: 1 }?.x;
export default function summary() {
  return JSON.stringify({ nested, re: 'a//b'.match(re), url, c, ratio, asi: asi(), a, b, plus, minus, neg, label,
    name: 检查.对象, opt, num: 1 .toString() + 0.5.toFixed(1), tagged: String.raw`x  \n ${h}  y` });
}
"""


def _run_module(source: bytes, tmp_path, name: str) -> str:
    node = shutil.which("node")
    if not node:
        if os.environ.get("CI"):
            pytest.fail("node is missing")
        pytest.skip("node is missing")
    path = tmp_path / f"{name}.mjs"
    path.write_bytes(source)
    code = f"import summary from {json.dumps(path.as_uri())}; console.log(summary());"
    return subprocess.run([node, "--input-type=module", "-e", code], capture_output=True, text=True, check=True).stdout


def test_a_stripped_module_behaves_exactly_as_its_source(tmp_path):
    source = TRICKY.encode()
    stripped = strip_js(source)
    assert len(stripped) < len(source) * 0.8
    assert b"A header comment" not in stripped and b"trailing" not in stripped
    assert "` ${m}  分 // not a comment /* nor this */`".encode() in stripped
    lines = stripped.decode().split("\n")
    assert lines.index("const ratio=h/m/2;") == TRICKY.split("\n").index("const ratio = h / m / 2;"), \
        "an error a phone reports names the line of the source"
    assert _run_module(stripped, tmp_path, "stripped") == _run_module(source, tmp_path, "source")
    result = json.loads(_run_module(stripped, tmp_path, "again"))
    assert "asi" not in result and result["b"] == 2 and result["neg"] == -1  # ASI: `return` and `++b` on new lines


def test_a_script_that_does_not_parse_is_served_as_it_is():
    broken = b"// half a file\nexport function f( {\n"
    assert strip_js(broken) == broken


def test_every_shell_script_is_served_stripped_and_the_shell_is_within_its_budget(client):
    sizes = {"source": 0, "served": 0}
    for name in pwa_routes.shell_files() + ["sw.js"]:
        source = (pwa_routes.PWA_DIR / name).read_bytes()
        served = client.get(f"/app/{name}" if name != "index.html" else "/app/").get_data()
        if name.endswith(".js") and name != "sw.js":
            assert len(served) < len(source), f"{name} is served as written"
            assert b"/**" not in served, name
            assert served.count(b"\n") == source.count(b"\n"), f"{name}: lines as in the source"
        if name.endswith((".html", ".js", ".css")):
            sizes["source"] += len(source)
            sizes["served"] += len(served)
    assert sizes["served"] <= 180 * 1024, sizes  # DESIGN §11: ≤ 200 KB; keep room to grow
    assert sizes["served"] < sizes["source"]


def test_the_version_follows_what_is_served_not_the_comments(client, tmp_path, monkeypatch):
    shutil.copytree(pwa_routes.PWA_DIR, tmp_path / "pwa")
    monkeypatch.setattr(pwa_routes, "PWA_DIR", tmp_path / "pwa")
    first = client.get("/app/version.json").get_json()["version"]
    fmt = tmp_path / "pwa" / "js" / "format.js"
    text = fmt.read_text(encoding="utf-8")
    fmt.write_text(text.replace("(negative when past)", "(below zero once it has passed)"), encoding="utf-8")
    os.utime(fmt, ns=(1, 1))
    again = client.get("/app/version.json").get_json()["version"]
    assert again == first, "a reworded comment is no update for the phones"
    fmt.write_text(text.replace("无截止日期", "没有截止日期"), encoding="utf-8")
    os.utime(fmt, ns=(2, 2))
    assert client.get("/app/version.json").get_json()["version"] != first
    assert "没有截止日期" in client.get("/app/js/format.js").get_data(as_text=True)
