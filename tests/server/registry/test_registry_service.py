"""Registry services: search, filters and paging; edits with field messages; ratings; recusals; who may do what."""
import datetime as dt

import pytest
from sqlalchemy import select

from server.errors import Conflict, PermissionDenied, ValidationError
from server.models.audit import AuditEntry
from server.models.registry import InspectionItem, Recusal, Target
from server.services.registry import edit, search as registry_search
from tests import factories as f

TODAY = dt.date(2024, 6, 1)


@pytest.fixture
def office(session):
    return f.create_user(session, role="office")


def names(page):
    return [x.name for x in page.items]


# --- target search --------------------------------------------------------------------------------

@pytest.fixture
def targets(session):
    rows = [("阳城县顺达运输有限公司", "freight", "active", "low", "凤城镇"),
            ("阳城县顺达汽车维修厂", "repair", "active", "high", "北留镇"),
            ("阳城县通达客运有限公司", "passenger", "closed", "high", "凤城镇"),
            ("阳城县100%驾校", "driving_school", "active", "general", "润城镇")]
    return [f.create_target(session, uscc=f.make_uscc(5000 + i), name=n, category=c, status=s, risk_level=r, region=g)
            for i, (n, c, s, r, g) in enumerate(rows)]


def test_name_search_matches_a_fragment(session, office, targets):
    assert names(registry_search.search_targets(session, office, q="顺达")) == ["阳城县顺达汽车维修厂", "阳城县顺达运输有限公司"]


def test_percent_in_a_search_is_literal(session, office, targets):
    assert names(registry_search.search_targets(session, office, q="100%")) == ["阳城县100%驾校"]
    assert names(registry_search.search_targets(session, office, q="%")) == ["阳城县100%驾校"]


def test_uscc_search_by_full_code_or_prefix_full_width_allowed(session, office, targets):
    code = targets[2].uscc
    full_width = code.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    assert names(registry_search.search_targets(session, office, q=full_width)) == ["阳城县通达客运有限公司"]
    assert len(registry_search.search_targets(session, office, q=code[:12]).items) == 4
    assert registry_search.search_targets(session, office, q=code[:16] + "99").total == 0


def test_uscc_prefix_search_stops_exactly_at_the_prefix(session, office):
    from server.services.registry.uscc import check_digit

    def make(body):
        return f.create_target(session, uscc=body + check_digit(body), name=body)
    inside = [make("91140522MA0K90001"), make("91140522MA0K9Y999")]
    make("91140522MA0KA0001")
    make("91140522MA0K8Y999")
    assert sorted(names(registry_search.search_targets(session, office, q="91140522MA0K9"))) == [t.name for t in inside]
    make("91140522MA0KY0001")
    assert names(registry_search.search_targets(session, office, q="91140522ma0ky")) == ["91140522MA0KY0001"]


def test_filters_combine(session, office, targets):
    page = registry_search.search_targets(session, office, risk_level="high", region="凤城镇")
    assert names(page) == ["阳城县通达客运有限公司"]
    assert names(registry_search.search_targets(session, office, category="repair", status="active")) == ["阳城县顺达汽车维修厂"]
    assert registry_search.target_regions(session) == sorted(["凤城镇", "北留镇", "润城镇"])


def test_paging_counts_and_clamps(session, office, targets):
    first = registry_search.search_targets(session, office, per_page=3)
    assert (first.total, first.pages, first.page, len(first.items)) == (4, 2, 1, 3)
    last = registry_search.search_targets(session, office, page="99", per_page=3)
    assert (last.page, len(last.items)) == (2, 1)
    assert registry_search.search_targets(session, office, page="abc", per_page=3).page == 1
    assert set(names(first)) | set(names(last)) == {t.name for t in targets}


def test_inspector_role_may_search_but_not_edit(session, targets):
    user = f.create_user(session, role="inspector")
    assert registry_search.search_targets(session, user).total == 4
    with pytest.raises(PermissionDenied, match="只有系统管理员和科室工作人员可以修改或导入名录库"):
        edit.save_record(session, user, "targets", targets[0].id, {"name": "改名"})


def test_inactive_user_may_not_read(session, targets):
    user = f.create_user(session, role="office")
    user.is_active = False
    with pytest.raises(PermissionDenied):
        registry_search.search_targets(session, user)


def test_missing_target_says_so(session, office):
    with pytest.raises(Exception) as err:
        registry_search.get_target(session, office, 999)
    assert err.value.message == "找不到编号为 999 的检查对象，可能已被删除"


# --- inspectors and items search ------------------------------------------------------------------

def test_inspector_certificate_filters(session, office):
    dept = f.create_department(session, name="法制股")
    other = f.create_department(session, name="运输管理股")
    f.create_inspector(session, dept, name="过期", cert_no="A1", cert_expires_on=TODAY - dt.timedelta(days=1))
    f.create_inspector(session, dept, name="将到期", cert_no="A2", cert_expires_on=TODAY + dt.timedelta(days=60))
    f.create_inspector(session, other, name="有效", cert_no="B3", cert_expires_on=TODAY + dt.timedelta(days=61))
    search = lambda **kw: names(registry_search.search_inspectors(session, office, today=TODAY, **kw))  # noqa: E731
    assert search(cert="expired") == ["过期"]
    assert search(cert="expiring") == ["将到期"]
    assert search(cert="valid") == ["有效"]
    assert sorted(search(department_id=str(dept.id))) == ["将到期", "过期"]
    assert search(q="ｂ3") == ["有效"]


def test_cert_state_badges(session):
    insp = f.create_inspector(session, cert_issued_on=dt.date(2020, 1, 1), cert_expires_on=dt.date(2024, 7, 1))
    assert registry_search.cert_state(insp, TODAY) == ("expiring", "30 天后到期（2024-07-01）")
    assert registry_search.cert_state(insp, dt.date(2024, 7, 2)) == ("expired", "已过期（2024-07-01 到期）")
    assert registry_search.cert_state(insp, dt.date(2024, 1, 1))[0] == "valid"


def test_item_search_by_code_name_and_target_category(session, office):
    f.create_item(session, code="JT-001", name="道路货物运输经营", target_categories=["freight"])
    f.create_item(session, code="JT-002", name="机动车维修经营", target_categories=["repair"], kind="key")
    assert names(registry_search.search_items(session, office, category="repair")) == ["机动车维修经营"]
    assert names(registry_search.search_items(session, office, q="jt-001")) == ["道路货物运输经营"]
    assert names(registry_search.search_items(session, office, kind="key")) == ["机动车维修经营"]


# --- edits ----------------------------------------------------------------------------------------

TARGET_FORM = {"uscc": f.make_uscc(6001), "name": "阳城县新开运输有限公司", "category": "freight", "tags": "重点企业、危货",
               "region": "凤城镇", "address": "", "longitude": "", "latitude": "", "legal_rep": "", "contact_name": "",
               "contact_phone": "", "licences": "", "status": "active"}


def test_new_target_from_the_form_is_stored_and_audited(session, office):
    target, _ = edit.save_record(session, office, "targets", None, TARGET_FORM, today=TODAY)
    assert (target.name, target.tags, target.risk_level) == ("阳城县新开运输有限公司", ["重点企业", "危货"], "general")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "target.create"))
    assert entry.detail == {"key": TARGET_FORM["uscc"], "source": "form"}


def test_bad_form_fields_get_their_own_messages_and_nothing_is_stored(session, office):
    form = dict(TARGET_FORM, uscc=TARGET_FORM["uscc"][:17] + ("0" if TARGET_FORM["uscc"][17] != "0" else "1"),
                name="", category="货运", longitude="112.4", latitude="北纬35")
    with pytest.raises(ValidationError) as err:
        edit.save_record(session, office, "targets", None, form)
    assert err.value.message == "提交的内容有误，请按提示修改后再保存"
    assert err.value.errors == {
        "uscc": f"统一社会信用代码校验位错误（应为 {TARGET_FORM['uscc'][17]}）",
        "name": "请填写单位名称",
        "category": "“货运”不是有效的行业类别，可选：道路普通货物运输、道路旅客运输、城市公共汽车客运、出租汽车客运、"
                    "机动车驾驶员培训、机动车维修、道路客运站（场）",
        "latitude": "“北纬35”不是数字，纬度应为 3 到 54 之间的数字（中国境内，如 35.48）",
    }
    assert session.scalar(select(Target.id)) is None


def test_duplicate_uscc_is_refused_with_the_holder_named(session, office):
    f.create_target(session, uscc=TARGET_FORM["uscc"], name="已有公司")
    with pytest.raises(ValidationError) as err:
        edit.save_record(session, office, "targets", None, TARGET_FORM)
    assert err.value.errors == {"uscc": f"统一社会信用代码“{TARGET_FORM['uscc']}”已被“已有公司”使用"}


def test_update_audits_the_changed_fields_only_and_keeps_the_uscc(session, office):
    target = f.create_target(session, name="旧名称", region="凤城镇")
    form = dict(TARGET_FORM, uscc=f.make_uscc(6099), name="新名称", region="凤城镇", tags="")
    edit.save_record(session, office, "targets", target.id, form, today=TODAY)
    assert (target.name, target.uscc != f.make_uscc(6099)) == ("新名称", True)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "target.update"))
    assert entry.detail["changes"] == {"name": ["旧名称", "新名称"], "address": ["阳城县凤城镇测试路1号", ""]}
    _, changes = edit.save_record(session, office, "targets", target.id, form, today=TODAY)
    assert changes == {}


def test_inspector_form_checks_dates_and_cert_number_owner(session, office):
    dept = f.create_department(session, name="法制股")
    f.create_inspector(session, dept, name="张三", cert_no="14052000001")
    form = {"name": "李四", "cert_no": "１４０５２０００００１", "cert_issued_on": "2024-03-01",
            "cert_expires_on": "2024/2/1", "department_id": "法制股", "tags": "", "status": "在岗", "phone": ""}
    with pytest.raises(ValidationError) as err:
        edit.save_record(session, office, "inspectors", None, form)
    assert err.value.errors == {"cert_expires_on": "有效期至（2024-02-01）早于发证日期（2024-03-01）",
                                "cert_no": "执法证号“14052000001”已被“张三”使用"}


def test_item_edit_bumps_the_version_only_when_content_changes(session, office):
    item = f.create_item(session, code="JT-009", name="事项", checkpoints=("要点一",))
    form = {"code": "JT-009", "name": "事项", "kind": "general", "legal_basis": item.legal_basis, "methods": "on_site",
            "target_categories": "freight", "qualification_tags": "", "checkpoints": "要点一", "department_id": "",
            "status": "retired", "note": ""}
    edit.save_record(session, office, "items", item.id, form)
    assert (item.status, item.version) == ("retired", 1)
    edit.save_record(session, office, "items", item.id, dict(form, checkpoints="要点一\n要点二"))
    assert item.version == 2 and [c.text for c in session.get(InspectionItem, item.id).checkpoints] == ["要点一", "要点二"]


# --- credit ratings -------------------------------------------------------------------------------

def test_adding_a_rating_refreshes_the_risk_level_and_is_audited(session, office):
    target = f.create_target(session)
    edit.add_rating(session, office, target.id, {"source": "market", "level": "d", "effective_from": "2024-01-01"},
                             today=TODAY)
    assert target.risk_level == "high"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "target.rating_add"))
    assert entry.detail["risk_level"] == ["general", "high"] and entry.detail["level"] == "D"


def test_bad_rating_forms(session, office):
    target = f.create_target(session)
    f.create_rating(session, target, source="transport", level="B", effective_from=dt.date(2024, 1, 1))
    cases = [({"source": "transport", "level": "E", "effective_from": "2024-02-01"},
              {"level": "“E”不是有效的交通运输信用等级，可选：AA、A、B、C、D"}),
             ({"source": "transport", "level": "A", "effective_from": "2024-01-01"},
              {"effective_from": "同一来源在同一生效日期只能有一条信用等级，请核对日期"}),
             ({"source": "market", "level": "A", "effective_from": "2024-03-01", "effective_to": "2024-02-01"},
              {"effective_to": "失效日期不能早于生效日期"}),
             ({"source": "", "level": "A", "effective_from": ""},
              {"source": "请选择信用等级来源：市场监管、交通运输、内部", "effective_from": "请填写生效日期"})]
    for form, errors in cases:
        with pytest.raises(ValidationError) as err:
            edit.add_rating(session, office, target.id, form, today=TODAY)
        assert err.value.errors == errors
    assert len(target.ratings) == 1


# --- recusals -------------------------------------------------------------------------------------

def test_recusal_add_and_remove_with_reasons(session, office):
    inspector = f.create_inspector(session)
    target = f.create_target(session, name="阳城县回避测试公司")
    recusal = edit.add_recusal(session, office, inspector.id, target.uscc.lower(), "配偶任该公司法定代表人")
    assert [(r.inspector.name, r.reason) for r in registry_search.target_recusals(session, target)] == \
        [(inspector.name, "配偶任该公司法定代表人")]
    with pytest.raises(Conflict, match="的回避已经登记过"):
        edit.add_recusal(session, office, inspector.id, target.uscc, "重复")
    with pytest.raises(ValidationError, match="请填写撤销回避的理由"):
        edit.remove_recusal(session, office, inspector.id, recusal.id, "  ")
    edit.remove_recusal(session, office, inspector.id, recusal.id, "配偶已离职")
    assert session.scalar(select(Recusal.id)) is None
    actions = [(e.action, e.reason) for e in session.scalars(
        select(AuditEntry).where(AuditEntry.action.startswith("inspector.")).order_by(AuditEntry.seq))]
    assert actions == [("inspector.recusal_add", "配偶任该公司法定代表人"), ("inspector.recusal_remove", "配偶已离职")]


def test_recusal_needs_a_registered_target_and_a_reason(session, office):
    inspector = f.create_inspector(session)
    with pytest.raises(ValidationError) as err:
        edit.add_recusal(session, office, inspector.id, f.make_uscc(7001), "")
    assert err.value.errors == {"target_uscc": f"名录库中没有统一社会信用代码为 {f.make_uscc(7001)} 的检查对象，请核对",
                                "reason": "请填写回避事由（如：近亲属在该单位任职）"}
    leader = f.create_user(session, role="leader")
    with pytest.raises(PermissionDenied):
        edit.add_recusal(session, leader, inspector.id, f.make_uscc(7001), "x")
