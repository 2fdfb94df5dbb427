"""Office pages of a task received from the level above: importing its list, adding the targets the registry
lacks, and the results sheet to send back."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, g, request, url_for

from server.errors import ValidationError
from server.extensions import db
from server.http import login_required
from server.office import bp
from server.office.forms import run
from server.services.followup import upper_export
from server.services.kernel.permissions import READERS
from server.services.planning import upper_tasks

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload() -> tuple[bytes, str]:
    upload = request.files.get("file")
    if not upload or not upload.filename:
        raise ValidationError("请选择上级下发的检查对象名单（Excel .xlsx 或 CSV）")
    limit = current_app.config.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(f"文件超过 {limit // (1024 * 1024)} MB，请核对是否为上级下发的名单")
    return data, upload.filename


def _import():
    data, filename = _upload()
    fields = {k: request.form[k] for k in ("upper_authority", "upper_doc_no", "upper_task_code") if k in request.form}
    return upper_tasks.import_list(db.session, g.user, request.view_args["task_id"], data, filename, fields)


def _imported(rows) -> str:
    missing = sum(r.target is None for r in rows)
    tail = f"其中 {missing} 个不在检查对象名录库中，请在下方逐个添加后再发布任务" if missing else "全部在检查对象名录库中"
    return f"已导入上级下发名单 {len(rows)} 个对象，{tail}"


@bp.post("/tasks/<int:task_id>/upper-list")
@login_required("admin", "office")
def upper_list_import(task_id: int):
    return run(_import, _imported, url_for("office.task_detail", task_id=task_id) + "#upper-list")


@bp.post("/tasks/<int:task_id>/upper-list/add")
@login_required("admin", "office")
def upper_list_add(task_id: int):
    return run(lambda: upper_tasks.add_target(db.session, g.user, task_id, request.form.get("uscc", ""),
                                              request.form.get("category", "")),
               lambda t: f"已将“{t.name}”（{t.uscc}）添加到检查对象名录库",
               url_for("office.task_detail", task_id=task_id) + "#upper-list")


@bp.get("/tasks/<int:task_id>/upper-results.xlsx")
@login_required(*READERS)
def upper_results(task_id: int):
    name, data = upper_export.workbook(db.session, g.user, task_id)
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
