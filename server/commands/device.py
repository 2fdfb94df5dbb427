"""`spotcheck device …`: play an inspector's phone against a server (demos, load tests), check receipts."""
from __future__ import annotations

import io
import json
import os
import random
import tempfile

import click
from flask import current_app
from flask.cli import with_appcontext
from PIL import Image, ImageDraw

from server.commands.output import fail
from sync.client import AuthRequired, SyncClient, SyncFailed, UrllibTransport


@click.group("device", help="模拟执法检查人员的手机：登录、下载、现场记录、同步、核对回执")
def device_group():
    pass


def make_photo(seed: int, size=(1600, 1200), quality: int = 72) -> bytes:
    """A photo-like JPEG (textured, so it weighs what a real one does: about 300–500 KB at 1600×1200)."""
    rng = random.Random(seed)
    noise = Image.effect_noise(size, 40 + seed % 20).convert("RGB")
    base = Image.new("RGB", size, (rng.randrange(60, 200), rng.randrange(60, 200), rng.randrange(60, 200)))
    im = Image.blend(base, noise, 0.35)
    draw = ImageDraw.Draw(im)
    draw.rectangle([0, size[1] - 80, size[0], size[1]], fill=(0, 0, 0))
    draw.text((20, size[1] - 60), f"spotcheck device photo {seed}", fill=(255, 255, 255))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality)
    return out.getvalue()


def make_signature(seed: int) -> bytes:
    """A PNG stroke standing in for a signature drawn on the canvas."""
    rng = random.Random(seed)
    im = Image.new("L", (400, 160), 255)
    draw = ImageDraw.Draw(im)
    points = [(20 + i * 36, 80 + rng.randrange(-50, 50)) for i in range(11)]
    draw.line(points, fill=0, width=4)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def record_inspection(client: SyncClient, bundle: dict, *, photos: int, seed: int = 0) -> None:
    """Walk one whole inspection: start, every checkpoint, a finding with photos, party, signatures, submit."""
    insp = bundle["id"]
    client.start(insp)
    checkpoints = [cp for item in bundle["checklist"] for cp in item["checkpoints"]]
    for n, cp in enumerate(checkpoints):
        client.answer(insp, cp["id"], "noncompliant" if n == len(checkpoints) - 1 else "compliant",
                      note="现场核查" if n % 3 == 0 else "")
    fid = client.add_finding(insp, "车辆技术档案缺少年度审验记录", checkpoint_id=checkpoints[-1]["id"] if checkpoints else None,
                             legal_basis="《道路运输车辆技术管理规定》第二十三条", rectification="责令限期补齐车辆技术档案",
                             rectify_by="2030-06-30")
    for n in range(photos):
        client.attach_photo(insp, make_photo(seed * 100 + n), width=1600, height=1200, caption=f"现场照片 {n + 1}",
                            finding_id=fid if n == 0 else None, latitude=35.4862, longitude=112.4153, accuracy_m=8.0)
    client.record_party(insp, "赵志强", position="安全主管", phone="13903560000")
    client.sign(insp, make_signature(seed * 10), role="party", name="赵志强")
    for m in bundle["members"]:
        client.sign(insp, make_signature(seed * 10 + m["inspector_id"]), role="inspector", name=m["name"],
                    inspector_id=m["inspector_id"])
    client.submit(insp, result_categories=["02"], methods=["on_site"], follow_ups=["rectify"],
                  summary="发现车辆技术档案不全，已责令限期改正")


@device_group.command("play")
@click.option("--url", required=True, help="服务器地址，如 http://127.0.0.1:5000")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--device-name", default="模拟手机", show_default=True)
@click.option("--inspection", "inspection_id", type=int, default=None, help="检查编号（默认：第一个待检查的）")
@click.option("--photos", type=int, default=4, show_default=True, help="生成的现场照片张数")
@click.option("--outbox", default=None, help="待同步队列文件（SQLite；默认临时文件）")
def play_command(url, username, password, device_name, inspection_id, photos, outbox):
    """Log in, download, record a whole inspection with generated photos, sync, and verify the receipt."""
    path = outbox or os.path.join(tempfile.mkdtemp(prefix="spotcheck-device-"), "outbox.sqlite")
    client = SyncClient(UrllibTransport(url), path)
    try:
        user = client.login(username, password, device_name)["user"]
        bundles = client.pull()
        open_ = [b for b in bundles.values() if b["status"] in ("assigned", "in_progress", "returned")]
        bundle = bundles.get(inspection_id) if inspection_id else (open_[0] if open_ else None)
        if bundle is None:
            fail(f"{user['display_name']} 没有{'编号为 %s 的' % inspection_id if inspection_id else '待检查的'}检查任务")
        click.echo(f"下载完成：{len(bundles)} 项检查；开始检查 #{bundle['id']} {bundle['target'].get('name', '')}")
        record_inspection(client, bundle, photos=photos, seed=bundle["id"])
        report = client.sync()
        click.echo(f"同步完成：{report.applied} 条已保存，{report.late} 条补充证据，照片/签名上传 {report.media_uploaded} 个，"
                   f"被拒绝 {len(report.rejected)} 条")
        receipt, problems = client.receipt(bundle["id"])
    except (AuthRequired, SyncFailed) as err:
        fail(f"同步失败：{err}（未同步的记录保存在 {path}）")
    finally:
        client.store.close()
    if problems:
        fail("回执不完整：" + "；".join(problems))
    click.echo(f"证据已全部上传：回执列出 {len(receipt['evidence'])} 项证据，状态 {receipt['status']}，签名 {receipt['signature'][:16]}…")


@device_group.command("verify-receipt")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@with_appcontext
def verify_receipt_command(file):
    """Check a saved receipt's server signature with this server's SECRET_KEY."""
    from server.services.fieldwork import receipts

    try:
        receipt = json.load(file)
    except ValueError:
        fail("文件不是合法的 JSON 回执")
    if receipts.verify(receipt, current_app.config["SECRET_KEY"]):
        click.echo(f"回执签名有效：检查 #{receipt.get('inspection_id')}，{receipt.get('server_time')}，"
                   f"{len(receipt.get('evidence', []))} 项证据")
        return
    if receipt.get("key_id") != receipts.key_id(current_app.config["SECRET_KEY"]):
        fail("回执签名无效：回执不是用本服务器当前的密钥签发的（key_id 不符）")
    fail("回执签名无效：回执内容在签发后被改动过")

