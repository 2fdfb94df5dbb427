"""server/pdf.py: templates + plain dicts → PDF, with a fetcher that reads only static files and media."""
from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import weasyprint

from server import pdf
from tests.server import document_samples as samples

RIGHT_MARGIN_PT = 18 / 25.4 * 72  # @page margin-right 18mm


@pytest.fixture
def media(tmp_path):
    d = tmp_path / "media"
    d.mkdir()
    return d


def render(template, ctx, media_dir):
    """Render with every image of the context taken from media_dir/ab/<sha256> (the store's layout)."""
    media = {i["sha256"]: str(media_dir / i["sha256"][:2] / i["sha256"])
             for key in ("photos", "signatures") for i in ctx.get(key) or []}
    return pdf.render_pdf(template, ctx, media=media, roots=[media_dir])


def page_count(data: bytes, tmp_path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def image_count(data: bytes, tmp_path) -> int:
    path = tmp_path / "images.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True).stdout.decode()
    return len(out.splitlines()) - 2


def test_record_has_the_chinese_text_of_every_section(media, tmp_path):
    data = render("record.html", samples.record_context(media), media)
    text = samples.squeeze(samples.pdftotext(data, tmp_path))
    for expected in ["阳城县交通运输局", "现场检查笔录", "编号：T20240001-003", "阳城县顺达货物运输有限公司",
                     "91140522MA0K2QXA4L", "李建国", "阳城县凤城镇新阳东街88号", "2024年5月3日09时30分至10时45分",
                     "张伟（执法证号：14052200001", "刘洋（执法证号：14052200002", "王小红，安全主管",
                     "一、检查情况", "检查要点甲2：车辆技术档案是否齐全", "■不符合", "二、发现问题",
                     "2辆营运货车缺少二级维护记录", "违反规定：《道路运输车辆技术管理规定》第二十条",
                     "整改要求：责令补齐车辆技术档案，整改期限至2024年5月18日", "三、检查结论", "■发现问题已责令改正",
                     "■实地检查", "■违反本部门相关规定，责令限期整改", "上述笔录我已看过（或已向我宣读过），情况属实无误",
                     "现场人员签名：王小红", "证据回执：R-3f9a2b7c1d0e", "证据已全部上传", "附件：现场照片",
                     "拍摄时间：2024年5月3日09时40分", "GPS：35.486400°N，112.415700°E（精度±8米）"]:
        assert expected in text, expected
    ctx_photos = samples.record_context(media)["photos"]
    for p in ctx_photos:
        assert f"SHA-256：{p['sha256'][:12]}" in text
        assert p["sha256"][:13] not in text  # only the first 12 hex digits are printed
    pages = page_count(data, tmp_path)
    for n in range(1, pages + 1):
        assert f"第{n}页共{pages}页" in text


def test_record_embeds_the_cjk_font_and_all_images(media, tmp_path):
    data = render("record.html", samples.record_context(media), media)
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True).stdout.decode().splitlines()
    cjk = [line for line in fonts if "WenQuanYi-Micro-Hei" in line]
    assert cjk, fonts
    for line in cjk:
        emb, sub, uni = line.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line
    assert image_count(data, tmp_path) >= 4 + 3  # 4 photos + 3 signatures (PNG alpha adds soft masks)
    samples.save_pages("record", data)


def test_each_document_renders_to_pages_for_a_visual_check(media, tmp_path):
    data = render("record.html", samples.record_context(media, checkpoints=12), media)
    pngs = samples.save_pages("record-long", data)
    assert len(pngs) == page_count(data, tmp_path) >= 3
    assert all(p.stat().st_size > 10_000 for p in pngs)


def test_text_is_escaped_and_markup_in_a_finding_fetches_nothing(media, tmp_path):
    hits = []
    server = _http_server(hits)
    port = server.server_address[1]
    evil = f'<script>alert("x")</script><img src=http://127.0.0.1:{port}/steal.png>'
    ctx = samples.record_context(media, finding=evil)
    ctx["target"]["name"] = f'<b>加粗</b>公司<link rel=stylesheet href="http://127.0.0.1:{port}/x.css">'
    html = pdf.render_html("record.html", ctx)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert f'<img src=http://127.0.0.1:{port}' not in html
    data = render("record.html", ctx, media)
    server.shutdown()
    text = samples.squeeze(samples.pdftotext(data, tmp_path))
    assert samples.squeeze(evil) in text  # shown as the text the inspector typed
    assert "<b>加粗</b>公司" in text
    assert hits == []


def test_a_2000_character_finding_wraps_inside_the_page(media, tmp_path):
    long_cjk = ("经查该公司车辆技术档案缺失二级维护记录和年度审验记录" * 80)[:2000]
    long_ascii = "X" * 2000  # one unbreakable run: must still wrap, not run off the page
    ctx = samples.record_context(media, finding=long_cjk + long_ascii)
    data = render("record.html", ctx, media)
    samples.save_pages("record-long-finding", data)
    text = samples.squeeze(samples.pdftotext(data, tmp_path))
    body = re.sub(r"第\d+页共\d+页|阳城县交通运输局|编号：T20240001-003", "", text)  # page header and footer
    assert long_cjk in body and long_ascii in body
    path = tmp_path / "b.html"
    path.write_text(samples.pdftotext(data, tmp_path, "-bbox"))
    boxes = _word_boxes(path.read_text())
    assert boxes
    for page_width, x_max in boxes:
        assert x_max <= page_width - RIGHT_MARGIN_PT + 1, (page_width, x_max)
    assert "上述笔录我已看过" in text  # the rest of the form still follows


def _word_boxes(bbox_html: str) -> list[tuple[float, float]]:
    out, width = [], 0.0
    for line in bbox_html.splitlines():
        m = re.search(r'<page width="([\d.]+)"', line)
        if m:
            width = float(m.group(1))
        m = re.search(r'xMax="([\d.]+)"', line)
        if m:
            out.append((width, float(m.group(1))))
    return out


# --- the fetcher ------------------------------------------------------------------------------------

def _http_server(hits: list):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _png(path: Path) -> Path:
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 40), (200, 0, 0)).save(path, "PNG")
    return path


def test_fetcher_reads_nothing_from_the_network_or_outside_static_and_media(media, tmp_path):
    hits = []
    server = _http_server(hits)
    port = server.server_address[1]
    outside = _png(tmp_path / "outside" / "secret.png")
    html = f"""<html><head><style>
      body {{ background: url(http://127.0.0.1:{port}/bg.png); }}
      p {{ background: url(file:///etc/passwd); }}
    </style><link rel="stylesheet" href="http://127.0.0.1:{port}/evil.css"></head><body>
      <img src="http://127.0.0.1:{port}/a.png"><img src="file:///etc/passwd">
      <img src="{outside.as_uri()}"><p>正文</p></body></html>"""
    fetcher = pdf.SafeFetcher([pdf.STATIC_DIR, media])
    data = pdf.html_to_pdf(html, fetcher=fetcher)
    server.shutdown()
    assert hits == []
    assert image_count(data, tmp_path) == 0
    assert fetcher.fetched == []
    refused = " ".join(fetcher.refused)
    assert "file:///etc/passwd" in refused and outside.as_uri() in refused and f"127.0.0.1:{port}" in refused


def test_the_default_weasyprint_fetcher_would_have_read_the_outside_file(tmp_path):
    """Control for the test above: without SafeFetcher the same image is embedded."""
    outside = _png(tmp_path / "outside" / "secret.png")
    data = weasyprint.HTML(string=f'<img src="{outside.as_uri()}">').write_pdf()
    assert image_count(data, tmp_path) == 1


def test_fetcher_allows_media_and_static_but_not_dotdot_symlinks_or_other_schemes(media, tmp_path):
    inside = _png(media / "ab" / "photo.png")
    outside = _png(tmp_path / "outside.png")
    os.symlink(outside, media / "link.png")
    os.symlink(tmp_path, media / "dirlink")
    fetcher = pdf.SafeFetcher([pdf.STATIC_DIR, media])
    assert fetcher.fetch(inside.as_uri()).read()[:4] == b"\x89PNG"
    assert b"@page" in fetcher.fetch(pdf.CSS_PATH.as_uri()).read()
    for url in [f"file://{media}/ab/../../outside.png", f"file://{media}/ab/%2e%2e/%2e%2e/outside.png",
                (media / "link.png").as_uri(), f"file://{media}/dirlink/outside.png", "file:///etc/passwd",
                "http://example.com/a.png", "https://example.com/a.png", "ftp://example.com/a.png",
                "data:image/png;base64,iVBORw0KGgo=", f"file://evil.example{inside}", (media / "nope.png").as_uri()]:
        with pytest.raises(pdf.ResourceRefused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 11


def test_fetcher_refuses_non_image_files_inside_media(media):
    (media / "notes.txt").write_text("secret")
    (media / "blob").write_bytes(b"not an image at all")
    fetcher = pdf.SafeFetcher([media])
    for name in ("notes.txt", "blob"):
        with pytest.raises(pdf.ResourceRefused):
            fetcher.fetch((media / name).as_uri())


def test_relative_urls_resolve_against_static_and_cannot_climb_out(media, tmp_path):
    html = '<link rel="stylesheet" href="css/pdf.css"><img src="../../../../../../etc/passwd"><p>文字</p>'
    fetcher = pdf.SafeFetcher([pdf.STATIC_DIR, media])
    pdf.html_to_pdf(html, fetcher=fetcher)
    assert fetcher.fetched == [pdf.CSS_PATH.as_uri()]
    assert fetcher.refused == ["file:///etc/passwd"]


def test_template_version_changes_with_a_template(tmp_path, monkeypatch):
    copy = tmp_path / "pdf"
    shutil.copytree(pdf.TEMPLATE_DIR, copy)
    monkeypatch.setattr(pdf, "TEMPLATE_DIR", copy)
    before = pdf.template_version()
    assert before == pdf.template_version()
    (copy / "record.html").write_text((copy / "record.html").read_text() + "\n{# changed #}\n")
    assert pdf.template_version() != before


def test_print_copies_are_upright_print_sized_jpegs():
    import io

    from PIL import Image
    im = Image.new("RGB", (1600, 1200), (10, 120, 200))
    exif = im.getexif()
    exif[0x0112] = 6  # stored sideways: the camera says rotate 90° to show it
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif)
    copy = Image.open(io.BytesIO(pdf.print_copy(buf.getvalue())))
    assert (copy.format, copy.size) == ("JPEG", (750, 1000))
    assert 0x0112 not in copy.getexif()
    small = io.BytesIO()
    Image.new("RGB", (400, 300)).save(small, "PNG")
    assert Image.open(io.BytesIO(pdf.print_copy(small.getvalue()))).size == (400, 300)  # never enlarged


def test_dates_print_in_china_time():
    assert pdf.cn_datetime("2024-05-02T17:05:00+00:00") == "2024年5月3日 01时05分"
    assert pdf.cn_date("2024-12-31") == "2024年12月31日"
    assert pdf.cn_date(None) == "____年__月__日"
    assert pdf.coord(-12.5, "N", "S") == "12.500000°S"


def test_font_subsetting_uses_harfbuzz():
    """Without libharfbuzz-subset0 WeasyPrint falls back to fontTools and every render is ~10× slower."""
    import weasyprint.pdf.fonts as fonts
    assert fonts.harfbuzz_subset is not None, "请安装 libharfbuzz-subset0（apt-get install -y libharfbuzz-subset0）"
