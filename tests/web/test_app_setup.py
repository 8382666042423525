"""The application factory, configuration and security headers."""
from __future__ import annotations

import stat

from app import create_app


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, database_url):
    instance = tmp_path / "fresh-instance"
    config = {"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": database_url}
    first = create_app(config)
    second = create_app(dict(config))
    key_file = instance / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 64


def test_environment_secret_key_wins(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "i" / "secret_key").exists()


def test_default_database_lives_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'participation.sqlite3'}"
    assert app.instance_path == str(tmp_path / "inst")


def test_unknown_time_zone_is_refused(tmp_path, database_url):
    import pytest

    with pytest.raises(RuntimeError, match="TIMEZONE"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": database_url, "TIMEZONE": "Mars/Base"})


def test_html_responses_carry_security_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user("citizen")
    response = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"] == "not_found"
