"""Configuration from the environment, with defaults that match the local services.

Every setting has one environment variable; nothing else is read. `nameko_config(service)`
turns the settings into the dict nameko expects, so a service never parses YAML.
"""
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILT_IN_JWT_SECRET = "ecoc-local-development-secret-not-for-production"
BUILT_IN_INTERNAL_SECRET = "ecoc-local-internal-secret-not-for-production"
SERVICES = ("approvals", "vehicles", "validation", "signing", "audit", "webhooks", "rollout", "delivery")
PROCESSES = (*SERVICES, "gateway")


def _env(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _default_schema_path():
    candidate = REPO_ROOT.parent / "shared" / "ivi" / "IVI2.0.xsd"
    return str(candidate) if candidate.exists() else ""


def _default_ivi111_path():
    candidate = REPO_ROOT.parent / "shared" / "ivi" / "ivi1.11" / "version-111-initialvehicleinformation.xsd"
    return str(candidate) if candidate.exists() else ""


TOKEN_ALGORITHMS = ("HS256", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "ES512")  # never `none`
ASYMMETRIC_DEFAULT = ("RS256", "ES256")


def parse_replicas(raw):
    """`ECOC_REPLICAS`: processes per service, `((process, count), …)` for every process. `2` doubles every
    process; `signing=2,vehicles=2` names some (the others run once)."""
    raw = (raw or "").strip()
    if raw and "=" not in raw:
        return tuple((name, _whole_number(raw, "ECOC_REPLICAS")) for name in PROCESSES)
    counts = dict.fromkeys(PROCESSES, 1)
    for part in filter(None, (p.strip() for p in raw.split(","))):
        name, _, value = (x.strip() for x in part.partition("="))
        if name not in counts:
            raise ValueError(f"ECOC_REPLICAS: unknown process {name!r}; processes: {', '.join(PROCESSES)}")
        counts[name] = _whole_number(value, f"ECOC_REPLICAS {name}")
    return tuple(counts.items())


def _whole_number(value, what):
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
    # the IVI 1.11 schema legacy 1.x messages are checked against before conversion (empty: 1.11 is refused)
    ivi111_schema_path: str = field(default_factory=lambda: _env("ECOC_IVI111_SCHEMA", _default_ivi111_path()))
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
    # where they carry the caller's groups (optional): a team naming one of them counts the caller a member
    jwt_groups_claim: str = field(default_factory=lambda: _env("ECOC_JWT_GROUPS_CLAIM", "groups"))
    internal_secret: str = field(
        default_factory=lambda: _env("ECOC_INTERNAL_SECRET", BUILT_IN_INTERNAL_SECRET))
    # earlier internal secrets still accepted while a new one is rolled out (comma list, newest first): passports
    # signed with them verify, and webhook secrets sealed under them are read and sealed again under the current one
    internal_secrets_previous: tuple[str, ...] = field(default_factory=lambda: tuple(
        v.strip() for v in _env("ECOC_INTERNAL_SECRET_PREVIOUS", "").split(",") if v.strip()))
    passport_ttl: int = field(default_factory=lambda: int(_env("ECOC_PASSPORT_TTL", "300")))
    gateway_host: str = field(default_factory=lambda: _env("ECOC_GATEWAY_HOST", "127.0.0.1"))
    gateway_port: int = field(default_factory=lambda: int(_env("ECOC_GATEWAY_PORT", "8000")))
    rpc_timeout: float = field(default_factory=lambda: float(_env("ECOC_RPC_TIMEOUT", "30")))
    # the largest request body the gateway reads; a larger one is refused (413) from its Content-Length
    max_body_bytes: int = field(default_factory=lambda: int(_env("ECOC_MAX_BODY_BYTES", str(16 << 20))))
    # how long the gateway keeps a POST's answer for replays under the same Idempotency-Key
    idempotency_ttl_hours: float = field(default_factory=lambda: float(_env("ECOC_IDEMPOTENCY_TTL_HOURS", "24")))
    # rate limits per caller (gateway.rate_limits): units a second (0: off), the bucket's size, and named callers'
    rate_limit: float = field(default_factory=lambda: float(_env("ECOC_RATE_LIMIT", "2000")))
    rate_limit_burst: int = field(default_factory=lambda: int(_env("ECOC_RATE_LIMIT_BURST", "50000")))
    rate_limit_callers: str = field(default_factory=lambda: _env("ECOC_RATE_LIMIT_CALLERS", ""))
    # processes per service `ecoc up` runs, competing consumers of the same queues (`parse_replicas`)
    replicas: tuple = field(default_factory=lambda: parse_replicas(_env("ECOC_REPLICAS", "")))
    # certificates in each part of a release's print job: the parts render at once, spread over the processes
    paper_part_size: int = field(
        default_factory=lambda: _whole_number(_env("ECOC_PAPER_PART_SIZE", "500"), "ECOC_PAPER_PART_SIZE"))
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
    # webhook deliveries: back-off from base doubling up to max, for retry_hours; a subscription failing for
    # disable_after_hours without a success is disabled
    webhook_retry_base_seconds: float = field(
        default_factory=lambda: float(_env("ECOC_WEBHOOK_RETRY_BASE_SECONDS", "30")))
    webhook_retry_max_seconds: float = field(
        default_factory=lambda: float(_env("ECOC_WEBHOOK_RETRY_MAX_SECONDS", "3600")))
    webhook_retry_hours: float = field(default_factory=lambda: float(_env("ECOC_WEBHOOK_RETRY_HOURS", "24")))
    webhook_disable_after_hours: float = field(
        default_factory=lambda: float(_env("ECOC_WEBHOOK_DISABLE_AFTER_HOURS", "24")))
    webhook_timeout_seconds: float = field(default_factory=lambda: float(_env("ECOC_WEBHOOK_TIMEOUT_SECONDS", "10")))
    webhook_private_targets: bool = field(
        default_factory=lambda: _env("ECOC_WEBHOOK_PRIVATE_TARGETS", "0") not in ("0", "false", "no"))
    webhook_log_days: float = field(default_factory=lambda: float(_env("ECOC_WEBHOOK_LOG_DAYS", "30")))
    # PEM file of the CAs that webhook receivers' certificates must chain to (empty: the system's)
    webhook_ca_bundle: str = field(default_factory=lambda: _env("ECOC_WEBHOOK_CA_BUNDLE", ""))
    # the cut-over gate of a rollout scope: parity (percent) over at least this many vehicles compared within
    # the window (days)
    rollout_parity_threshold: float = field(
        default_factory=lambda: float(_env("ECOC_ROLLOUT_PARITY_THRESHOLD", "99.5")))
    rollout_min_volume: int = field(default_factory=lambda: int(_env("ECOC_ROLLOUT_MIN_VOLUME", "200")))
    rollout_window_days: int = field(default_factory=lambda: int(_env("ECOC_ROLLOUT_WINDOW_DAYS", "30")))
    # delivery to National Access Points: how often due deliveries are looked for, the back-off of transient
    # failures (first delay, longest delay) and how long they are retried before a delivery is `failed` (seconds)
    delivery_poll_seconds: float = field(default_factory=lambda: float(_env("ECOC_DELIVERY_POLL_SECONDS", "1")))
    delivery_backoff_base: float = field(default_factory=lambda: float(_env("ECOC_DELIVERY_BACKOFF_BASE", "5")))
    delivery_backoff_max: float = field(default_factory=lambda: float(_env("ECOC_DELIVERY_BACKOFF_MAX", "600")))
    delivery_retry_for: float = field(default_factory=lambda: float(_env("ECOC_DELIVERY_RETRY_FOR", "86400")))
    # where the client certificates, keys and CA files that targets name by relative path are (default KEYS_DIR/nap)
    delivery_credentials_dir: str = field(default_factory=lambda: _env("ECOC_DELIVERY_CREDENTIALS_DIR", ""))
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
    # the time zone the dashboard's pages show times in (an IANA name; no per-person preference is stored)
    display_zone: str = field(default_factory=lambda: _env("ECOC_DISPLAY_ZONE", "UTC"))

    def __post_init__(self):
        if self.log_format not in ("json", "plain"):
            raise ValueError(f"ECOC_LOG_FORMAT must be json or plain, not {self.log_format!r}")
        if not self.audit_keys_dir:
            object.__setattr__(self, "audit_keys_dir", self.keys_dir)
        webhook_times = {"ECOC_WEBHOOK_RETRY_BASE_SECONDS": self.webhook_retry_base_seconds,
                         "ECOC_WEBHOOK_RETRY_MAX_SECONDS": self.webhook_retry_max_seconds,
                         "ECOC_WEBHOOK_RETRY_HOURS": self.webhook_retry_hours,
                         "ECOC_WEBHOOK_DISABLE_AFTER_HOURS": self.webhook_disable_after_hours,
                         "ECOC_WEBHOOK_TIMEOUT_SECONDS": self.webhook_timeout_seconds,
                         "ECOC_WEBHOOK_LOG_DAYS": self.webhook_log_days}
        for name, value in webhook_times.items():
            if not value > 0:
                raise ValueError(f"{name} must be more than 0")
        if self.webhook_retry_max_seconds < self.webhook_retry_base_seconds:
            raise ValueError("ECOC_WEBHOOK_RETRY_MAX_SECONDS must not be less than ECOC_WEBHOOK_RETRY_BASE_SECONDS")
        if not 0 < self.rollout_parity_threshold <= 100:
            raise ValueError("ECOC_ROLLOUT_PARITY_THRESHOLD must be a percentage above 0 and at most 100")
        try:
            ZoneInfo(self.display_zone)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"ECOC_DISPLAY_ZONE must be an IANA time zone (Europe/Brussels, UTC), "
                             f"not {self.display_zone!r}") from None
        if self.rollout_min_volume < 1 or self.rollout_window_days < 1:
            raise ValueError("ECOC_ROLLOUT_MIN_VOLUME and ECOC_ROLLOUT_WINDOW_DAYS must be 1 or more")
        if not self.delivery_credentials_dir:
            object.__setattr__(self, "delivery_credentials_dir", str(Path(self.keys_dir) / "nap"))
        for name in ("delivery_poll_seconds", "delivery_backoff_base", "delivery_backoff_max", "delivery_retry_for"):
            if not getattr(self, name) > 0:
                raise ValueError(f"ECOC_{name.upper()} must be more than 0")
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
        if BUILT_IN_INTERNAL_SECRET in self.internal_secrets_previous:
            problems.append("ECOC_INTERNAL_SECRET_PREVIOUS holds the built-in local secret: anyone could pass the "
                            "services a caller identity (leave it out)")
        return problems

    @property
    def internal_secrets(self):
        """The current internal secret, then the earlier ones still accepted."""
        return (self.internal_secret, *self.internal_secrets_previous)

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
    if service == "webhooks":  # the delivery policy (services/webhooks/dependencies.py)
        config.update(WEBHOOK_RETRY_BASE_SECONDS=s.webhook_retry_base_seconds,
                      WEBHOOK_RETRY_MAX_SECONDS=s.webhook_retry_max_seconds, WEBHOOK_RETRY_HOURS=s.webhook_retry_hours,
                      WEBHOOK_DISABLE_AFTER_HOURS=s.webhook_disable_after_hours,
                      WEBHOOK_TIMEOUT_SECONDS=s.webhook_timeout_seconds, WEBHOOK_INSECURE_TARGETS=s.local_mode,
                      WEBHOOK_PRIVATE_TARGETS=s.webhook_private_targets, WEBHOOK_CA_BUNDLE=s.webhook_ca_bundle, WEBHOOK_LOG_DAYS=s.webhook_log_days)
    if service == "audit":  # its handlers take events in batches: many may wait in each consumer
        config["PREFETCH_COUNT"] = s.audit_prefetch
    if service == "delivery":
        config.update(DELIVERY_CREDENTIALS_DIR=s.delivery_credentials_dir, DELIVERY_RETRY_FOR=s.delivery_retry_for,
                      DELIVERY_BACKOFF_BASE=s.delivery_backoff_base, DELIVERY_BACKOFF_MAX=s.delivery_backoff_max)
    return config
