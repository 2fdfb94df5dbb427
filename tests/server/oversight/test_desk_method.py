"""A task chooses its method; 书面检查 / 网络监测 inspections go to the inspectors' desk page, not to phones."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.errors import ValidationError
from server.models.inspections import Inspection
from server.services.fieldwork import desk_checks
from server.services.fieldwork.sync_store import SqlSyncStore
from server.services.planning import tasks
from tests.factories import create_user
from tests.server import drawkit


def test_a_desk_task_draws_desk_inspections_that_phones_never_receive(app, session):
    kit = drawkit.setup(session, targets_per_level=(0, 4, 0, 0), method="document",
                        ratios={"low": "0", "general": "1", "higher": "0", "high": "0"})
    assert kit.task.method == "document"
    drawkit.drawn(session, kit.office, kit.task.id)
    inspections = list(session.scalars(select(Inspection).where(Inspection.task_id == kit.task.id)))
    assert inspections and {i.mode for i in inspections} == {"document"}
    member = inspections[0].active_members[0].inspector
    user = create_user(session, role="inspector", inspector_id=member.id)
    mine = desk_checks.my_inspections(session, user)
    assert inspections[0].id in {i.id for i in mine}
    store = SqlSyncStore(session, app.config)
    assert store.assigned_ids(user) == []  # not field work: nothing to download to the phone


def test_an_unknown_method_is_refused_with_the_choices(session):
    kit = drawkit.setup(session, publish=False)
    with pytest.raises(ValidationError) as err:
        tasks.create_task(session, kit.office, kit.plan.id, drawkit.task_data([kit.item], kit.depts, method="phone"))
    assert err.value.errors["method"] == "检查方式应为现场检查、书面检查、网络监测之一"
