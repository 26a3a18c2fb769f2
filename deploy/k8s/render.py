#!/usr/bin/env python3
"""Render a kustomization directory without a kustomize binary.

    python deploy/k8s/render.py deploy/k8s/overlays/eu-west > eu-west.yaml

`kubectl kustomize DIR` (or `kustomize build DIR`) gives the same objects; this module exists so
the tests and CI can render offline with nothing but PyYAML. It implements only the kustomize
features that ecoc's files use and refuses every other field, so the files stay plain kustomize:

- resources: local files and directories (no URLs, no components);
- namespace (also renames a Namespace object, as kustomize does);
- labels: pairs with includeSelectors false and optional includeTemplates;
- images: name / newName / newTag / digest;
- replicas: name / count;
- patches: strategic merge or JSON 6902, from `path` or inline `patch`, optional `target`;
- configMapGenerator: literals, behavior create / merge / replace, options, generatorOptions;
  the name hash suffix is computed as kustomize computes it, and references to the generated
  ConfigMap in pod specs are rewritten.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
import sys
from pathlib import Path

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_FIELDS = {
    "apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas", "patches",
    "configMapGenerator", "generatorOptions",
}
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
    "StorageClass", "IngressClass", "PriorityClass", "RuntimeClass", "APIService",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
}
# Where each workload kind keeps its pod template.
TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
REPLICA_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
# Strategic-merge keys of the lists a patch here may touch; other lists are replaced whole.
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "mountPath", "imagePullSecrets": "name",
}
# kustomize's legacy output order.
ORDER_FIRST = [
    "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
    "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap",
    "Secret", "Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume",
    "PersistentVolumeClaim", "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
]
ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


class RenderError(Exception):
    """The kustomization uses something this renderer does not support, or is invalid."""


class Resource:
    """One object being built, and whether it still needs kustomize's name hash suffix."""

    def __init__(self, doc: dict, source: str, needs_hash: bool = False):
        self.doc = doc
        self.source = source
        self.needs_hash = needs_hash

    @property
    def kind(self):
        return self.doc.get("kind")

    @property
    def name(self):
        return self.doc.get("metadata", {}).get("name")

    @property
    def namespace(self):
        return self.doc.get("metadata", {}).get("namespace") or ""

    @property
    def group(self):
        api_version = self.doc.get("apiVersion", "")
        return api_version.split("/")[0] if "/" in api_version else ""

    @property
    def version(self):
        return self.doc.get("apiVersion", "").split("/")[-1]

    def key(self):
        return (self.group, self.kind, self.namespace, self.name)

    def labels(self):
        return self.doc.setdefault("metadata", {}).setdefault("labels", {})


# --- entry points -------------------------------------------------------------------------------

def render(directory) -> list[dict]:
    """Build the kustomization in `directory` and return its objects in kustomize's order."""
    resources = _build(Path(directory).resolve(), stack=())
    _apply_name_hashes(resources)
    resources.sort(key=_order_key)
    return [r.doc for r in resources]


def dump(docs) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: render.py KUSTOMIZATION_DIR\n")
        return 2
    try:
        sys.stdout.write(dump(render(argv[0])))
    except RenderError as exc:
        sys.stderr.write(f"render.py: {exc}\n")
        return 1
    return 0


# --- building -----------------------------------------------------------------------------------

def _load_kustomization(directory: Path) -> dict:
    for name in KUSTOMIZATION_FILES:
        path = directory / name
        if path.is_file():
            data = yaml.safe_load(path.read_text()) or {}
            break
    else:
        raise RenderError(f"no kustomization file in {directory}")
    unknown = set(data) - SUPPORTED_FIELDS
    if unknown:
        raise RenderError(f"{path}: unsupported fields {sorted(unknown)}")
    if data.get("kind", "Kustomization") != "Kustomization":
        raise RenderError(f"{path}: only kind Kustomization is supported")
    return data


def _build(directory: Path, stack) -> list[Resource]:
    if directory in stack:
        raise RenderError(f"cycle through {directory}")
    k = _load_kustomization(directory)
    resources: list[Resource] = []
    for entry in k.get("resources") or []:
        if "://" in entry or entry.startswith("git@"):
            raise RenderError(f"remote resource {entry!r} is not supported")
        path = (directory / entry).resolve()
        if path.is_dir():
            loaded = _build(path, stack + (directory,))
        elif path.is_file():
            loaded = _load_file(path)
        else:
            raise RenderError(f"{directory}: resource {entry!r} not found")
        for resource in loaded:
            _add(resources, resource)

    options = k.get("generatorOptions") or {}
    _check_fields(options, {"disableNameSuffixHash", "labels", "annotations"}, "generatorOptions")
    for generator in k.get("configMapGenerator") or []:
        _generate_configmap(resources, generator, options, directory)

    # The builtin transformers, in the order kustomize runs them.
    for patch in k.get("patches") or []:
        _apply_patch(resources, patch, directory)
    if k.get("namespace"):
        _set_namespace(resources, k["namespace"])
    for spec in k.get("labels") or []:
        _apply_labels(resources, spec)
    for spec in k.get("replicas") or []:
        _apply_replicas(resources, spec)
    for spec in k.get("images") or []:
        _apply_image(resources, spec)
    return resources


def _load_file(path: Path) -> list[Resource]:
    out = []
    for doc in yaml.safe_load_all(path.read_text()):
        if doc is None:
            continue
        if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind"):
            raise RenderError(f"{path}: every document needs apiVersion and kind")
        if doc["kind"].endswith("List"):
            raise RenderError(f"{path}: List objects are not supported")
        if not doc.get("metadata", {}).get("name"):
            raise RenderError(f"{path}: {doc['kind']} without metadata.name")
        out.append(Resource(doc=doc, source=str(path)))
    return out


def _add(resources, resource):
    if any(r.key() == resource.key() for r in resources):
        raise RenderError(f"duplicate resource {resource.key()} from {resource.source}")
    resources.append(resource)


def _check_fields(mapping, allowed, where):
    unknown = set(mapping) - set(allowed)
    if unknown:
        raise RenderError(f"{where}: unsupported fields {sorted(unknown)}")


# --- configMapGenerator -------------------------------------------------------------------------

def _parse_literal(literal):
    key, sep, value = str(literal).partition("=")
    if not sep or not CONFIGMAP_KEY.match(key):
        raise RenderError(f"invalid configMapGenerator literal {literal!r}, expected KEY=VALUE")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return key, value


def _generate_configmap(resources, generator, global_options, directory):
    _check_fields(generator, {"name", "namespace", "behavior", "literals", "options"},
                  f"{directory} configMapGenerator")
    gen_options = generator.get("options") or {}
    _check_fields(gen_options, {"disableNameSuffixHash", "labels", "annotations"}, "options")
    name = generator.get("name")
    if not name:
        raise RenderError(f"{directory}: configMapGenerator without a name")
    data = {}
    for literal in generator.get("literals") or []:
        key, value = _parse_literal(literal)
        data[key] = value
    labels = {**(global_options.get("labels") or {}), **(gen_options.get("labels") or {})}
    annotations = {**(global_options.get("annotations") or {}), **(gen_options.get("annotations") or {})}
    disable_hash = gen_options.get("disableNameSuffixHash", global_options.get("disableNameSuffixHash", False))
    namespace = generator.get("namespace") or ""

    behavior = generator.get("behavior", "create")
    existing = [r for r in resources if r.kind == "ConfigMap" and r.name == name and r.namespace == namespace]
    if behavior == "create":
        if existing:
            raise RenderError(f"configMapGenerator {name!r}: already exists (use behavior merge/replace)")
        metadata = {"name": name}
        if namespace:
            metadata["namespace"] = namespace
        if labels:
            metadata["labels"] = {k: str(v) for k, v in labels.items()}
        if annotations:
            metadata["annotations"] = {k: str(v) for k, v in annotations.items()}
        doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}
        resources.append(Resource(doc=doc, source=f"{directory} configMapGenerator", needs_hash=not disable_hash))
    elif behavior in ("merge", "replace"):
        if len(existing) != 1:
            raise RenderError(f"configMapGenerator {name!r}: behavior {behavior} needs one existing ConfigMap")
        target = existing[0]
        if behavior == "merge":
            target.doc.setdefault("data", {}).update(data)
        else:
            target.doc["data"] = data
        metadata = target.doc.setdefault("metadata", {})
        if labels:
            metadata.setdefault("labels", {}).update({k: str(v) for k, v in labels.items()})
        if annotations:
            metadata.setdefault("annotations", {}).update({k: str(v) for k, v in annotations.items()})
        if "disableNameSuffixHash" in gen_options or "disableNameSuffixHash" in global_options:
            target.needs_hash = not disable_hash
    else:
        raise RenderError(f"configMapGenerator {name!r}: unknown behavior {behavior!r}")


def configmap_hash(doc) -> str:
    """kustomize's name suffix: sha256 over Go's JSON of kind, data and an empty name (sic)."""
    encoded = {"kind": "ConfigMap", "name": "", "data": doc.get("data") or {}}
    if isinstance(doc.get("binaryData"), dict):
        encoded["binaryData"] = doc["binaryData"]
    text = json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Go's encoding/json escapes these where Python does not.
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def _apply_name_hashes(resources):
    renamed = {}
    for r in resources:
        if r.needs_hash and r.kind == "ConfigMap":
            new_name = f"{r.name}-{configmap_hash(r.doc)}"
            renamed[(r.namespace, r.name)] = new_name
            r.doc["metadata"]["name"] = new_name
            r.needs_hash = False
    if not renamed:
        return
    for r in resources:
        for pod_spec in _pod_specs(r):
            _rename_configmap_refs(pod_spec, lambda name, ns=r.namespace: renamed.get((ns, name), name))


def _rename_configmap_refs(pod_spec, rename):
    for volume in pod_spec.get("volumes") or []:
        if "configMap" in volume and volume["configMap"].get("name"):
            volume["configMap"]["name"] = rename(volume["configMap"]["name"])
        for source in (volume.get("projected") or {}).get("sources") or []:
            if "configMap" in source and source["configMap"].get("name"):
                source["configMap"]["name"] = rename(source["configMap"]["name"])
    for container in _containers(pod_spec):
        for env in container.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("configMapKeyRef")
            if ref and ref.get("name"):
                ref["name"] = rename(ref["name"])
        for env_from in container.get("envFrom") or []:
            ref = env_from.get("configMapRef")
            if ref and ref.get("name"):
                ref["name"] = rename(ref["name"])


# --- transformers -------------------------------------------------------------------------------

def _template(resource):
    path = TEMPLATE_PATHS.get(resource.kind)
    node = resource.doc
    if not path:
        return None
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _pod_specs(resource):
    if resource.kind == "Pod":
        return [resource.doc.setdefault("spec", {})]
    template = _template(resource)
    return [template.setdefault("spec", {})] if template is not None else []


def _containers(pod_spec):
    for field in CONTAINER_LISTS:
        yield from pod_spec.get(field) or []


def _set_namespace(resources, namespace):
    for r in resources:
        if r.kind == "Namespace":
            r.doc["metadata"]["name"] = namespace
        elif r.kind not in CLUSTER_SCOPED:
            r.doc.setdefault("metadata", {})["namespace"] = namespace


def _apply_labels(resources, spec):
    _check_fields(spec, {"pairs", "includeSelectors", "includeTemplates"}, "labels")
    if spec.get("includeSelectors"):
        raise RenderError("labels with includeSelectors: true are not supported (selectors are immutable)")
    pairs = {str(k): str(v) for k, v in (spec.get("pairs") or {}).items()}
    for r in resources:
        r.labels().update(pairs)
        if spec.get("includeTemplates"):
            if r.kind == "CronJob":
                job_template = r.doc.setdefault("spec", {}).setdefault("jobTemplate", {})
                job_template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
            template = _template(r)
            if template is not None:
                template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def _apply_replicas(resources, spec):
    _check_fields(spec, {"name", "count"}, "replicas")
    matched = [r for r in resources if r.kind in REPLICA_KINDS and r.name == spec.get("name")]
    if not matched:
        raise RenderError(f"replicas: no workload named {spec.get('name')!r}")
    for r in matched:
        r.doc.setdefault("spec", {})["replicas"] = int(spec["count"])


def split_image(image):
    """'reg/name:tag@sha256:…' → (name, tag, digest)."""
    name, _, digest = image.partition("@")
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
    return name, tag, digest


def _apply_image(resources, spec):
    _check_fields(spec, {"name", "newName", "newTag", "digest"}, "images")
    for r in resources:
        for pod_spec in _pod_specs(r):
            for container in _containers(pod_spec):
                name, tag, digest = split_image(container.get("image", ""))
                if name != spec["name"]:
                    continue
                name = spec.get("newName", name)
                if spec.get("digest"):
                    container["image"] = f"{name}@{spec['digest']}"
                elif spec.get("newTag") is not None:
                    container["image"] = f"{name}:{spec['newTag']}"
                else:
                    container["image"] = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


# --- patches ------------------------------------------------------------------------------------

def _apply_patch(resources, spec, directory):
    _check_fields(spec, {"path", "patch", "target"}, "patches")
    if ("path" in spec) == ("patch" in spec):
        raise RenderError("a patch needs exactly one of path / patch")
    text = (directory / spec["path"]).read_text() if "path" in spec else spec["patch"]
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    target = spec.get("target")
    if len(docs) == 1 and isinstance(docs[0], list):
        if not target:
            raise RenderError("a JSON 6902 patch needs a target")
        matched = _select(resources, target)
        for r in matched:
            r.doc = _json6902(r.doc, docs[0])
        return
    for patch in docs:
        if not isinstance(patch, dict):
            raise RenderError("a strategic-merge patch must be a mapping")
        if target:
            matched = _select(resources, target)
        else:
            pseudo = Resource(doc=patch, source="patch")
            matched = [r for r in resources
                       if (r.kind, r.name, r.group) == (pseudo.kind, pseudo.name, pseudo.group)
                       and (not pseudo.namespace or r.namespace == pseudo.namespace)]
            if not matched:
                raise RenderError(f"patch for {pseudo.kind}/{pseudo.name} matches no resource")
        for r in matched:
            body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}
            _strategic_merge(r.doc, copy.deepcopy(body))


def _select(resources, target):
    _check_fields(target, {"group", "version", "kind", "name", "namespace", "labelSelector"}, "target")
    selector = {}
    for term in filter(None, (target.get("labelSelector") or "").split(",")):
        key, sep, value = term.partition("=")
        if not sep or key.endswith("!"):
            raise RenderError(f"labelSelector term {term!r}: only key=value is supported")
        selector[key.strip()] = value.strip()

    def matches(pattern, value):
        return pattern is None or re.fullmatch(pattern, value or "") is not None

    matched = [r for r in resources
               if matches(target.get("kind"), r.kind) and matches(target.get("name"), r.name)
               and matches(target.get("namespace"), r.namespace)
               and ("group" not in target or target["group"] == r.group)
               and ("version" not in target or target["version"] == r.version)
               and all(r.doc.get("metadata", {}).get("labels", {}).get(k) == v for k, v in selector.items())]
    if not matched:
        raise RenderError(f"patch target {target} matches no resource")
    return matched


def _strategic_merge(target: dict, patch: dict):
    for key, value in patch.items():
        if key.startswith("$"):
            raise RenderError(f"strategic-merge directive {key} is not supported")
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _strategic_merge(target[key], value)
        elif isinstance(value, list) and isinstance(target.get(key), list) and key in MERGE_KEYS:
            merge_key = MERGE_KEYS[key]
            for item in value:
                if not isinstance(item, dict) or merge_key not in item:
                    raise RenderError(f"list {key!r} items need their merge key {merge_key!r}")
                for existing in target[key]:
                    if isinstance(existing, dict) and existing.get(merge_key) == item[merge_key]:
                        _strategic_merge(existing, item)
                        break
                else:
                    target[key].append(item)
        else:
            target[key] = value


def _pointer(path):
    if not path.startswith("/"):
        raise RenderError(f"JSON pointer {path!r} must start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _json6902(doc, operations):
    doc = copy.deepcopy(doc)
    for op in operations:
        kind = op.get("op")
        if kind not in ("add", "replace", "remove", "test"):
            raise RenderError(f"JSON 6902 op {kind!r} is not supported")
        *parents, last = _pointer(op["path"])
        node = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            index = len(node) if (last == "-" and kind == "add") else int(last)
            if kind == "add":
                node.insert(index, copy.deepcopy(op["value"]))
            elif kind == "replace":
                node[index] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del node[index]
            elif node[index] != op["value"]:
                raise RenderError(f"JSON 6902 test failed at {op['path']}")
        else:
            if kind in ("replace", "remove", "test") and last not in node:
                raise RenderError(f"JSON 6902 {kind}: {op['path']} does not exist")
            if kind in ("add", "replace"):
                node[last] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del node[last]
            elif node[last] != op["value"]:
                raise RenderError(f"JSON 6902 test failed at {op['path']}")
    return doc


def _order_key(resource):
    kind = resource.kind
    if kind in ORDER_FIRST:
        rank = (0, ORDER_FIRST.index(kind), "")
    elif kind in ORDER_LAST:
        rank = (2, ORDER_LAST.index(kind), "")
    else:
        rank = (1, 0, f"{resource.doc.get('apiVersion')}/{kind}")
    return rank + (resource.namespace, resource.name)


if __name__ == "__main__":
    sys.exit(main())
