"""The deployment files, checked offline: Kubernetes overlays, docker-compose.yml and the Dockerfile.

The overlays are rendered by deploy/k8s/render.py (no kustomize binary needed) and every object is
validated against the pinned Kubernetes version's schemas in strict mode. Where `kubectl` (or
`kustomize`) happens to be installed, the renderer's output is also compared with the real one.
"""
import importlib.util
import json
import posixpath
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
K8S_VERSION = "1.30"
SERVICES = ("approvals", "vehicles", "validation", "signing", "audit", "webhooks", "rollout", "delivery")
PROCESSES = SERVICES + ("gateway",)
EXPECTED_REGIONS = {"eu-west", "eu-central"}
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
SEAL_KEYS_SECRET = "ecoc-seal-keys"
SEAL_PASSPHRASES_SECRET = "ecoc-seal-passphrases"
APP_SECRET = "ecoc-secrets"
AUDIT_KEY_SECRET = "ecoc-audit-key"
NAP_CREDENTIALS_SECRET = "ecoc-nap-credentials"
IVI_CONFIGMAP = "ecoc-ivi-schema"
OPS_PORT = 9100
# Custom resources: not in the Kubernetes schemas, checked structurally below.
CRD_GROUPS = {"monitoring.coreos.com"}


def _load_renderer():
    spec = importlib.util.spec_from_file_location("ecoc_deploy_render", K8S / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load_renderer()


@pytest.fixture(scope="module")
def rendered():
    return {overlay: render.render(K8S / "overlays" / overlay) for overlay in OVERLAYS}


def overlay_kustomization(overlay):
    return yaml.safe_load((K8S / "overlays" / overlay / "kustomization.yaml").read_text())


def objects(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_template(doc):
    return doc["spec"]["jobTemplate"]["spec"]["template"] if doc["kind"] == "CronJob" else doc["spec"]["template"]


def pod_spec(doc):
    return pod_template(doc)["spec"]


WORKLOAD_KINDS = ("Deployment", "Job", "CronJob")


def workloads(docs):
    """(name, pod spec) of every Deployment, Job and CronJob."""
    return [(d["metadata"]["name"], pod_spec(d)) for d in docs if d["kind"] in WORKLOAD_KINDS]


def all_containers(spec):
    return list(spec.get("initContainers") or []) + list(spec["containers"])


def env_value(container, name):
    for env in container.get("env") or []:
        if env["name"] == name:
            return env.get("value", env.get("valueFrom"))
    return None


def config_map(docs):
    (cm,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("ecoc-config-")]
    return cm


def service_of(deployment_name):
    return deployment_name.removeprefix("ecoc-")


def is_custom_resource(doc):
    return doc["apiVersion"].split("/")[0] in CRD_GROUPS


def kubernetes_objects(docs):
    return [d for d in docs if not is_custom_resource(d)]


# --- Kubernetes: rendering and schema validation -----------------------------------------------

def test_both_regions_have_an_overlay():
    assert EXPECTED_REGIONS <= set(OVERLAYS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_objects_validate_strictly_against_kubernetes_schemas(rendered, overlay):
    errors = []
    for doc in kubernetes_objects(rendered[overlay]):
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{where}: {'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{where}: {exc.message}")
    assert errors == []


def test_strict_validation_rejects_an_unknown_field(rendered):
    deployment = json.loads(json.dumps(objects(rendered[OVERLAYS[0]], "Deployment")["ecoc-gateway"]))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_base_renders_and_validates():
    for doc in kubernetes_objects(render.render(K8S / "base")):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_contains_the_whole_application(rendered, overlay):
    docs = rendered[overlay]
    assert set(objects(docs, "Deployment")) == {f"ecoc-{p}" for p in PROCESSES}
    assert set(objects(docs, "Job")) == {"ecoc-migrate"}
    assert set(objects(docs, "CronJob")) == {"ecoc-backup", "ecoc-archive", "ecoc-audit-verify"}
    assert set(objects(docs, "Service")) == {"ecoc-gateway"}
    assert set(objects(docs, "Ingress")) == {"ecoc-gateway"}
    assert set(objects(docs, "PodDisruptionBudget")) == {f"ecoc-{p}" for p in PROCESSES}
    assert set(objects(docs, "HorizontalPodAutoscaler")) == {f"ecoc-{p}" for p in PROCESSES}
    assert "ecoc-default-deny" in objects(docs, "NetworkPolicy")
    assert set(objects(docs, "PodMonitor")) == {"ecoc"}
    assert set(objects(docs, "PrometheusRule")) == {"ecoc"}
    assert len(objects(docs, "Namespace")) == 1
    assert objects(docs, "Secret") == {}, "secrets are created by the operator, never committed"


def test_deployed_services_match_the_application():
    from common.config import SERVICES as app_services

    assert set(app_services) == set(SERVICES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployments_have_probes_resources_and_run_as_non_root(rendered, overlay):
    for name, spec in workloads(rendered[overlay]):
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True, name
        assert pod_security["runAsUser"] not in (0, None), name
        assert spec["enableServiceLinks"] is False, f"{name}: service links would shadow ECOC_GATEWAY_PORT"
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        for container in all_containers(spec):
            where = f"{name}/{container['name']}"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), where
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{where}: /tmp must be an emptyDir"
    for name, deployment in objects(rendered[overlay], "Deployment").items():
        for container in pod_spec(deployment)["containers"]:
            assert container.get("livenessProbe") and container.get("readinessProbe"), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_commands_and_probes_use_the_ecoc_cli(rendered, overlay):
    """Every process runs `ecoc run <name>` and is probed over HTTP on its ops port: /readyz (broker and
    database answer) for start-up and readiness, /livez (its event loop answers) for liveness."""
    data = config_map(rendered[overlay])["data"]
    assert data["ECOC_OPS_PORT"] == str(OPS_PORT) and data["ECOC_OPS_HOST"] == "0.0.0.0"
    for name, deployment in objects(rendered[overlay], "Deployment").items():
        service = service_of(name)
        (container,) = pod_spec(deployment)["containers"]
        assert container["command"] + container["args"] == ["ecoc", "run", service]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == OPS_PORT, name
        expected = {"startupProbe": "/readyz", "readinessProbe": "/readyz", "livenessProbe": "/livez"}
        for probe_name, path in expected.items():
            probe = container[probe_name]
            assert probe["httpGet"] == {"path": path, "port": "metrics"}, f"{name} {probe_name}"
            # /readyz checks the broker and the database with 2 s each
            assert probe["timeoutSeconds"] >= 5, f"{name} {probe_name}"
        startup = container["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 120, f"{name}: too little time to start"
        if service == "gateway":
            assert ports["http"] == 8000
            assert env_value(container, "ECOC_GATEWAY_HOST") == "0.0.0.0"
            assert env_value(container, "ECOC_GATEWAY_PORT") == "8000"
        else:
            assert set(ports) == {"metrics"}, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_gets_config_and_psycopg_wait_func(rendered, overlay):
    docs = rendered[overlay]
    cm_name = config_map(docs)["metadata"]["name"]
    for name, spec in workloads(docs):
        for container in all_containers(spec):
            assert env_value(container, "PSYCOPG_WAIT_FUNC") == "wait_selector", name
            refs = [e["configMapRef"]["name"] for e in container.get("envFrom") or [] if "configMapRef" in e]
            assert refs == [cm_name], f"{name} must read the generated {cm_name}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_config_is_safe_for_production(rendered, overlay):
    data = config_map(rendered[overlay])["data"]
    assert data["ECOC_LOCAL_MODE"] == "0"
    assert data["PSYCOPG_WAIT_FUNC"] == "wait_selector"
    assert data["ECOC_AMQP_HEARTBEAT"] == "15"
    assert data["ECOC_KEYS_DIR"] == "/etc/ecoc/keys"
    assert data["ECOC_IVI_SCHEMA"] == "/etc/ecoc/ivi/IVI2.0.xsd"
    assert re.fullmatch(r"https?://[^/:]+:4318/?", data["OTEL_EXPORTER_OTLP_ENDPOINT"])
    for secret in ("ECOC_JWT_SECRET", "ECOC_INTERNAL_SECRET", "ECOC_DATABASE_URL", "ECOC_AMQP_URI",
                   "ECOC_OIDC_CLIENT_SECRET"):
        assert secret not in data, f"{secret} belongs in the {APP_SECRET} Secret"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_by_least_privilege(rendered, overlay):
    wanted = {
        "ecoc-gateway": {"ECOC_DATABASE_URL", "ECOC_AMQP_URI", "ECOC_JWT_SECRET", "ECOC_INTERNAL_SECRET",
                         "ECOC_INTERNAL_SECRET_PREVIOUS", "ECOC_OIDC_CLIENT_SECRET"},
        "ecoc-migrate": {"ECOC_DATABASE_URL", "ECOC_AMQP_URI"},  # `ecoc migrate` declares the broker topology
        "ecoc-backup": {"ECOC_DATABASE_URL"},
        "ecoc-archive": {"ECOC_DATABASE_URL"},
        "ecoc-audit-verify": {"ECOC_DATABASE_URL"},
        **{f"ecoc-{s}": {"ECOC_DATABASE_URL", "ECOC_AMQP_URI", "ECOC_INTERNAL_SECRET", "ECOC_INTERNAL_SECRET_PREVIOUS"}
           for s in SERVICES},
    }
    for name, spec in workloads(rendered[overlay]):
        (container,) = spec["containers"]
        refs = {}
        for env in container.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == APP_SECRET and ref["key"] == env["name"], name
                refs[env["name"]] = ref
        assert set(refs) == wanted[name], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_signing_sees_the_seal_keys_and_only_audit_its_key(rendered, overlay):
    data = config_map(rendered[overlay])["data"]
    mounted_at = {SEAL_KEYS_SECRET: data["ECOC_KEYS_DIR"], AUDIT_KEY_SECRET: data["ECOC_AUDIT_KEYS_DIR"],
                  NAP_CREDENTIALS_SECRET: data["ECOC_DELIVERY_CREDENTIALS_DIR"]}
    assert mounted_at[SEAL_KEYS_SECRET] != mounted_at[AUDIT_KEY_SECRET]
    for name, spec in workloads(rendered[overlay]):
        secret_volumes = {v["name"]: v["secret"]["secretName"] for v in spec.get("volumes") or [] if "secret" in v}
        passphrases = [e for c in all_containers(spec) for e in c.get("envFrom") or []
                       if e.get("secretRef", {}).get("name") == SEAL_PASSPHRASES_SECRET]
        own = {"ecoc-signing": SEAL_KEYS_SECRET, "ecoc-audit": AUDIT_KEY_SECRET,
               "ecoc-delivery": NAP_CREDENTIALS_SECRET}.get(name)
        if own is None:
            assert secret_volumes == {}, f"{name} must not mount any Secret"
        else:
            assert list(secret_volumes.values()) == [own], name
            (container,) = spec["containers"]
            (mount,) = [m for m in container["volumeMounts"] if m["name"] in secret_volumes]
            assert mount["mountPath"] == mounted_at[own] and mount["readOnly"] is True
        if name == "ecoc-signing":
            assert passphrases and passphrases[0]["secretRef"].get("optional") is True
        else:
            assert passphrases == [], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_read_the_ivi_schema_from_the_operator_configmap(rendered, overlay):
    schema_dir = posixpath.dirname(config_map(rendered[overlay])["data"]["ECOC_IVI_SCHEMA"])
    for name, deployment in objects(rendered[overlay], "Deployment").items():
        spec = pod_spec(deployment)
        volumes = {v["name"]: v for v in spec["volumes"]}
        (container,) = spec["containers"]
        (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == schema_dir]
        assert mount["readOnly"] is True
        assert volumes[mount["name"]]["configMap"]["name"] == IVI_CONFIGMAP, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migration_job_runs_ecoc_migrate(rendered, overlay):
    job = objects(rendered[overlay], "Job")["ecoc-migrate"]
    spec = pod_spec(job)
    (container,) = spec["containers"]
    assert container["command"] + container.get("args", []) == ["ecoc", "migrate"]
    assert spec["restartPolicy"] in ("Never", "OnFailure")
    assert job["spec"]["backoffLimit"] >= 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_backup_and_archive_run_nightly_without_private_keys(rendered, overlay):
    cron_jobs = objects(rendered[overlay], "CronJob")
    commands = {"ecoc-backup": 'exec ecoc backup "/backups/', "ecoc-archive": "exec ecoc archive export /archive ",
                "ecoc-audit-verify": "exec ecoc audit verify "}
    claims = {"ecoc-backup": ["ecoc-backups"], "ecoc-archive": ["ecoc-archive"], "ecoc-audit-verify": []}
    for name, cron_job in cron_jobs.items():
        assert cron_job["spec"]["concurrencyPolicy"] == "Forbid", name
        spec = pod_spec(cron_job)
        (container,) = spec["containers"]
        (script,) = container["args"]
        assert container["command"] == ["/bin/sh", "-c"] and script.startswith(commands[name]), name
        assert "--audit-public-key /etc/ecoc/audit-public/" in script, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert [v for v in volumes.values() if "secret" in v] == [], f"{name} must not see a private key"
        assert [v["persistentVolumeClaim"]["claimName"] for v in volumes.values()
                if "persistentVolumeClaim" in v] == claims[name], name
        assert volumes["audit-public-key"]["configMap"]["name"] == "ecoc-audit-public-key"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_carry_the_overlay_tag(rendered, overlay):
    (image,) = overlay_kustomization(overlay)["images"]
    expected = f"{image['newName']}:{image['newTag']}"
    for name, spec in workloads(rendered[overlay]):
        for container in all_containers(spec):
            assert container["image"] == expected, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscalers_own_the_replicas_and_disruption_budgets_keep_one_up(rendered, overlay):
    docs = rendered[overlay]
    deployments = objects(docs, "Deployment")
    autoscalers = objects(docs, "HorizontalPodAutoscaler")
    budgets = objects(docs, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        assert "replicas" not in deployment["spec"], f"{name}: an apply would reset what the autoscaler chose"
        hpa = autoscalers[name]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], f"{name}: its budget needs two pods"
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        # Utilization is relative to the CPU request: every container has one.
        assert pod_spec(deployment)["containers"][0]["resources"]["requests"]["cpu"]
        budget = budgets[name]["spec"]
        assert budget["maxUnavailable"] == 1 and "minAvailable" not in budget
        assert budget["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_labels_and_selectors(rendered, overlay):
    docs = rendered[overlay]
    for doc in docs:
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "ecoc", doc["metadata"]["name"]
    for name, doc in {**objects(docs, "Deployment"), **objects(docs, "Job"), **objects(docs, "CronJob")}.items():
        template_labels = pod_template(doc)["metadata"]["labels"]
        assert template_labels["app.kubernetes.io/part-of"] == "ecoc"
        assert template_labels["app.kubernetes.io/name"] == service_of(name)
        assert doc["metadata"]["labels"]["app.kubernetes.io/name"] == service_of(name)
        if doc["kind"] == "Deployment":
            assert doc["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": service_of(name)}
    gateway_selector = {"app.kubernetes.io/name": "gateway"}
    assert objects(docs, "Service")["ecoc-gateway"]["spec"]["selector"] == gateway_selector
    for name in objects(docs, "Deployment"):
        selector = {"app.kubernetes.io/name": service_of(name)}
        assert objects(docs, "PodDisruptionBudget")[name]["spec"]["selector"]["matchLabels"] == selector


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_is_exposed_through_service_and_ingress(rendered, overlay):
    docs = rendered[overlay]
    (port,) = objects(docs, "Service")["ecoc-gateway"]["spec"]["ports"]
    assert port["port"] == 80
    (container,) = pod_spec(objects(docs, "Deployment")["ecoc-gateway"])["containers"]
    target = {p["name"]: p["containerPort"] for p in container["ports"]}.get(port["targetPort"], port["targetPort"])
    assert target == 8000
    ingress = objects(docs, "Ingress")["ecoc-gateway"]["spec"]
    (rule,) = ingress["rules"]
    (backend,) = [p["backend"]["service"] for p in rule["http"]["paths"]]
    assert backend["name"] == "ecoc-gateway" and backend["port"] in ({"name": port["name"]}, {"number": 80})
    assert ingress["tls"][0]["hosts"] == [rule["host"]]


def test_each_overlay_has_its_own_namespace_and_host(rendered):
    namespaces, hosts = {}, {}
    for overlay, docs in rendered.items():
        namespace = overlay_kustomization(overlay)["namespace"]
        assert overlay in namespace
        assert list(objects(docs, "Namespace")) == [namespace]
        for doc in docs:
            if doc["kind"] != "Namespace":
                assert doc["metadata"]["namespace"] == namespace, doc["metadata"]["name"]
        (rule,) = objects(docs, "Ingress")["ecoc-gateway"]["spec"]["rules"]
        assert overlay in rule["host"]
        namespaces[overlay], hosts[overlay] = namespace, rule["host"]
    assert len(set(namespaces.values())) == len(rendered)
    assert len(set(hosts.values())) == len(rendered)


def test_operator_created_objects_are_documented(rendered):
    """Every Secret / ConfigMap the manifests need but do not contain is explained in the README."""
    readme = (K8S / "README.md").read_text()
    external = set()
    for docs in rendered.values():
        rendered_names = {d["metadata"]["name"] for d in docs}
        for _, spec in workloads(docs):
            for volume in spec.get("volumes") or []:
                external.add((volume.get("secret") or {}).get("secretName"))
                external.add((volume.get("configMap") or {}).get("name"))
                external.add((volume.get("persistentVolumeClaim") or {}).get("claimName"))
            for container in all_containers(spec):
                for env in container.get("env") or []:
                    ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                    if ref:
                        external.update({ref["name"], ref["key"]})
                for env_from in container.get("envFrom") or []:
                    external.add((env_from.get("secretRef") or {}).get("name"))
                    external.add((env_from.get("configMapRef") or {}).get("name"))
        for ingress in objects(docs, "Ingress").values():
            external.update(t["secretName"] for t in ingress["spec"].get("tls") or [])
        external -= rendered_names
    external.discard(None)
    assert {APP_SECRET, SEAL_KEYS_SECRET, SEAL_PASSPHRASES_SECRET, AUDIT_KEY_SECRET, IVI_CONFIGMAP} <= external
    assert [name for name in sorted(external) if name not in readme] == []


# --- monitoring: PodMonitor, PrometheusRule, runbooks ------------------------------------------

# Every metric an ecoc process exports (common/metrics.py, the services' collectors), by type. Counters and
# histograms are queried through their series names (`_total`; `_bucket`, `_sum`, `_count`).
METRICS = {
    "ecoc_worker": "counter", "ecoc_worker_seconds": "histogram",
    "ecoc_http_requests": "counter", "ecoc_http_request_seconds": "histogram",
    "ecoc_rpc_queue_consumers": "gauge", "ecoc_rpc_queue_messages": "gauge", "ecoc_dead_letters": "gauge",
    "ecoc_outbox_backlog": "gauge", "ecoc_outbox_oldest_seconds": "gauge",
    "ecoc_seals": "counter", "ecoc_seal_chunk_seconds": "histogram", "ecoc_seal_certificate_days_left": "gauge",
    "ecoc_validation_findings": "counter", "ecoc_vehicles": "gauge", "ecoc_audit_chain_ok": "gauge",
    "ecoc_webhook_attempts": "counter", "ecoc_webhook_attempt_seconds": "histogram", "ecoc_webhooks_disabled": "counter",
    "ecoc_deliveries": "gauge", "ecoc_delivery_exceptions": "gauge",
}
SERIES_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
SERIES = {name + suffix for name, kind in METRICS.items() for suffix in SERIES_SUFFIXES[kind]}
REQUIRED_ALERTS = {
    "EcocDeadLetters": "ecoc_dead_letters", "EcocOutboxStale": "ecoc_outbox_oldest_seconds",
    "EcocSealCertificateExpiring": "ecoc_seal_certificate_days_left", "EcocHttpErrors": "ecoc_http_requests_total",
    "EcocNoConsumer": "ecoc_rpc_queue_consumers", "EcocAuditChainBroken": "ecoc_audit_chain_ok",
    "EcocDeliveryFailed": "ecoc_delivery_exceptions",
    "EcocAuditFullCheckOverdue": "kube_cronjob_status_last_successful_time",
}
# kube-state-metrics' series an alert may name beside ecoc's own
KUBE_STATE_SERIES = {"kube_cronjob_status_last_successful_time"}
PROMQL_DURATION = re.compile(r"^[0-9]+[smhd]$")


def series_named(expr):
    return set(re.findall(r"\b(?:ecoc|kube)_[a-z_]+\b", expr))


def test_the_known_metrics_are_the_ones_the_code_exports():
    source = "\n".join(p.read_text() for d in ("common", "services", "gateway") for p in (ROOT / d).rglob("*.py"))
    defined = set(re.findall(r"""(?:Counter|Gauge|Histogram|Summary|MetricFamily)\(\s*["'](ecoc_[a-z_]+)["']""",
                             source))
    # ecoc_audit_chain_ok comes with the audit service's incremental chain verification.
    assert set(METRICS) - {"ecoc_audit_chain_ok"} <= defined
    assert defined - set(METRICS) == set(), "a new metric: add it here, and to the dashboard or an alert"


def check_custom_resource(doc):
    """What the CRDs would check: apiVersion, kind, metadata and the required spec fields."""
    assert doc["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(doc) == {"apiVersion", "kind", "metadata", "spec"}
    assert doc["metadata"]["name"] and doc["metadata"]["namespace"]
    spec = doc["spec"]
    if doc["kind"] == "PodMonitor":
        assert set(spec) == {"selector", "podMetricsEndpoints"}
        assert spec["selector"]["matchLabels"]
        for endpoint in spec["podMetricsEndpoints"]:
            assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout"}
            assert PROMQL_DURATION.match(endpoint["interval"]) and PROMQL_DURATION.match(endpoint["scrapeTimeout"])
    elif doc["kind"] == "PrometheusRule":
        assert set(spec) == {"groups"}
        for group in spec["groups"]:
            assert set(group) == {"name", "rules"} and group["rules"]
            for rule in group["rules"]:
                assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
                assert rule["alert"] and rule["expr"].strip()
                assert PROMQL_DURATION.match(rule.get("for", "0s")), rule["alert"]
                assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
    else:
        raise AssertionError(f"unexpected custom resource {doc['kind']}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_are_well_formed(rendered, overlay):
    custom = [d for d in rendered[overlay] if is_custom_resource(d)]
    assert {d["kind"] for d in custom} == {"PodMonitor", "PrometheusRule"}
    for doc in custom:
        check_custom_resource(doc)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_scrapes_the_ops_port_of_every_process(rendered, overlay):
    docs = rendered[overlay]
    (monitor,) = objects(docs, "PodMonitor").values()
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"
    selector = monitor["spec"]["selector"]["matchLabels"]
    for name, deployment in objects(docs, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), f"{name} is not scraped"
        (container,) = pod_spec(deployment)["containers"]
        assert "metrics" in {p["name"] for p in container["ports"]}, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_alerts_name_known_metrics_and_have_runbooks(rendered, overlay):
    (rule_doc,) = objects(rendered[overlay], "PrometheusRule").values()
    rules = [r for g in rule_doc["spec"]["groups"] for r in g["rules"]]
    seen = {}
    for rule in rules:
        named = series_named(rule["expr"])
        known = SERIES | KUBE_STATE_SERIES
        assert named and named <= known, f"{rule['alert']}: unknown metrics {named - known}"
        seen.setdefault(rule["alert"], set()).update(named)
        assert rule["labels"]["severity"] in ("warning", "critical")
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"]
        url = annotations["runbook_url"]
        assert url.endswith(f"/docs/runbooks/{rule['alert']}.md"), url
        runbook = (ROOT / "docs" / "runbooks" / f"{rule['alert']}.md").read_text()
        assert runbook.startswith(f"# {rule['alert']}\n")
        for section in ("## What it means", "## How to look", "## How to fix"):
            assert section in runbook, f"{rule['alert']}: runbook lacks {section!r}"
    for alert, metric in REQUIRED_ALERTS.items():
        assert metric in seen.get(alert, set()), alert
    runbooks = {p.stem for p in (ROOT / "docs" / "runbooks").glob("*.md")}
    assert runbooks == set(seen), "a runbook without its alert, or an alert without its runbook"


def test_alert_thresholds(rendered):
    (rule_doc,) = objects(rendered[OVERLAYS[0]], "PrometheusRule").values()
    rules = {}
    for group in rule_doc["spec"]["groups"]:
        for rule in group["rules"]:
            rules.setdefault(rule["alert"], []).append(rule)
    compact = {alert: [(re.sub(r"\s+", " ", r["expr"]), r.get("for"), r["labels"]["severity"]) for r in rs]
               for alert, rs in rules.items()}
    (dead,) = compact["EcocDeadLetters"]
    assert dead[0].endswith("> 0") and dead[1] == "5m"
    (outbox,) = compact["EcocOutboxStale"]
    assert outbox[0].endswith("> 300")
    assert sorted((e.rsplit("<", 1)[1].strip(), s) for e, _, s in compact["EcocSealCertificateExpiring"]) == [
        ("30", "warning"), ("7", "critical")]
    (errors,) = compact["EcocHttpErrors"]
    assert 'status=~"5.."' in errors[0] and "[10m]" in errors[0] and errors[0].endswith("> 0.05")
    (consumers,) = compact["EcocNoConsumer"]
    assert consumers[0].endswith("== 0") and consumers[1] == "2m"
    (chain,) = compact["EcocAuditChainBroken"]
    assert chain[0].endswith("== 0") and chain[2] == "critical"
    (overdue,) = compact["EcocAuditFullCheckOverdue"]
    assert 'cronjob="ecoc-audit-verify"' in overdue[0] and overdue[0].endswith("> 93600") and overdue[2] == "critical"


# --- network policies ---------------------------------------------------------------------------

def selects(policy, labels):
    wanted = policy["spec"]["podSelector"].get("matchLabels") or {}
    assert set(policy["spec"]["podSelector"]) <= {"matchLabels"}, "only matchLabels selectors here"
    return wanted.items() <= labels.items()


def allowed(docs, labels, direction):
    """{(peer, port)} a pod with `labels` may reach (egress) or be reached from (ingress); peer is a namespace
    name, 'internet' for an ipBlock, or '*' for anywhere."""
    out = set()
    for policy in objects(docs, "NetworkPolicy").values():
        if not selects(policy, labels):
            continue
        for rule in policy["spec"].get(direction) or []:
            peers = rule.get("to" if direction == "egress" else "from")
            assert rule.get("ports"), f"{policy['metadata']['name']}: a rule without ports opens every port"
            names = []
            for peer in peers or [None]:
                if peer is None:
                    names.append("*")
                elif "ipBlock" in peer:
                    assert peer["ipBlock"]["except"], "an ipBlock to the internet excludes the private ranges"
                    names.append("internet")
                else:
                    names.append(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
            out.update((n, p["port"]) for n in names for p in rule["ports"])
    return out


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default_and_allow_only_what_each_process_needs(rendered, overlay):
    docs = rendered[overlay]
    deny = objects(docs, "NetworkPolicy")["ecoc-default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for name, policy in objects(docs, "NetworkPolicy").items():
        if name != "ecoc-default-deny":  # each allows what its policyTypes say, and nothing else
            assert policy["spec"]["policyTypes"] == [k.capitalize() for k in ("ingress", "egress")
                                                     if k in policy["spec"]], name
    dependencies = {("kube-system", 53), ("*", 5432), ("*", 5672), ("observability", 4318)}
    for name, doc in {**objects(docs, "Deployment"), **objects(docs, "Job"), **objects(docs, "CronJob")}.items():
        labels = pod_template(doc)["metadata"]["labels"]
        egress = allowed(docs, labels, "egress")
        ingress = allowed(docs, labels, "ingress")
        if name == "ecoc-gateway":
            assert egress == dependencies | {("internet", 443)}, "the gateway reads the OIDC issuer's JWKS"
            assert ingress == {("monitoring", "metrics"), ("ingress-nginx", "http")}
        elif name == "ecoc-webhooks":
            assert egress == dependencies | {("internet", 443)}, "webhooks POST to the subscribers' receivers"
            assert ingress == {("monitoring", "metrics")}, name
        elif name == "ecoc-delivery":
            assert egress == dependencies | {("internet", 443)}, "delivery submits to the NAPs"
            assert ingress == {("monitoring", "metrics")}
        else:
            assert egress == dependencies, name
            assert ingress == {("monitoring", "metrics")}, name
    otlp = config_map(docs)["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    assert ".observability.svc:4318" in otlp, "the egress policy opens the collector in that namespace"


# --- PostgreSQL connection budget ---------------------------------------------------------------

SERVICE_CLASSES = {**{s: f"services.{s}.service:{s.capitalize()}Service" for s in SERVICES},
                   "gateway": "gateway.service:GatewayService"}
MIGRATE_CONNECTIONS = 1  # `ecoc migrate` migrates one database after the other, without a pool


class _Container:
    def __init__(self, service_name):
        self.service_name = service_name


def container_environment(docs, container):
    """The ECOC_* and other variables a container gets: its ConfigMap's keys and its own env (secrets
    as placeholders)."""
    env = {}
    cms = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    for env_from in container.get("envFrom") or []:
        if "configMapRef" in env_from:
            env.update(cms[env_from["configMapRef"]["name"]])
    for item in container.get("env") or []:
        env[item["name"]] = item.get("value", f"<{item['name']}>")
    return env


PLACEHOLDERS = {"ECOC_DATABASE_URL": "postgresql+psycopg://ecoc:secret@postgres.invalid:5432",
                "ECOC_AMQP_URI": "pyamqp://ecoc:secret@rabbitmq.invalid:5672/ecoc"}


def connections_per_pod(process, environment, monkeypatch):
    """The most connections one pod of `process` can open to PostgreSQL: pool size plus overflow of every
    engine its nameko dependencies create (set up as `ecoc run` would, without connecting)."""
    import importlib

    from nameko import config

    from nameko.extensions import DependencyProvider

    from common.config import nameko_config

    for key, value in {**environment, **PLACEHOLDERS}.items():
        monkeypatch.setenv(key, value)
    module, cls = SERVICE_CLASSES[process].split(":")
    service_class = getattr(importlib.import_module(module), cls)
    total = 0
    with config.patch(nameko_config(process), clear=True):
        for attr, provider in vars(service_class).items():
            if isinstance(provider, DependencyProvider) and "engine" in dir(provider):  # a pool of its own
                container = _Container(process)
                bound = provider.bind(container, attr)
                bound.setup()
                total += bound.engine.pool.size() + bound.engine.pool._max_overflow
                bound.engine.dispose()
    assert total, f"{process}: no database dependency found"
    return total


def connection_budget(docs):
    (namespace,) = objects(docs, "Namespace").values()
    annotations = namespace["metadata"]["annotations"]
    return (int(annotations["ecoc/postgres-max-connections"]),
            int(annotations["ecoc/postgres-reserved-connections"]))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_database_connections_fit_the_regions_budget(rendered, overlay, monkeypatch):
    """At the autoscalers' maximum, plus the pod a rolling update adds to each Deployment, plus the migration
    Job, every pool full: the region's PostgreSQL still has its reserved connections free."""
    docs = rendered[overlay]
    autoscalers = objects(docs, "HorizontalPodAutoscaler")
    needed = MIGRATE_CONNECTIONS
    table = {}
    for name, deployment in objects(docs, "Deployment").items():
        (container,) = pod_spec(deployment)["containers"]
        per_pod = connections_per_pod(service_of(name), container_environment(docs, container), monkeypatch)
        surge = deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        pods = autoscalers[name]["spec"]["maxReplicas"] + surge
        table[name] = (pods, per_pod)
        needed += pods * per_pod
    max_connections, reserved = connection_budget(docs)
    assert needed <= max_connections - reserved, f"{overlay}: {needed} connections needed: {table}"
    # The README's table says the same.
    readme = (K8S / "README.md").read_text()
    row = f"| {overlay} | {max_connections} | {reserved} | {needed} |"
    assert row in readme, f"README.md lacks the row {row!r}"


# --- settings each process reads ----------------------------------------------------------------

def settings_the_code_reads():
    """(names, patterns): every ECOC_* variable the code reads, and regular expressions of the ones it builds
    (a prefix such as ECOC_KEY_PASSPHRASE_ + entity, or f"ECOC_{service.upper()}_DATABASE_URL")."""
    names, patterns = set(), set()
    for directory in ("common", "services", "gateway", "cli"):
        for path in (ROOT / directory).rglob("*.py"):
            text = path.read_text()
            for name in re.findall(r"""(?<![f\w])["'](ECOC_[A-Z0-9_]+)["']""", text):
                if name.endswith("_"):
                    patterns.add(re.escape(name) + "[A-Z0-9_]+")
                else:
                    names.add(name)
            for template in re.findall(r"""\bf["'](ECOC_[^"']*)["']""", text):
                patterns.add("".join("[A-Z0-9_]+" if part.startswith("{") else re.escape(part)
                                     for part in re.split(r"(\{[^}]*\})", template)))
    return names, patterns


def reads(name, names, patterns):
    return name in names or any(re.fullmatch(p, name) for p in patterns)


# What each process cannot run without in production (beyond what Settings defaults for a laptop).
NEEDED_EVERYWHERE = {"ECOC_AMQP_URI", "ECOC_DATABASE_URL", "ECOC_LOCAL_MODE", "ECOC_DB_PREFIX", "ECOC_OPS_PORT",
                     "ECOC_OPS_HOST", "PSYCOPG_WAIT_FUNC"}
NEEDED = {
    "gateway": {"ECOC_INTERNAL_SECRET", "ECOC_JWT_ISSUER", "ECOC_JWT_AUDIENCE", "ECOC_GATEWAY_HOST",
                "ECOC_GATEWAY_PORT", "ECOC_IVI_SCHEMA"},
    "signing": {"ECOC_INTERNAL_SECRET", "ECOC_KEYS_DIR", "ECOC_IVI_SCHEMA"},
    "audit": {"ECOC_INTERNAL_SECRET", "ECOC_AUDIT_KEYS_DIR"},
    "webhooks": {"ECOC_INTERNAL_SECRET"},
    "delivery": {"ECOC_INTERNAL_SECRET", "ECOC_DELIVERY_CREDENTIALS_DIR"},
    **{s: {"ECOC_INTERNAL_SECRET", "ECOC_IVI_SCHEMA"} for s in ("approvals", "vehicles", "validation", "rollout")},
    "migrate": set(),
    "backup": {"ECOC_KEYS_DIR"},
    "archive": set(),
    "audit-verify": set(),
}
NOT_NEEDED = {p: {"ECOC_AMQP_URI"} for p in ("backup", "archive", "audit-verify")}  # PostgreSQL only


def test_the_settings_scan_finds_what_the_code_reads():
    names, patterns = settings_the_code_reads()
    assert {"ECOC_AMQP_URI", "ECOC_OPS_PORT", "ECOC_KEY_PROVIDER", "ECOC_XADES_ENTITIES"} <= names
    for built in ("ECOC_KEY_PASSPHRASE_ACME", "ECOC_SEAL_ALGORITHM_ACME", "ECOC_VEHICLES_DATABASE_URL"):
        assert reads(built, names, patterns), built
    for unknown in ("ECOC_", "ECOC_OPS_BIND", "ECOC_MAXWORKERS"):
        assert not reads(unknown, names, patterns), unknown


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_sets_only_settings_the_code_reads_and_all_it_needs(rendered, overlay):
    names, patterns = settings_the_code_reads()
    docs = rendered[overlay]
    for name, spec in workloads(docs):
        process = service_of(name)
        for container in all_containers(spec):
            env = container_environment(docs, container)
            unknown = [k for k in env if k.startswith("ECOC_") and not reads(k, names, patterns)]
            assert unknown == [], f"{name}: no code reads {unknown}"
            missing = ((NEEDED_EVERYWHERE - NOT_NEEDED.get(process, set())) | NEEDED[process]) - set(env)
            assert missing == set(), f"{name} lacks {sorted(missing)}"
            assert env["ECOC_LOCAL_MODE"] == "0"
            if process == "gateway":
                assert {"ECOC_JWT_SECRET", "ECOC_JWT_JWKS_URL"} & set(env), "the gateway cannot check tokens"
            if process == "audit":
                assert env["ECOC_AUDIT_KEYS_DIR"] != env["ECOC_KEYS_DIR"], "the audit key has its own directory"


# --- the renderer itself ------------------------------------------------------------------------

def test_configmap_hash_matches_kustomize():
    # Reference value from `kubectl kustomize` (kustomize v5.5.0) for these literals.
    doc = {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"A": "b", "B": "x y", "C": "a&b<c>"}}
    assert render.configmap_hash(doc) == "989mb7cb69"


def test_renderer_refuses_unsupported_kustomize_fields(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonAnnotations: {a: b}\n")
    with pytest.raises(render.RenderError, match="commonAnnotations"):
        render.render(tmp_path)


def _kustomize_command():
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


@pytest.mark.skipif(_kustomize_command() is None, reason="no kustomize or kubectl installed")
@pytest.mark.parametrize("directory", ["base"] + [f"overlays/{o}" for o in OVERLAYS])
def test_renderer_agrees_with_real_kustomize(directory):
    result = subprocess.run(_kustomize_command() + [str(K8S / directory)],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0 and "unknown command" in result.stderr:
        pytest.skip(f"{_kustomize_command()} cannot build kustomizations")
    assert result.returncode == 0, result.stderr
    real = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert render.render(K8S / directory) == real


# --- docker-compose.yml -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def interpolate(value):
    """Compose's ${VAR:-default} with every variable unset."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}", lambda m: m.group(1) or "", value)


def test_compose_every_long_running_service_has_a_healthcheck(compose):
    services = compose["services"]
    for name in PROCESSES:
        assert services[name]["healthcheck"]["test"] == ["CMD", "ecoc", "probe", name]
    assert "rabbitmq-diagnostics" in services["rabbitmq"]["healthcheck"]["test"]
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    for name, service in services.items():
        assert not (service.get("healthcheck") or {}).get("disable"), name


def test_compose_infrastructure(compose):
    services = compose["services"]
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3") and "management" in services["rabbitmq"]["image"]
    assert services["postgres"]["image"].split(":")[1].startswith("15")
    postgres_env = services["postgres"]["environment"]
    rabbit_env = services["rabbitmq"]["environment"]
    env = compose["x-ecoc-env"]
    user, password = postgres_env["POSTGRES_USER"], interpolate(postgres_env["POSTGRES_PASSWORD"])
    assert interpolate(env["ECOC_DATABASE_URL"]) == f"postgresql+psycopg://{user}:{password}@postgres:5432"
    amqp_user, amqp_password = rabbit_env["RABBITMQ_DEFAULT_USER"], interpolate(rabbit_env["RABBITMQ_DEFAULT_PASS"])
    assert interpolate(env["ECOC_AMQP_URI"]) == f"pyamqp://{amqp_user}:{amqp_password}@rabbitmq:5672/"


def test_compose_app_services_share_image_and_environment(compose):
    services = compose["services"]
    shared_env = compose["x-ecoc-env"]
    assert shared_env["PSYCOPG_WAIT_FUNC"] == "wait_selector"
    assert shared_env["ECOC_AMQP_HEARTBEAT"] == "15"
    images = set()
    for name in PROCESSES + ("migrate",):
        service = services[name]
        images.add(service["image"])
        assert service["environment"] == shared_env, name
        assert service["command"] == (["migrate"] if name == "migrate" else ["run", name])
        assert service["read_only"] is True and "/tmp" in service["tmpfs"], name
    assert len(images) == 1


def test_compose_migrate_is_a_one_shot_dependency(compose):
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["depends_on"]["rabbitmq"]["condition"] == "service_healthy"  # it declares the broker topology
    for name in PROCESSES:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["rabbitmq"]["condition"] == "service_healthy", name


def test_compose_gateway_publishes_8000(compose):
    ports = [interpolate(p) if isinstance(p, str) else p for p in compose["services"]["gateway"]["ports"]]
    published = {tuple(p.split(":")[-2:]) for p in ports if isinstance(p, str)}
    assert ("8000", "8000") in published
    for name in SERVICES + ("migrate",):
        assert "ports" not in compose["services"][name], name


def test_compose_traces_go_to_jaeger_over_otlp_http(compose):
    jaeger = compose["services"]["jaeger"]
    assert jaeger["image"].startswith("jaegertracing/all-in-one")
    assert jaeger["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    targets = {p.split(":")[-1] for p in jaeger["ports"]}
    assert {"16686", "4318"} <= targets
    assert compose["x-ecoc-env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"


def test_compose_volumes_keys_only_on_signing_audit_key_only_on_audit_schema_read_only(compose):
    services = compose["services"]
    keys_dir = compose["x-ecoc-env"]["ECOC_KEYS_DIR"]
    audit_keys_dir = compose["x-ecoc-env"]["ECOC_AUDIT_KEYS_DIR"]
    schema_dir = posixpath.dirname(compose["x-ecoc-env"]["ECOC_IVI_SCHEMA"])
    for name in PROCESSES + ("migrate",):
        mounts = {}
        for volume in services[name].get("volumes") or []:
            source, target, *mode = interpolate(volume).split(":")
            mounts[target] = (source, mode)
        assert (keys_dir in mounts) == (name == "signing"), name
        assert (audit_keys_dir in mounts) == (name == "audit"), name
        if name != "migrate":
            assert mounts[schema_dir] == ("../shared/ivi", ["ro"]), name
    assert "${ECOC_IVI_DIR:-../shared/ivi}" in services["signing"]["volumes"][0]
    ivi_dir = ROOT / "../shared/ivi"
    if ivi_dir.is_dir():
        assert (ivi_dir / "IVI2.0.xsd").is_file() and (ivi_dir / "xmldsig-core-schema.xsd").is_file()


PINNED_TAG = re.compile(r"^[^:@]+:v?[0-9]+\.[0-9]+\.[0-9]+$")


def test_compose_every_process_serves_its_ops_port(compose):
    env = compose["x-ecoc-env"]
    assert env["ECOC_OPS_PORT"] == str(OPS_PORT) and env["ECOC_OPS_HOST"] == "0.0.0.0"
    for name in PROCESSES:
        assert "9100" not in " ".join(map(str, compose["services"][name].get("ports") or [])), \
            f"{name}: the ops port stays on the compose network"


def test_compose_prometheus_scrapes_every_process(compose):
    prometheus = compose["services"]["prometheus"]
    assert PINNED_TAG.match(prometheus["image"]) and prometheus["image"].startswith("prom/prometheus:")
    mounts = dict(v.split(":")[:2] for v in prometheus["volumes"])
    config_file = [a for a in prometheus["command"] if a.startswith("--config.file=")][0].split("=", 1)[1]
    source = {target: src for src, target in mounts.items()}[config_file]
    assert source == "./deploy/prometheus/prometheus.yml"
    config = yaml.safe_load((ROOT / source).read_text())
    targets = [target for job in config["scrape_configs"] if job.get("metrics_path", "/metrics") == "/metrics"
               for static in job["static_configs"] for target in static["targets"]]
    assert sorted(targets) == sorted(f"{name}:{OPS_PORT}" for name in PROCESSES)
    assert set(targets) <= {f"{name}:{OPS_PORT}" for name in compose["services"]}


def test_compose_grafana_provisions_prometheus_and_the_dashboard(compose):
    grafana = compose["services"]["grafana"]
    assert PINNED_TAG.match(grafana["image"]) and grafana["image"].startswith("grafana/grafana:")
    assert grafana["depends_on"]["prometheus"]
    mounts = {}
    for volume in grafana["volumes"]:
        source, target, *mode = volume.split(":")
        mounts[target] = (source, mode)
    assert mounts["/etc/grafana/provisioning"] == ("./deploy/grafana/provisioning", ["ro"])
    provisioning = ROOT / "deploy" / "grafana" / "provisioning"
    (datasource,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"
    assert "127.0.0.1:9090:9090" in compose["services"]["prometheus"]["ports"]
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "ecoc.yml").read_text())["providers"]
    dashboards = {t: s for t, (s, _) in mounts.items() if t.startswith(provider["options"]["path"] + "/")}
    assert list(dashboards.values()) == ["./deploy/grafana/ecoc-dashboard.json"]
    for published in grafana["ports"] + compose["services"]["prometheus"]["ports"]:
        assert published.startswith("127.0.0.1:"), "dashboards and metrics are not for the network"


# --- Grafana dashboard --------------------------------------------------------------------------

DASHBOARD = ROOT / "deploy" / "grafana" / "ecoc-dashboard.json"


def dashboard_panels():
    dashboard = json.loads(DASHBOARD.read_text())
    return dashboard, [p for p in dashboard["panels"] if p["type"] != "row"]


def test_dashboard_queries_name_known_metrics_through_its_datasource_variable():
    dashboard, panels = dashboard_panels()
    assert [v["name"] for v in dashboard["templating"]["list"] if v["type"] == "datasource"] == ["datasource"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            named = series_named(target["expr"])
            assert named and named <= SERIES, f"{panel['title']}: {named - SERIES}"
            assert target["expr"].count("(") == target["expr"].count(")"), panel["title"]
        position = panel["gridPos"]
        assert position["x"] + position["w"] <= 24, panel["title"]


def test_dashboard_shows_what_an_operator_watches():
    _, panels = dashboard_panels()
    used = {}
    for panel in panels:
        for target in panel["targets"]:
            for series in series_named(target["expr"]):
                used.setdefault(series, []).append((panel["title"], target["expr"]))
    exprs = " ".join(t["expr"] for p in panels for t in p["targets"])
    # request rate, errors and latency per route
    assert "by (method, route)" in exprs and 'status=~"5.."' in exprs
    assert any("route" in e for _, e in used["ecoc_http_request_seconds_bucket"])
    # worker latency and failures per service
    assert any("service" in e for _, e in used["ecoc_worker_seconds_bucket"])
    assert any('outcome="failed"' in e for _, e in used["ecoc_worker_total"])
    for metric in ("ecoc_rpc_queue_consumers", "ecoc_rpc_queue_messages", "ecoc_dead_letters", "ecoc_outbox_backlog",
                   "ecoc_outbox_oldest_seconds", "ecoc_vehicles", "ecoc_seals_total", "ecoc_seal_chunk_seconds_bucket",
                   "ecoc_validation_findings_total", "ecoc_seal_certificate_days_left", "ecoc_audit_chain_ok"):
        assert metric in used, metric
    assert any("rule" in e for _, e in used["ecoc_validation_findings_total"])
    assert any("state" in e for _, e in used["ecoc_vehicles"])


# --- Dockerfile ---------------------------------------------------------------------------------

def dockerfile_instructions():
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    out = []
    for line in lines:
        instruction, _, args = line.partition(" ")
        out.append((instruction.upper(), args.strip()))
    return out


def dockerfile_stages():
    args = {}
    stages = []
    for instruction, value in dockerfile_instructions():
        if instruction == "ARG" and not stages:
            key, _, default = value.partition("=")
            args[key] = default
        elif instruction == "FROM":
            base = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), ""), value.split()[0])
            stages.append({"base": base, "instructions": []})
        elif stages:
            stages[-1]["instructions"].append((instruction, value))
    return stages


def env_pairs(value):
    return dict(token.split("=", 1) for token in shlex.split(value))


def test_dockerfile_is_multi_stage_on_python_311_slim():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    for stage in stages:
        assert stage["base"].startswith("python:3.11-slim"), stage["base"]
    final = stages[-1]["instructions"]
    assert any(i == "COPY" and v.startswith("--from=") for i, v in final)
    runs = " ".join(v for stage in stages for i, v in stage["instructions"] if i == "RUN")
    assert "xmlsec1" not in runs


def test_dockerfile_runs_as_non_root_with_exec_form_entrypoint():
    final = dockerfile_stages()[-1]["instructions"]
    users = [v for i, v in final if i == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert users[-1].split(":")[0] in ("10001", "ecoc")
    (entrypoint,) = [json.loads(v) for i, v in final if i == "ENTRYPOINT"]
    (cmd,) = [json.loads(v) for i, v in final if i == "CMD"]
    assert entrypoint == ["ecoc"]
    assert cmd == ["run", "gateway"]
    assert [v for i, v in final if i == "EXPOSE"] == ["8000"]


def test_dockerfile_environment_matches_the_deployments(rendered):
    env = {}
    for instruction, value in dockerfile_stages()[-1]["instructions"]:
        if instruction == "ENV":
            env.update(env_pairs(value))
    assert env["PSYCOPG_WAIT_FUNC"] == "wait_selector"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["ECOC_LOCAL_MODE"] == "0"
    assert env["ECOC_GATEWAY_HOST"] == "0.0.0.0" and env["ECOC_GATEWAY_PORT"] == "8000"
    compose_env = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-ecoc-env"]
    for overlay_docs in rendered.values():
        data = config_map(overlay_docs)["data"]
        for key in ("ECOC_IVI_SCHEMA", "ECOC_KEYS_DIR"):
            assert env[key] == data[key] == compose_env[key], key


def test_dockerignore_keeps_the_build_context_small():
    entries = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".venv", ".git", "var", ".pytest_cache"} <= entries
    assert not {"common", "services", "gateway", "cli", "pyproject.toml"} & entries


def _as_service(value, name):
    """`value` (approvals.yaml's Deployment) with every mention of approvals made one of `name`."""
    if isinstance(value, dict):
        return {k: _as_service(v, name) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_service(v, name) for v in value]
    return value.replace("approvals", name) if isinstance(value, str) else value


def _without_own_parts(deployment):
    """The Deployment without what a service may set for itself: resources, secret references, volumes."""
    doc = json.loads(json.dumps(deployment))
    spec = doc["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    own = {
        "env": container.pop("env"), "env_from": container.pop("envFrom"), "mounts": container.pop("volumeMounts"),
        "volumes": spec.pop("volumes"), "resources": container.pop("resources"),
    }
    return doc, own


@pytest.mark.parametrize("name", [s for s in SERVICES if s != "approvals"])
def test_every_backend_deployment_is_approvals_up_to_its_name_resources_and_secrets(name):
    """One template in fact: a service's Deployment differs from approvals.yaml only in its name, its resources
    and the secrets and volumes it needs of its own (the render test checks those)."""
    template = yaml.safe_load((K8S / "base" / "approvals.yaml").read_text())
    mine = yaml.safe_load((K8S / "base" / f"{name}.yaml").read_text())
    expected, base = _without_own_parts(_as_service(template, name))
    actual, own = _without_own_parts(mine)
    assert actual == expected
    for part in ("env", "env_from", "mounts", "volumes"):  # what approvals has, every service has; more only of its own
        assert all(item in own[part] for item in base[part]), (name, part)
