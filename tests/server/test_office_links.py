"""Staff can get from an inspection to its target, its documents and its review without searching."""
from tests.factories import create_inspection, create_user


def test_review_page_links_target_record_and_notice(client, session, login):
    insp = create_inspection(session, status="submitted")
    office = create_user(session, role="office")
    session.commit()
    login(office)
    page = client.get(f"/office/review/{insp.id}").get_data(as_text=True)
    assert f'href="/office/targets/{insp.target_id}"' in page
    assert f'href="/office/inspections/{insp.id}/record.pdf"' in page and "现场检查笔录（PDF）" in page
    assert f'href="/office/inspections/{insp.id}/notice.pdf"' in page
    assert f'href="/office/inspections/{insp.id}"' in page  # sync history


def test_inspection_page_links_review_and_documents(client, session, login):
    insp = create_inspection(session, status="submitted")
    office = create_user(session, role="office")
    session.commit()
    login(office)
    page = client.get(f"/office/inspections/{insp.id}").get_data(as_text=True)
    assert f'href="/office/review/{insp.id}"' in page
    assert f'href="/office/inspections/{insp.id}/record.pdf"' in page


def test_documents_page_is_in_the_navigation(client, session, login):
    login(create_user(session, role="office"))
    session.commit()
    assert ">文书打印</a>" in client.get("/office/").get_data(as_text=True)


def test_plan_approval_links_to_the_plan(client, session, login):
    from server.services.planning import plans
    office, leader = create_user(session, role="office"), create_user(session, role="leader")
    plan = plans.create_plan(session, office, year=2024, name="2024年度抽查计划",
                             entries=[{"name": "道路货运经营抽查", "ratio": "5%"}])
    plans.submit_plan(session, office, plan.id)
    session.commit()
    login(leader)
    page = client.get("/office/approvals").get_data(as_text=True)
    assert f'href="/office/plans/{plan.id}"' in page
