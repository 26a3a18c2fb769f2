"""Configuration from the environment, with defaults that match the local services.

Every setting has one environment variable; nothing else is read. `nameko_config(service)`
turns the settings into the dict nameko expects, so a service never parses YAML.
"""
import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILT_IN_JWT_SECRET = "ecoc-local-development-secret-not-for-production"
BUILT_IN_INTERNAL_SECRET = "ecoc-local-internal-secret-not-for-production"
SERVICES = ("approvals", "vehicles", "validation", "signing", "audit")
PROCESSES = (*SERVICES, "gateway")


def _env(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _default_schema_path():
    candidate = REPO_ROOT.parent / "shared" / "ivi" / "IVI2.0.xsd"
    return str(candidate) if candidate.exists() else ""


TOKEN_ALGORITHMS = ("HS256", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "ES512")  # never `none`
ASYMMETRIC_DEFAULT = ("RS256", "ES256")


def parse_replicas(raw):
    """`ECOC_REPLICAS`: processes per service, `((process, count), …)` for every process. `2` doubles every
    process; `signing=2,vehicles=2` names some (the others run once)."""
    raw = (raw or "").strip()
    if raw and "=" not in raw:
        return tuple((name, _replica_count(raw, "ECOC_REPLICAS")) for name in PROCESSES)
    counts = dict.fromkeys(PROCESSES, 1)
    for part in filter(None, (p.strip() for p in raw.split(","))):
        name, _, value = (x.strip() for x in part.partition("="))
        if name not in counts:
            raise ValueError(f"ECOC_REPLICAS: unknown process {name!r}; processes: {', '.join(PROCESSES)}")
        counts[name] = _replica_count(value, f"ECOC_REPLICAS {name}")
    return tuple(counts.items())


def _replica_count(value, what):
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{what} must be a whole number of 1 or more, not {value!r}")
    return int(value)


def _algorithms(raw):
    return tuple(a.strip() for a in raw.split(",") if a.strip())


@dataclass(frozen=True)
class Settings:
    amqp_uri: str = field(default_factory=lambda: _env("ECOC_AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"))
    database_server: str = field(
        default_factory=lambda: _env("ECOC_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
    )
    database_prefix: str = field(default_factory=lambda: _env("ECOC_DB_PREFIX", "ecoc"))
    schema_path: str = field(default_factory=lambda: _env("ECOC_IVI_SCHEMA", _default_schema_path()))
    keys_dir: str = field(default_factory=lambda: _env("ECOC_KEYS_DIR", str(REPO_ROOT / "var" / "keys")))
    # the audit service's checkpoint key; its own directory in production (only the audit pods see it)
    audit_keys_dir: str = field(default_factory=lambda: _env("ECOC_AUDIT_KEYS_DIR", ""))
    local_mode: bool = field(default_factory=lambda: _env("ECOC_LOCAL_MODE", "1") not in ("0", "false", "no"))
    jwt_secret: str = field(default_factory=lambda: _env("ECOC_JWT_SECRET", BUILT_IN_JWT_SECRET))
    jwt_issuer: str = field(default_factory=lambda: _env("ECOC_JWT_ISSUER", "ecoc-local"))
    jwt_audience: str = field(default_factory=lambda: _env("ECOC_JWT_AUDIENCE", "ecoc"))
    jwt_jwks_url: str = field(default_factory=lambda: _env("ECOC_JWT_JWKS_URL", ""))
    jwt_algorithms: tuple = field(default_factory=lambda: _algorithms(_env("ECOC_JWT_ALGORITHMS", "")))
    jwt_leeway: int = field(default_factory=lambda: int(_env("ECOC_JWT_LEEWAY", "30")))
    jwks_max_age: int = field(default_factory=lambda: int(_env("ECOC_JWT_JWKS_MAX_AGE", "300")))
    # where an issuer's tokens carry the roles and entities (dotted paths, e.g. realm_access.roles), and the
    # prefix its role names carry (e.g. "ecoc-": the role ecoc-signer is signer; other roles are ignored)
    jwt_roles_claim: str = field(default_factory=lambda: _env("ECOC_JWT_ROLES_CLAIM", "roles"))
    jwt_entities_claim: str = field(default_factory=lambda: _env("ECOC_JWT_ENTITIES_CLAIM", "entities"))
    jwt_role_prefix: str = field(default_factory=lambda: _env("ECOC_JWT_ROLE_PREFIX", ""))
    internal_secret: str = field(
        default_factory=lambda: _env("ECOC_INTERNAL_SECRET", BUILT_IN_INTERNAL_SECRET))
    passport_ttl: int = field(default_factory=lambda: int(_env("ECOC_PASSPORT_TTL", "300")))
    gateway_host: str = field(default_factory=lambda: _env("ECOC_GATEWAY_HOST", "127.0.0.1"))
    gateway_port: int = field(default_factory=lambda: int(_env("ECOC_GATEWAY_PORT", "8000")))
    rpc_timeout: float = field(default_factory=lambda: float(_env("ECOC_RPC_TIMEOUT", "30")))
    # the largest request body the gateway reads; a larger one is refused (413) from its Content-Length
    max_body_bytes: int = field(default_factory=lambda: int(_env("ECOC_MAX_BODY_BYTES", str(16 << 20))))
    # how long the gateway keeps a POST's answer for replays under the same Idempotency-Key
    idempotency_ttl_hours: float = field(default_factory=lambda: float(_env("ECOC_IDEMPOTENCY_TTL_HOURS", "24")))
    # processes per service `ecoc up` runs, competing consumers of the same queues (`parse_replicas`)
    replicas: tuple = field(default_factory=lambda: parse_replicas(_env("ECOC_REPLICAS", "")))
    max_workers: int = field(default_factory=lambda: int(_env("ECOC_MAX_WORKERS", "10")))
    heartbeat: int = field(default_factory=lambda: int(_env("ECOC_AMQP_HEARTBEAT", "15")))
    log_level: str = field(default_factory=lambda: _env("ECOC_LOG_LEVEL", "INFO"))
    # each process's /livez, /readyz and /metrics (0: off; `ecoc up` gives each process a port of its own)
    ops_port: int = field(default_factory=lambda: int(_env("ECOC_OPS_PORT", "0")))
    ops_host: str = field(default_factory=lambda: _env("ECOC_OPS_HOST", "127.0.0.1"))
    log_format: str = field(default_factory=lambda: _env("ECOC_LOG_FORMAT", "json"))  # json, or plain for a person
    # how often the audit service seals the chain's head when it moved (seconds)
    audit_checkpoint_seconds: float = field(default_factory=lambda: float(_env("ECOC_AUDIT_CHECKPOINT_SECONDS", "60")))
    # unacked events per audit consumer: the most one batch (one transaction) can take
    audit_prefetch: int = field(default_factory=lambda: int(_env("ECOC_AUDIT_PREFETCH", "500")))
    event_retry_delays: str = field(default_factory=lambda: _env("ECOC_EVENT_RETRY_DELAYS", "1,5,30"))
    # the dashboard's sign-in through the organisation's OIDC issuer (authorization code + PKCE); no issuer: only
    # local mode's development sign-in (a pasted token) is there
    oidc_issuer: str = field(default_factory=lambda: _env("ECOC_OIDC_ISSUER", ""))
    oidc_client_id: str = field(default_factory=lambda: _env("ECOC_OIDC_CLIENT_ID", ""))
    oidc_client_secret: str = field(default_factory=lambda: _env("ECOC_OIDC_CLIENT_SECRET", ""))
    oidc_scopes: str = field(default_factory=lambda: _env("ECOC_OIDC_SCOPES", "openid profile"))
    # a person's dashboard session ends after this long without a page, and after this long at most
    session_idle_minutes: float = field(default_factory=lambda: float(_env("ECOC_SESSION_IDLE_MINUTES", "30")))
    # work waiting longer than this is shown as overdue (`/v1/work`, the dashboard's work page)
    work_overdue_hours: int = field(default_factory=lambda: int(_env("ECOC_WORK_OVERDUE_HOURS", "48")))
    session_max_hours: float = field(default_factory=lambda: float(_env("ECOC_SESSION_MAX_HOURS", "10")))

    def __post_init__(self):
        if self.log_format not in ("json", "plain"):
            raise ValueError(f"ECOC_LOG_FORMAT must be json or plain, not {self.log_format!r}")
        if not self.audit_keys_dir:
            object.__setattr__(self, "audit_keys_dir", self.keys_dir)
        if self.max_body_bytes < 1:
            raise ValueError("ECOC_MAX_BODY_BYTES must be 1 or more")
        if not self.jwt_algorithms:  # the default follows the mode: OIDC keys, or the local secret
            object.__setattr__(self, "jwt_algorithms", ASYMMETRIC_DEFAULT if self.jwt_jwks_url else ("HS256",))
        unknown = [a for a in self.jwt_algorithms if a not in TOKEN_ALGORITHMS]
        if unknown:
            raise ValueError(f"ECOC_JWT_ALGORITHMS: {', '.join(unknown)} not accepted; choose from "
                             f"{', '.join(TOKEN_ALGORITHMS)}")
        symmetric = [a for a in self.jwt_algorithms if a.startswith("HS")]
        if self.jwt_jwks_url and symmetric:
            raise ValueError("ECOC_JWT_ALGORITHMS: HS256 cannot be accepted when ECOC_JWT_JWKS_URL is set "
                             "(a token signed with the issuer's public key would pass)")
        if not self.jwt_jwks_url and len(symmetric) != len(self.jwt_algorithms):
            raise ValueError("ECOC_JWT_ALGORITHMS: RS/ES/PS algorithms need ECOC_JWT_JWKS_URL")
        if self.session_idle_minutes <= 0 or self.session_max_hours <= 0:
            raise ValueError("ECOC_SESSION_IDLE_MINUTES and ECOC_SESSION_MAX_HOURS must be more than 0")

    def production_problems(self, process):
        """Why `process` may not start in production mode (ECOC_LOCAL_MODE=0): secrets everyone knows (the JWT
        secret only where tokens are verified, the gateway)."""
        if self.local_mode:
            return []
        problems = []
        if process == "gateway" and "HS256" in self.jwt_algorithms and self.jwt_secret == BUILT_IN_JWT_SECRET:
            problems.append("ECOC_JWT_SECRET is the built-in local secret: anyone could sign tokens (set a secret "
                            "of your own, or ECOC_JWT_JWKS_URL for an OIDC issuer)")
        if process == "gateway" and self.oidc_issuer and not (self.oidc_client_id and self.oidc_client_secret):
            problems.append("ECOC_OIDC_ISSUER is set without ECOC_OIDC_CLIENT_ID and ECOC_OIDC_CLIENT_SECRET: the "
                            "dashboard's sign-in cannot work")
        if self.internal_secret == BUILT_IN_INTERNAL_SECRET:
            problems.append("ECOC_INTERNAL_SECRET is the built-in local secret: anyone could pass the services a "
                            "caller identity (set a secret of your own, the same in every process)")
        return problems

    def database_url(self, service):
        override = os.environ.get(f"ECOC_{service.upper()}_DATABASE_URL")
        if override:
            return override
        return f"{self.database_server.rstrip('/')}/{self.database_name(service)}"

    def database_name(self, service):
        return f"{self.database_prefix}_{service}"

    @property
    def oidc_redirect_url(self):
        """Where the issuer sends the browser back (registered with the issuer as the client's redirect URI)."""
        return f"{self.gateway_url.rstrip('/')}/dashboard/oidc/callback"

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
        "EVENT_RETRY_DELAYS": s.event_retry_delays,
        "OPS_PORT": s.ops_port,
        "OPS_HOST": s.ops_host,
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"trace": {"()": "common.logs.TraceIdFilter"},
                        "expected": {"()": "common.logs.ExpectedErrorFilter"}},
            "formatters": {
                "json": {"()": "common.logs.JsonFormatter", "service": service},
                "plain": {"format": f"%(asctime)s {service} %(levelname)s trace=%(trace_id)s %(name)s: %(message)s"},
            },
            "handlers": {"console": {"class": "common.logs.StreamHandler", "formatter": s.log_format,
                                     "filters": ["trace", "expected"]}},
            "root": {"level": s.log_level, "handlers": ["console"]},
            # eventlet's access lines know neither trace nor caller: the gateway writes its own (`gateway.access`)
            "loggers": {"nameko.web.server": {"level": "WARNING"}},
        },
    }
    config["DATABASE_URL"] = s.database_url(service)  # the gateway's holds its Idempotency-Key answers
    if service == "gateway":
        config["WEB_SERVER_ADDRESS"] = f"{s.gateway_host}:{s.gateway_port}"
        config["MAX_BODY_BYTES"] = s.max_body_bytes
    if service == "audit":  # its handlers take events in batches: many may wait in each consumer
        config["PREFETCH_COUNT"] = s.audit_prefetch
    return config
