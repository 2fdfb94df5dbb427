"""The keys kept outside the database: the audit chain's HMAC key and the Ed25519 key that signs its
published heads. Production must configure both (the app refuses to start without them); development
makes them once in the instance folder, as it does the secret key."""
from __future__ import annotations

import os
import secrets
import tempfile
from typing import Callable

from cryptography.exceptions import UnsupportedAlgorithm

from server.services.kernel.audit import ChainKey
from server.services.kernel.audit_heads import load_private_key, new_private_pem

MIN_AUDIT_KEY_BYTES = 32


def instance_file(path: str, make: Callable[[], bytes]) -> bytes:
    """The file's bytes, making it first (mode 0600, atomically: two processes starting at once agree)."""
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(make())
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    with open(path, "rb") as fh:
        return fh.read()


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as err:
        raise RuntimeError(f"无法读取{what}文件 {path}：{err.strerror}") from None


def audit_chain_key(cfg, instance_path: str, production: bool) -> ChainKey:
    """SPOTCHECK_AUDIT_KEY (text) or SPOTCHECK_AUDIT_KEY_FILE; development: instance/dev-audit-key."""
    if isinstance(cfg.get("AUDIT_CHAIN_KEY"), ChainKey):  # already given (tests)
        return cfg["AUDIT_CHAIN_KEY"]
    if cfg.get("AUDIT_KEY"):
        secret = str(cfg["AUDIT_KEY"]).strip().encode("utf-8")
    elif cfg.get("AUDIT_KEY_FILE"):
        secret = _read(cfg["AUDIT_KEY_FILE"], "操作日志密钥").strip()
    elif production:
        raise RuntimeError("生产环境必须设置操作日志密钥：SPOTCHECK_AUDIT_KEY（至少 32 个字符的随机串）或 "
                           "SPOTCHECK_AUDIT_KEY_FILE（存放该随机串的文件路径）。没有密钥，能写数据库的人就能改写"
                           "操作日志而不被发现；密钥须保存在数据库之外，并且长期不变")
    else:
        secret = instance_file(os.path.join(instance_path, "dev-audit-key"),
                               lambda: secrets.token_hex(32).encode()).strip()
    if len(secret) < MIN_AUDIT_KEY_BYTES:
        raise RuntimeError(f"操作日志密钥太短：至少 {MIN_AUDIT_KEY_BYTES} 个字符"
                           "（可用 python3 -c 'import secrets; print(secrets.token_hex(32))' 生成）")
    return ChainKey(secret)


def head_signing_key(cfg, instance_path: str, production: bool):
    """The Ed25519 private key (PEM) from SPOTCHECK_AUDIT_SIGNING_KEY_FILE; development: instance/dev-audit-signing-key.pem."""
    if cfg.get("AUDIT_HEAD_KEY") is not None and not isinstance(cfg["AUDIT_HEAD_KEY"], (str, bytes)):
        return cfg["AUDIT_HEAD_KEY"]  # already given (tests)
    if cfg.get("AUDIT_SIGNING_KEY_FILE"):
        pem = _read(cfg["AUDIT_SIGNING_KEY_FILE"], "链头签名密钥")
    elif production:
        raise RuntimeError("生产环境必须设置 SPOTCHECK_AUDIT_SIGNING_KEY_FILE：签署操作日志链头的 Ed25519 私钥"
                           "（PEM 文件，可用 openssl genpkey -algorithm ed25519 -out 文件名 生成），保存在数据库之外")
    else:
        pem = instance_file(os.path.join(instance_path, "dev-audit-signing-key.pem"), new_private_pem)
    try:
        return load_private_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as err:
        raise RuntimeError(f"链头签名密钥无法读取：{err}（须为未加密的 Ed25519 私钥 PEM）") from None
