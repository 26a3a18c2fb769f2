"""The Prometheus metrics of an ecoc process (one registry a process; `common.ops` serves it at /metrics).

Every process measures its workers (RPC, event, timer and HTTP entrypoints: count by outcome, latency) and its
outbox (backlog, age of the oldest unpublished event); the gateway adds requests per route and status and what
it watches of the broker (consumers and messages per RPC queue, dead letters); signing adds seals and seal
latency and the days its seal certificates have left; validation adds findings per rule; vehicles the vehicles
per state; webhooks its delivery attempts by outcome, receiver latency and webhooks disabled. Label values are
bounded: routes are the declared templates, never raw paths."""
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

WORKERS = Counter("ecoc_worker", "Workers run, per entrypoint and outcome (ok, refused: the caller's mistake, "
                  "failed)", ["service", "kind", "entrypoint", "outcome"], registry=REGISTRY)
WORKER_SECONDS = Histogram("ecoc_worker_seconds", "Worker latency per entrypoint", ["service", "kind", "entrypoint"],
                           buckets=LATENCY_BUCKETS, registry=REGISTRY)
HTTP_REQUESTS = Counter("ecoc_http_requests", "Gateway requests per route and status",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_SECONDS = Histogram("ecoc_http_request_seconds", "Gateway request latency per route", ["method", "route"],
                         buckets=LATENCY_BUCKETS, registry=REGISTRY)
RPC_CONSUMERS = Gauge("ecoc_rpc_queue_consumers", "Consumers on each service's RPC queue (as the gateway last saw)",
                      ["service"], registry=REGISTRY)
RPC_MESSAGES = Gauge("ecoc_rpc_queue_messages", "Requests waiting in each service's RPC queue", ["service"],
                     registry=REGISTRY)
DEAD_LETTERS = Gauge("ecoc_dead_letters", "Messages in each dead-letter queue (they wait for a person)", ["queue"],
                     registry=REGISTRY)
SEALS = Counter("ecoc_seals", "Certificates sealed, per legal entity", ["entity"], registry=REGISTRY)
SEAL_SECONDS = Histogram("ecoc_seal_chunk_seconds", "Time to build, check and seal one chunk of certificates",
                         buckets=LATENCY_BUCKETS, registry=REGISTRY)
AUDIT_CHAIN_OK = Gauge("ecoc_audit_chain_ok", "1 while the audit chain checked before the last checkpoint was "
                       "intact, 0 when it was not (no checkpoint is sealed over a broken chain)", ["service"],
                       registry=REGISTRY)
FINDINGS = Counter("ecoc_validation_findings", "Findings made by validation, per rule and severity",
                   ["rule", "severity"], registry=REGISTRY)
WEBHOOK_ATTEMPTS = Counter("ecoc_webhook_attempts", "Webhook delivery attempts by outcome (delivered, retry: failed "
                           "and tried again later, failed: given up)", ["outcome"], registry=REGISTRY)
WEBHOOK_SECONDS = Histogram("ecoc_webhook_attempt_seconds", "Time a webhook receiver took to answer",
                            buckets=LATENCY_BUCKETS, registry=REGISTRY)
WEBHOOKS_DISABLED = Counter("ecoc_webhooks_disabled", "Webhooks disabled after failing for too long",
                            registry=REGISTRY)
