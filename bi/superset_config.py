"""Superset's configuration for the talent warehouse (SUPERSET_CONFIG_PATH points here; bi/setup.py
sets it). Local, offline, read-only:

- metadata (users, dashboards) in SQLite under ``TALENT_BI_HOME`` (default ``data/bi``, git-ignored);
- nothing fetched from outside: no telemetry pixel or web fonts in the content security policy, no
  map tiles, no thumbnails or e-mailed reports, no extension downloads by DuckDB;
- no chart-data cache, so a query after the nightly ``os.replace`` reads the new file;
- Chinese user interface.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BI_HOME = Path(os.environ.get("TALENT_BI_HOME") or Path(__file__).resolve().parents[1] / "data" / "bi").resolve()
BI_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """TALENT_BI_SECRET_KEY, else a key generated once into BI_HOME/secret_key (mode 0600)."""
    if os.environ.get("TALENT_BI_SECRET_KEY"):
        return os.environ["TALENT_BI_SECRET_KEY"]
    path = BI_HOME / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DATA_DIR = str(BI_HOME)
SQLALCHEMY_DATABASE_URI = f"sqlite:///{BI_HOME / 'superset.db'}?check_same_thread=false"
SQLALCHEMY_EXAMPLES_URI = None

APP_NAME = "新疆高技能人才监测"
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "Chinese"}}

# No caches between the published file and the page: every chart query opens the file anew.
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_DEFAULT_TIMEOUT = 0

FEATURE_FLAGS = {
    "THUMBNAILS": False,
    "ALERT_REPORTS": False,
    "PLAYWRIGHT_REPORTS_AND_THUMBNAILS": False,
    "DASHBOARD_RBAC": False,
    "ENABLE_TEMPLATE_PROCESSING": False,
    # charts filter on the latest as-of date with a sub-query (the connection is read-only anyway)
    "ALLOW_ADHOC_SUBQUERY": True,
}
MAPBOX_API_KEY = ""
PREVENT_UNSAFE_DB_CONNECTIONS = True
WTF_CSRF_ENABLED = True
SESSION_COOKIE_SAMESITE = "Lax"
RATELIMIT_ENABLED = False  # a single local user; no Redis behind the limiter

# Web fonts from CDNs are not allowed; Chinese falls back to the system's Noto CJK.
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []
THEME_DEFAULT = {
    "token": {
        "brandAppName": APP_NAME,
        "brandLogoAlt": APP_NAME,
        "brandLogoUrl": "/static/assets/images/superset-logo-horiz.png",
        "brandLogoHref": "/",
        "fontUrls": [],
        "fontFamily": "Inter, 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif",
    },
    "algorithm": "default",
}
THEME_DARK = None

# The browser may load nothing from outside this server: the default policy also allows Superset's
# telemetry pixel, map tiles and web-font hosts, which are left out here.
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
