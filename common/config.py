"""Configuration from the environment, with defaults that match the local services.

Every setting has one environment variable; nothing else is read. `nameko_config(service)`
turns the settings into the dict nameko expects, so a service never parses YAML.
"""
import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("approvals", "vehicles", "validation", "signing", "audit")


def _env(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _default_schema_path():
    candidate = REPO_ROOT.parent / "shared" / "ivi" / "IVI2.0.xsd"
    return str(candidate) if candidate.exists() else ""


@dataclass(frozen=True)
class Settings:
    amqp_uri: str = field(default_factory=lambda: _env("ECOC_AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"))
    database_server: str = field(
        default_factory=lambda: _env("ECOC_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
    )
    database_prefix: str = field(default_factory=lambda: _env("ECOC_DB_PREFIX", "ecoc"))
    schema_path: str = field(default_factory=lambda: _env("ECOC_IVI_SCHEMA", _default_schema_path()))
    keys_dir: str = field(default_factory=lambda: _env("ECOC_KEYS_DIR", str(REPO_ROOT / "var" / "keys")))
    local_mode: bool = field(default_factory=lambda: _env("ECOC_LOCAL_MODE", "1") not in ("0", "false", "no"))
    jwt_secret: str = field(default_factory=lambda: _env("ECOC_JWT_SECRET", "ecoc-local-development-secret-not-for-production"))
    jwt_issuer: str = field(default_factory=lambda: _env("ECOC_JWT_ISSUER", "ecoc-local"))
    jwt_audience: str = field(default_factory=lambda: _env("ECOC_JWT_AUDIENCE", "ecoc"))
    gateway_host: str = field(default_factory=lambda: _env("ECOC_GATEWAY_HOST", "127.0.0.1"))
    gateway_port: int = field(default_factory=lambda: int(_env("ECOC_GATEWAY_PORT", "8000")))
    rpc_timeout: float = field(default_factory=lambda: float(_env("ECOC_RPC_TIMEOUT", "30")))
    max_workers: int = field(default_factory=lambda: int(_env("ECOC_MAX_WORKERS", "10")))
    heartbeat: int = field(default_factory=lambda: int(_env("ECOC_AMQP_HEARTBEAT", "15")))
    log_level: str = field(default_factory=lambda: _env("ECOC_LOG_LEVEL", "INFO"))

    def database_url(self, service):
        override = os.environ.get(f"ECOC_{service.upper()}_DATABASE_URL")
        if override:
            return override
        return f"{self.database_server.rstrip('/')}/{self.database_name(service)}"

    def database_name(self, service):
        return f"{self.database_prefix}_{service}"

    @property
    def gateway_url(self):
        return _env("ECOC_GATEWAY_URL", f"http://{self.gateway_host}:{self.gateway_port}")


def settings():
    return Settings()


def nameko_config(service, s=None):
    s = s or settings()
    config = {
        "AMQP_URI": s.amqp_uri,
        "max_workers": s.max_workers,
        "HEARTBEAT": s.heartbeat,
        "serializer": "json",
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "root": {"level": s.log_level, "handlers": ["console"]},
        },
    }
    if service == "gateway":
        config["WEB_SERVER_ADDRESS"] = f"{s.gateway_host}:{s.gateway_port}"
    else:
        config["DATABASE_URL"] = s.database_url(service)
    return config
