"""Defaults only; every key can be overridden with a SPOTCHECK_-prefixed environment variable."""
from __future__ import annotations

import os


class Defaults:
    ENV_NAME = "development"  # SPOTCHECK_ENV_NAME=production turns on the production checks
    SECRET_KEY = None  # required in production; a random per-process key is used in development
    DATABASE_URL = None  # default: sqlite:///<instance>/spotcheck.db
    MEDIA_DIR = None  # default: <instance>/media
    PDF_CACHE_DIR = None  # default: <instance>/pdf-cache
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    IMPORT_MAX_BYTES = 20 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True behind TLS (production turns it on)
    SESSION_IDLE_MINUTES = 480  # an office session ends after a working day without a request
    WTF_CSRF_TIME_LIMIT = None
    TRUSTED_PROXY_COUNT = 0  # reverse proxies in front whose X-Forwarded-For/-Proto to trust (1 behind nginx)
    # The audit chain's HMAC key and the Ed25519 key that signs its published heads; both required in
    # production, kept outside the database (development: files in the instance folder, made once).
    AUDIT_KEY = None
    AUDIT_KEY_FILE = None
    AUDIT_SIGNING_KEY_FILE = None
    # Login throttling (OWASP): growing delays per account at each door, per client address across names,
    # and per remembered device; never a lock. Delay after n failures: 0 below the free count, then
    # base × 2^(n − free), at most the maximum; counts are forgotten after a quiet period.
    LOGIN_FREE_FAILURES = 5
    LOGIN_ADDRESS_FREE_FAILURES = 10
    LOGIN_DELAY_BASE_SECONDS = 30
    LOGIN_DELAY_MAX_SECONDS = 900
    LOGIN_FORGET_HOURS = 24
    LOGIN_DEVICE_COOKIE_DAYS = 180
    TOKEN_TTL_DAYS = 30
    # Separation of duties: leader approvals (plans, publication, referrals, 补抽) are decided by leaders
    # only; True lets an admin decide them too.
    APPROVALS_ADMIN_DECIDES = False
    # A group member's signature may be drawn on a colleague's phone (one phone per group, offline); the
    # record keeps whose account submitted it and the office shows it. False: each inspector signs only
    # from their own account, and a colleague's signature pushed by someone else is rejected (kept).
    SIGNATURE_COLLEAGUES_ON_DEVICE = True
    PAGE_SIZE = 50
    # flask-smorest / OpenAPI
    API_TITLE = "spotcheck API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # Draw defaults (DESIGN §3 rule 6)
    DRAW_DEFAULT_RATIOS = {"low": "0.03", "general": "0.05", "higher": "0.20", "high": "0.50"}
    DRAW_EXCLUSION_MONTHS = 12
    # Photos (DESIGN §7), also sent to phones as reference data
    PHOTO_MAX_SIDE_PX = 1600
    PHOTO_JPEG_QUALITY = 0.8
    MEDIA_MAX_BYTES = 15 * 1024 * 1024
    MEDIA_MAX_PIXELS = 40_000_000
    PHOTO_MIN_SIDE_PX = 240  # a photo's shorter side; a smaller one (a thumbnail, a screenshot) is refused
    SIGNATURE_MIN_INK_SIDE_PX = 40  # a signature's strokes must span this many pixels: a dot is refused
    SIGNATURE_MIN_INK_PIXELS = 100
    SYNC_MAX_BATCH = 500
    SYNC_POLL_SECONDS = 30  # an open phone pulls this often while online (a return note arrives by itself)
    PUBLICATION_WORKING_DAYS = 20
    # Documents and review
    BUREAU_NAME = "阳城县交通运输局"  # printed on every document
    PDF_BATCH_WORKERS = 2  # processes rendering a task's zip of 笔录; 1 renders one after another
    REVIEW_PHOTO_MAX_DISTANCE_M = 500  # photos taken farther than this from the target are flagged
    # Quality flags for the reviewer (services/fieldwork/quality.py), computed at each submit; the reviewer
    # acknowledges each with a note before approving. README "Quality flags" lists them.
    QUALITY_FLAGS_ENABLED = True
    QUALITY_MIN_SECONDS_PER_CHECKPOINT = 60  # time on site below this × the checkpoints is 检查用时过短
    QUALITY_PHOTO_TIME_TOLERANCE_MINUTES = 10  # a photo taken this long before the start or after the end
    QUALITY_CLOCK_SKEW_MINUTES = 10  # the phone's clock this far from the server's
    QUALITY_SAME_ANSWERS_MIN_TARGETS = 3  # one group, identical answers at this many targets on one day
    QUALITY_OVERLAP_MIN_INSPECTIONS = 2  # one group, this many inspections at the same time
    PWA_VERSION = ""  # appended to the service worker's content hash; bump to force an update
    PUBLICATION_WARN_WORKING_DAYS = 15


def database_url(config: dict, instance_path: str) -> str:
    """The SQLAlchemy URL: SPOTCHECK_DATABASE_URL, else a SQLite file in the instance folder."""
    url = config.get("DATABASE_URL") or f"sqlite:///{os.path.join(instance_path, 'spotcheck.db')}"
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
