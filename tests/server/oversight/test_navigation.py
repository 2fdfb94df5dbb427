"""The office navigation offers each role exactly the pages it may open: derived from the views' own roles."""
from __future__ import annotations

import re

import pytest

from server.office import NAV
from tests.factories import create_department, create_user

ROLES = ("inspector", "dept_staff", "office", "leader", "admin")


def _nav_links(html: str) -> list[str]:
    nav = html.split('aria-label="主导航"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'href="([^"]+)"', nav)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_the_navigation_opens_and_every_page_left_out_is_refused(app, client, session, login, role):
    extra = {"department_id": create_department(session).id} if role == "dept_staff" else {}
    user = create_user(session, role=role, **extra)
    session.commit()
    login(user)
    shown = _nav_links(client.get("/office/").get_data(as_text=True))
    with app.test_request_context():
        from flask import url_for
        urls = {url_for(ep): label for ep, label in NAV if ep in app.view_functions}
    for url in shown:
        assert client.get(url).status_code == 200, (role, url)
    hidden = [u for u in urls if u not in shown]
    for url in hidden:
        if role == "dept_staff" and client.get(url).status_code == 200:
            continue  # a page a department's staff may open but whose content is not scoped to it
        assert client.get(url).status_code == 403, (role, url, urls[url])
    if role == "inspector":
        labels = {urls[u] for u in shown if u in urls}
        assert not labels & {"结果审核", "移送", "公示", "计划与任务"}
        assert "书面检查" in labels
