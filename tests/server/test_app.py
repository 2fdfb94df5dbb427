def test_api_errors_use_the_json_envelope(client):
    resp = client.get("/api/v1/no-such-thing")
    assert resp.status_code == 404
    assert resp.get_json() == {"status": 404, "code": "not_found", "message": "找不到该页面或记录", "errors": {}}


def test_page_errors_are_html_in_chinese(client):
    resp = client.get("/office/no-such-page")
    assert resp.status_code == 404
    assert resp.mimetype == "text/html" and "找不到该页面或记录" in resp.get_data(as_text=True)


def test_openapi_is_served(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/health" in spec["paths"]


def test_health_reports_server_time(client):
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "ok" and body["server_time"].endswith("+00:00")


def test_production_refuses_to_start_without_secret(monkeypatch, tmp_path):
    import pytest

    from server import create_app
    with pytest.raises(RuntimeError, match="SPOTCHECK_SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
