"""The application factory."""
from __future__ import annotations

import datetime as dt
import os
import secrets

from flask import Flask, current_app, has_app_context

from server.config import Defaults, database_url
from server.extensions import api, csrf, db, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config (defaults, then SPOTCHECK_* env, then test_config), extensions, doors."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Defaults)
    app.config.from_prefixed_env("SPOTCHECK")
    if test_config:
        app.config.update(test_config)
    _finish_config(app)
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if proxies:  # the client's address (login throttling) and scheme come from the proxy's headers
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)

    import server.models  # noqa: F401  (every table on the metadata, for migrations and create_all)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    api.init_app(app)

    _register_approval_kinds()
    _install_service_settings(app)
    from server import http
    http.init_app(app)
    _register_doors(app)

    from server import cli
    cli.init_app(app)
    return app


def _register_approval_kinds() -> None:
    """Every kind of leader approval, in one list: what each area's decision handlers are."""
    from server.services.followup import publication, referrals_criminal
    from server.services.kernel import approvals
    from server.services.planning import plans, staffing, supplementary

    approvals.register_kinds([*plans.APPROVAL_KINDS, *supplementary.APPROVAL_KINDS, *staffing.APPROVAL_KINDS,
                              *publication.APPROVAL_KINDS, *referrals_criminal.APPROVAL_KINDS])


def _install_service_settings(app: Flask) -> None:
    """Settings the services read without Flask: the audit chain's key, who decides approvals, whose
    signatures a phone may submit."""
    from server.services.fieldwork import mutations, quality
    from server.services.kernel import approvals, audit

    audit.use_key_source(lambda: current_app.config["AUDIT_CHAIN_KEY"] if has_app_context() else None)
    approvals.configure(admin_decides=bool(app.config["APPROVALS_ADMIN_DECIDES"]))
    mutations.configure(colleague_signatures=bool(app.config["SIGNATURE_COLLEAGUES_ON_DEVICE"]))
    quality.configure(app.config)


def _finish_config(app: Flask) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    cfg = app.config
    production = cfg.get("ENV_NAME") == "production"
    if not cfg.get("SECRET_KEY"):
        if production:
            raise RuntimeError("生产环境必须设置 SPOTCHECK_SECRET_KEY（一个足够长的随机字符串）")
        cfg["SECRET_KEY"] = _dev_secret(app.instance_path)
    if production:
        cfg["SESSION_COOKIE_SECURE"] = True
    from server import keys

    cfg["AUDIT_CHAIN_KEY"] = keys.audit_chain_key(cfg, app.instance_path, production)
    cfg["AUDIT_HEAD_KEY"] = keys.head_signing_key(cfg, app.instance_path, production)
    cfg["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(minutes=int(cfg["SESSION_IDLE_MINUTES"]))
    cfg["SQLALCHEMY_DATABASE_URI"] = cfg.get("SQLALCHEMY_DATABASE_URI") or database_url(cfg, app.instance_path)
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 30})
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    cfg["MEDIA_DIR"] = cfg.get("MEDIA_DIR") or os.path.join(app.instance_path, "media")
    cfg["PDF_CACHE_DIR"] = cfg.get("PDF_CACHE_DIR") or os.path.join(app.instance_path, "pdf-cache")


def _dev_secret(instance_path: str) -> str:
    """A random key kept in the instance folder so development sessions survive restarts."""
    from server.keys import instance_file

    return instance_file(os.path.join(instance_path, "dev-secret-key"), lambda: secrets.token_hex(32).encode()).decode()


def _register_doors(app: Flask) -> None:
    from server.api import register as register_api
    from server.office import bp as office_bp
    from server.public import bp as public_bp

    register_api(app, api)
    app.register_blueprint(office_bp)
    app.register_blueprint(public_bp)
    from server.pwa_routes import bp as pwa_bp
    app.register_blueprint(pwa_bp)

    @app.get("/")
    def root():
        from flask import redirect, url_for
        return redirect(url_for("public.index"))
