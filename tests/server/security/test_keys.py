"""The audit keys live outside the database: production refuses to start without them, with a message that
says what to set; development makes them once in the instance folder."""
from __future__ import annotations

import subprocess
import sys

import pytest

from server import create_app
from server.services.kernel import audit_heads


def _production(tmp_path, **config):
    return create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 40,
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", **config})


def _keys(tmp_path):
    hmac_key = tmp_path / "audit-key"
    hmac_key.write_text("k" * 64 + "\n")
    signing = tmp_path / "signing.pem"
    signing.write_bytes(audit_heads.new_private_pem())
    return str(hmac_key), str(signing)


def test_production_refuses_to_start_without_the_audit_key(tmp_path):
    _, signing = _keys(tmp_path)
    with pytest.raises(RuntimeError, match="生产环境必须设置操作日志密钥：SPOTCHECK_AUDIT_KEY"):
        _production(tmp_path, AUDIT_SIGNING_KEY_FILE=signing)


def test_production_refuses_to_start_without_the_signing_key(tmp_path):
    hmac_key, _ = _keys(tmp_path)
    with pytest.raises(RuntimeError, match="生产环境必须设置 SPOTCHECK_AUDIT_SIGNING_KEY_FILE"):
        _production(tmp_path, AUDIT_KEY_FILE=hmac_key)


@pytest.mark.parametrize("config,message", [
    ({"AUDIT_KEY": "too-short"}, "操作日志密钥太短：至少 32 个字符"),
    ({"AUDIT_KEY_FILE": "/nonexistent/audit-key"}, "无法读取操作日志密钥文件 /nonexistent/audit-key"),
])
def test_a_bad_audit_key_says_what_is_wrong(tmp_path, config, message):
    _, signing = _keys(tmp_path)
    with pytest.raises(RuntimeError, match=message):
        _production(tmp_path, AUDIT_SIGNING_KEY_FILE=signing, **config)


def test_a_bad_signing_key_says_what_is_wrong(tmp_path):
    hmac_key, _ = _keys(tmp_path)
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(RuntimeError, match="链头签名密钥无法读取"):
        _production(tmp_path, AUDIT_KEY_FILE=hmac_key, AUDIT_SIGNING_KEY_FILE=str(bad))


def test_production_starts_with_both_keys_from_files_and_from_the_environment(tmp_path):
    hmac_key, signing = _keys(tmp_path)
    app = _production(tmp_path, AUDIT_KEY_FILE=hmac_key, AUDIT_SIGNING_KEY_FILE=signing)
    assert app.config["AUDIT_CHAIN_KEY"].secret == b"k" * 64  # the file's text, without its newline
    env = {"SPOTCHECK_ENV_NAME": "production", "SPOTCHECK_SECRET_KEY": "s" * 40, "SPOTCHECK_AUDIT_KEY": "e" * 40,
           "SPOTCHECK_AUDIT_SIGNING_KEY_FILE": signing, "SPOTCHECK_DATABASE_URL": f"sqlite:///{tmp_path}/y.db",
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", "from server import create_app; "
                          "print(create_app().config['AUDIT_CHAIN_KEY'].key_id)"],
                         env=env, capture_output=True, text=True, check=True)
    assert len(out.stdout.strip()) == 16


def test_development_makes_the_keys_once_and_keeps_them(tmp_path):
    first = create_app({"SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db"})
    again = create_app({"SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db"})
    assert first.config["AUDIT_CHAIN_KEY"].key_id == again.config["AUDIT_CHAIN_KEY"].key_id
    assert audit_heads.public_key_id(first.config["AUDIT_HEAD_KEY"].public_key()) == \
        audit_heads.public_key_id(again.config["AUDIT_HEAD_KEY"].public_key())
