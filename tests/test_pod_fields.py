"""Pod-spec fields of real workloads: rendered as Kubernetes spells them, checked at render time by the
bundled strict Kubernetes schema and the API server's rules, each problem at its spec line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, imported_packages
from k8s_schemas import schema_errors
from k8s_trees import problems_of

from wlid_render.emit.k8s import emit_kubernetes
from wlid_render.errors import Problem
from wlid_render.plan import kube_schema, pod_fields
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.workflow.pipeline import render_source

HEAD = """\
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata:
  name: shop
azure:
  subscriptionId: 11111111-1111-1111-1111-111111111111
  resourceGroup: rg-shop
  location: westeurope
cluster:
  name: aks-shop
identities:
  - name: api-identity
serviceAccounts:
  - name: api
    namespace: shop
    identity: api-identity
workloads:
"""

FULL = (
    HEAD
    + """\
  - name: api
    kind: Deployment
    serviceAccount: api
    replicas: 2
    initContainers:
      - name: migrate
        image: ghcr.io/example/migrate:1.0
        env:
          DB_PASSWORD:
            secretKeyRef: {name: db, key: password}
      - name: proxy
        image: ghcr.io/example/proxy:1.0
        restartPolicy: Always
        readinessProbe:
          tcpSocket: {port: 15000}
    containers:
      - name: api
        image: ghcr.io/example/api:1.0
        imagePullPolicy: IfNotPresent
        command: [/app/api]
        env:
          MODE: fast
          POD_NAME:
            fieldRef: {fieldPath: metadata.name}
          MEMORY_LIMIT:
            resourceFieldRef: {resource: limits.memory, divisor: 1Mi}
          FEATURES:
            configMapKeyRef: {name: settings, key: features, optional: true}
        envFrom:
          - configMapRef: {name: settings}
          - secretRef: {name: extra}
            prefix: EXTRA_
        ports: [8080]
        resources: {limits: {memory: 256Mi}}
        volumeMounts:
          - {name: cache, mountPath: /cache}
          - {name: kv, mountPath: /mnt/secrets, readOnly: true}
        livenessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 10
        readinessProbe:
          httpGet:
            path: /ready
            port: 8080
            httpHeaders: [{name: X-Probe, value: "1"}]
        startupProbe:
          exec: {command: [cat, /tmp/started]}
          failureThreshold: 30
        lifecycle:
          preStop: {sleep: {seconds: 5}}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
    volumes:
      - name: cache
        emptyDir: {sizeLimit: 1Gi}
      - name: kv
        csi:
          driver: secrets-store.csi.k8s.io
          readOnly: true
          volumeAttributes: {secretProviderClass: shop-kv}
    securityContext:
      runAsNonRoot: true
      fsGroup: 2000
      seccompProfile: {type: RuntimeDefault}
    imagePullSecrets: [acr-pull, {name: ghcr-pull}]
    tolerations:
      - {key: dedicated, operator: Equal, value: api, effect: NoSchedule}
    affinity:
      podAntiAffinity:
        preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector: {matchLabels: {app.kubernetes.io/name: api}}
    priorityClassName: shop-high
    podTemplate:
      terminationGracePeriodSeconds: 60
      automountServiceAccountToken: false
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector: {matchLabels: {app.kubernetes.io/name: api}}
"""
)

SIMPLE = (
    HEAD
    + """\
  - name: api
    kind: Deployment
    serviceAccount: api
    containers:
      - name: api
        image: ghcr.io/example/api:1.0
"""
)


def render_objects(text: str) -> dict[str, dict[str, Any]]:
    """kind/name -> object of the base, as read back from the rendered YAML."""
    plan = plan_source(load_text(text, "spec.yaml"))
    objects = {}
    for artifact in emit_kubernetes(plan):
        if artifact.path.startswith("k8s/base/") and not artifact.path.endswith("kustomization.yaml"):
            for doc in yaml.safe_load_all(artifact.text):
                objects[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return objects


def line_of(text: str, needle: str, after: str = "") -> int:
    """1-based number of the first line holding `needle` (after the first line holding `after`)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def the_problem(text: str, contains: str) -> Problem:
    found = [p for p in problems_of(text) if contains in p.message]
    assert len(found) == 1, [p.format() for p in problems_of(text)]
    return found[0]


# -- rendering ------------------------------------------------------------------------------------
def test_every_field_lands_in_the_pod_template_as_kubernetes_spells_it() -> None:
    deployment = render_objects(FULL)["Deployment/api"]
    spec = deployment["spec"]["template"]["spec"]
    assert list(spec) == [
        "serviceAccountName",
        "initContainers",
        "containers",
        "volumes",
        "securityContext",
        "imagePullSecrets",
        "tolerations",
        "affinity",
        "priorityClassName",
        "terminationGracePeriodSeconds",
        "automountServiceAccountToken",
        "topologySpreadConstraints",
    ]
    assert spec["imagePullSecrets"] == [{"name": "acr-pull"}, {"name": "ghcr-pull"}]
    assert spec["automountServiceAccountToken"] is False
    (api,) = spec["containers"]
    assert list(api) == [
        "name",
        "image",
        "imagePullPolicy",
        "command",
        "env",
        "envFrom",
        "ports",
        "resources",
        "volumeMounts",
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "lifecycle",
        "securityContext",
    ]
    assert api["env"] == [
        {"name": "MODE", "value": "fast"},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {
            "name": "MEMORY_LIMIT",
            "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
        },
        {
            "name": "FEATURES",
            "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "features", "optional": True}},
        },
    ]
    migrate, proxy = spec["initContainers"]
    assert migrate["env"] == [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
    ]
    assert proxy["restartPolicy"] == "Always"
    assert deployment["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"


def test_rendered_objects_pass_the_upstream_strict_schema() -> None:
    """kubernetes-validate's own copy of the Kubernetes 1.32 strict schemas, not the vendored one."""
    objects = render_objects(FULL)
    assert objects
    for name, obj in objects.items():
        assert schema_errors(obj) == [], name


def test_a_restart_policy_of_the_pod_template_wins_over_the_job_default() -> None:
    text = SIMPLE.replace("kind: Deployment", "kind: Job") + "    podTemplate: {restartPolicy: Never}\n"
    job = render_objects(text)["Job/api"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    default = render_objects(SIMPLE.replace("kind: Deployment", "kind: Job"))["Job/api"]
    assert default["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"


def test_a_spec_without_the_fields_renders_as_before() -> None:
    spec = render_objects(SIMPLE)["Deployment/api"]["spec"]["template"]["spec"]
    assert spec == {
        "serviceAccountName": "api",
        "containers": [{"name": "api", "image": "ghcr.io/example/api:1.0"}],
    }


MULTI_ENV = (
    HEAD.replace("workloads:\n", "")
    + """\
workloads:
  - name: api
    kind: Deployment
    serviceAccount: api
    containers:
      - name: api
        image: ghcr.io/example/api:1.0
        readinessProbe:
          httpGet: {path: "/ready/${env}", port: 8080}
        volumeMounts: [{name: cache, mountPath: /cache}]
    volumes: [{name: cache, emptyDir: {}}]
    tolerations: [{key: pool, operator: Equal, value: "${vars.pool}", effect: NoSchedule}]
    podTemplate: {terminationGracePeriodSeconds: 30}
environments:
  dev: {vars: {pool: small}}
  prod: {vars: {pool: large}}
"""
)


def _kustomize(folder: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.mark.kubectl
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize v5) is not on PATH")
def test_kubectl_builds_each_environment_with_its_own_values(tmp_path: Path) -> None:
    """Values that differ between environments go to overlay patches; kubectl merges them right."""
    rendering = render_source(load_text(MULTI_ENV, "spec.yaml"))
    for artifact in rendering.artifacts:
        target = tmp_path / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(artifact.text, "utf-8")
    for env, pool in (("dev", "small"), ("prod", "large")):
        (deployment,) = [
            d for d in _kustomize(tmp_path / "k8s" / "overlays" / env) if d["kind"] == "Deployment"
        ]
        spec = deployment["spec"]["template"]["spec"]
        assert spec["containers"][0]["readinessProbe"]["httpGet"] == {"path": f"/ready/{env}", "port": 8080}
        assert spec["tolerations"] == [
            {"key": "pool", "operator": "Equal", "value": pool, "effect": "NoSchedule"}
        ]
        assert spec["volumes"] == [{"name": "cache", "emptyDir": {}}]
        assert spec["terminationGracePeriodSeconds"] == 30
        assert schema_errors(deployment) == []


@pytest.mark.kubectl
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize v5) is not on PATH")
def test_go_reads_the_rendered_pod_fields_as_wlid_meant(tmp_path: Path) -> None:
    """`kubectl label --local` parses the file with Go's YAML reader: every value reads back the same."""
    plan = plan_source(load_text(FULL, "spec.yaml"))
    (artifact,) = [a for a in emit_kubernetes(plan) if a.path.endswith("deployments.yaml")]
    target = tmp_path / "deployments.yaml"
    target.write_text(artifact.text, "utf-8")
    result = subprocess.run(
        ["kubectl", "label", "--local", "-f", str(target), "checked=yes", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    read_by_go = json.loads(result.stdout)
    del read_by_go["metadata"]["labels"]["checked"]
    assert read_by_go == yaml.safe_load(artifact.text)


# -- schema errors at their spec lines ------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "message", "path", "line_needle"),
    [
        (
            "httpGet: {path: /healthz, port: 8080}",
            "httpGet: {path: /healthz, prot: 8080}",
            "unknown key 'prot'",
            "workloads[0].containers[0].livenessProbe.httpGet.prot",
            "prot: 8080",
        ),
        (
            "periodSeconds: 10",
            "periodSeconds: ten",
            "expected an integer, got a string ('ten')",
            "workloads[0].containers[0].livenessProbe.periodSeconds",
            "periodSeconds: ten",
        ),
        (
            "emptyDir: {sizeLimit: 1Gi}",
            "emptydir: {sizeLimit: 1Gi}",
            "unknown key 'emptydir'",
            "workloads[0].volumes[0].emptydir",
            "emptydir:",
        ),
        (
            "fsGroup: 2000",
            "fsGroup: [2000]",
            "expected an integer, got a list",
            "workloads[0].securityContext.fsGroup",
            "fsGroup:",
        ),
        (
            "- {key: dedicated, operator: Equal",
            "- {kye: dedicated, operator: Equal",
            "unknown key 'kye'",
            "workloads[0].tolerations[0].kye",
            "kye: dedicated",
        ),
        (
            "topologyKey: kubernetes.io/hostname",
            "topologyKey: [kubernetes.io/hostname]",
            "expected a string, got a list",
            "workloads[0].affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
            ".podAffinityTerm.topologyKey",
            "topologyKey: [kubernetes.io/hostname]",
        ),
        (
            "{fieldPath: metadata.name}",
            "{fieldpath: metadata.name}",
            "unknown key 'fieldpath'",
            "workloads[0].containers[0].env.POD_NAME.fieldRef.fieldpath",
            "fieldpath: metadata.name",
        ),
        (
            "- configMapRef: {name: settings}",
            "- configMapRef: {name: settings, optinal: true}",
            "unknown key 'optinal'",
            "workloads[0].containers[0].envFrom[0].configMapRef.optinal",
            "optinal: true",
        ),
        (
            "- {name: cache, mountPath: /cache}",
            "- {name: cache, mountPath: /cache, readOnly: 'yes'}",
            "expected true or false, got a string ('yes')",
            "workloads[0].containers[0].volumeMounts[0].readOnly",
            "readOnly: 'yes'",
        ),
        (
            "preStop: {sleep: {seconds: 5}}",
            "preStop: {sleep: {second: 5}}",
            "unknown key 'second'",
            "workloads[0].containers[0].lifecycle.preStop.sleep.second",
            "second: 5",
        ),
        (
            "capabilities: {drop: [ALL]}",
            "capabilities: {drop: ALL}",
            "expected a list, got a string ('ALL')",
            "workloads[0].containers[0].securityContext.capabilities.drop",
            "capabilities: {drop: ALL}",
        ),
        (
            "terminationGracePeriodSeconds: 60",
            "terminationGracePeriodSecond: 60",
            "unknown key 'terminationGracePeriodSecond'",
            "workloads[0].podTemplate.terminationGracePeriodSecond",
            "terminationGracePeriodSecond: 60",
        ),
        (
            "{name: ghcr-pull}",
            "{nmae: ghcr-pull}",
            "unknown key 'nmae'",
            "workloads[0].imagePullSecrets[1].nmae",
            "nmae: ghcr-pull",
        ),
    ],
)
def test_a_schema_error_names_the_field_and_its_spec_line(
    old: str, new: str, message: str, path: str, line_needle: str
) -> None:
    assert old in FULL
    text = FULL.replace(old, new, 1)
    problem = the_problem(text, message)
    assert problem.format().split(": ", 2)[1] == path
    assert problem.mark is not None and problem.mark.line == line_of(text, line_needle)
    assert problem.file == "spec.yaml"


def test_a_misspelt_key_gives_one_error_with_a_suggestion() -> None:
    text = FULL.replace("httpGet: {path: /healthz, port: 8080}", "httpGet: {path: /healthz, prot: 8080}")
    (problem,) = problems_of(text)
    assert problem.message == "unknown key 'prot'" and problem.hint == "did you mean 'port'?"


def test_a_port_must_be_a_number_or_a_name() -> None:
    text = FULL.replace("httpGet: {path: /healthz, port: 8080}", "httpGet: {path: /healthz, port: [8080]}")
    problem = the_problem(text, "got a list")
    assert problem.message == "expected a string or an integer, got a list"


def test_every_error_of_a_spec_is_reported_at_once() -> None:
    text = FULL.replace("periodSeconds: 10", "periodSeconds: ten").replace("fsGroup: 2000", "fsGroup: x")
    text = text.replace("- {name: cache, mountPath: /cache}", "- {name: cahce, mountPath: /cache}")
    messages = sorted(p.message for p in problems_of(text))
    assert len(messages) == 3, messages


# -- the API server's rules -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "message", "line_needle"),
    [
        (
            "httpGet: {path: /healthz, port: 8080}\n          periodSeconds: 10",
            "periodSeconds: 10",
            "a probe needs one handler: exec, httpGet, tcpSocket, grpc",
            "periodSeconds: 10",  # where the probe's mapping starts
        ),
        (
            "exec: {command: [cat, /tmp/started]}",
            "exec: {command: [cat, /tmp/started]}\n          tcpSocket: {port: 8080}",
            "a probe takes one handler, not exec and tcpSocket",
            "tcpSocket: {port: 8080}",
        ),
        (
            "fieldRef: {fieldPath: metadata.name}",
            "fieldRef: {fieldPath: metadata.name}\n            secretKeyRef: {name: s, key: k}",
            "an env value takes one source, not secretKeyRef and fieldRef",
            "fieldRef: {fieldPath: metadata.name}",
        ),
        (
            "secretKeyRef: {name: db, key: password}",
            "secretKeyRef: {key: password}",
            "required key 'name' is missing (the Secret's name)",
            "secretKeyRef: {key: password}",
        ),
        (
            "- configMapRef: {name: settings}",
            "- prefix: X_",
            "an envFrom entry needs one source: configMapRef, secretRef",
            "- prefix: X_",
        ),
        (
            "emptyDir: {sizeLimit: 1Gi}",
            "emptyDir: {sizeLimit: 1Gi}\n        configMap: {name: c}",
            "a volume takes one source, not emptyDir and configMap",
            "configMap: {name: c}",
        ),
        (
            "- name: cache\n        emptyDir: {sizeLimit: 1Gi}",
            "- name: cache",
            "a volume needs one source: emptyDir, configMap, secret, persistentVolumeClaim, projected, csi, ...",
            "- name: cache",
        ),
        (
            "- {name: cache, mountPath: /cache}",
            "- {name: cahce, mountPath: /cache}",
            "no volume named 'cahce' in the workload's volumes",
            "name: cahce",
        ),
        (
            "- {name: kv, mountPath: /mnt/secrets, readOnly: true}",
            "- {name: kv, mountPath: /cache, readOnly: true}",
            "mountPath '/cache' is already used by volumeMounts[0]",
            "- {name: kv, mountPath: /cache",
        ),
        (
            "      - name: kv\n        csi:",
            "      - name: cache\n        csi:",
            "duplicate volume name 'cache' (also volumes[0])",
            "csi:",  # the line after the name (see below)
        ),
        (
            "preStop: {sleep: {seconds: 5}}",
            "preStop: {}",
            "a hook needs one handler: exec, httpGet, tcpSocket, sleep",
            "preStop: {}",
        ),
    ],
)
def test_rules_the_api_server_enforces(old: str, new: str, message: str, line_needle: str) -> None:
    assert old in FULL
    text = FULL.replace(old, new, 1)
    problem = the_problem(text, message)
    assert problem.message.startswith(message)
    expected = line_of(text, line_needle) - (line_needle == "csi:")
    assert problem.mark is not None and problem.mark.line == expected, problem.format()


def test_probes_and_hooks_of_an_init_container_need_a_sidecar() -> None:
    text = FULL.replace("        restartPolicy: Always\n", "")
    problem = the_problem(text, "readinessProbe only as a sidecar")
    assert problem.path == ("workloads", 0, "initContainers", 1, "readinessProbe")
    text = FULL.replace(
        "image: ghcr.io/example/migrate:1.0\n",
        "image: ghcr.io/example/migrate:1.0\n        lifecycle: {preStop: {sleep: {seconds: 1}}}\n",
    )
    assert the_problem(text, "lifecycle only as a sidecar").path == (
        "workloads",
        0,
        "initContainers",
        0,
        "lifecycle",
    )


def test_restart_policy_belongs_to_init_containers() -> None:
    text = FULL.replace(
        "imagePullPolicy: IfNotPresent", "imagePullPolicy: IfNotPresent\n        restartPolicy: Always"
    )
    problem = the_problem(text, "restartPolicy applies to init containers only")
    assert problem.path == ("workloads", 0, "containers", 0, "restartPolicy")


def test_container_names_are_unique_across_init_containers() -> None:
    text = FULL.replace("- name: migrate", "- name: api")
    problem = the_problem(text, "duplicate container name 'api'")
    assert (
        problem.path == ("workloads", 0, "containers", 0, "name") and "initContainers[0]" in problem.message
    )


@pytest.mark.parametrize(
    "key", ["serviceAccountName", "containers", "volumes", "nodeSelector", "securityContext"]
)
def test_the_pod_template_refuses_what_wlid_writes(key: str) -> None:
    text = FULL.replace("terminationGracePeriodSeconds: 60", f"{key}: {{}}")
    problem = the_problem(text, f"{key} is written by wlid")
    assert problem.path == ("workloads", 0, "podTemplate", key)
    assert problem.mark is not None and problem.mark.line == line_of(
        text, f"{key}: {{}}", after="podTemplate:"
    )
    assert problem.hint.startswith("use workloads[0].")


def test_the_pod_template_refuses_ephemeral_containers() -> None:
    text = FULL.replace("terminationGracePeriodSeconds: 60", "ephemeralContainers: []")
    assert the_problem(text, "cannot be set when a pod is created").path[-1] == "ephemeralContainers"


@pytest.mark.parametrize(
    ("kind", "policy", "ok"),
    [
        ("Deployment", "Always", True),
        ("Deployment", "OnFailure", False),
        ("StatefulSet", "Never", False),
        ("Job", "Never", True),
        ("Job", "Always", False),
        ("CronJob", "Always", False),
        ("Pod", "Never", True),
    ],
)
def test_restart_policy_of_the_pod_template_fits_the_kind(kind: str, policy: str, ok: bool) -> None:
    text = SIMPLE.replace("kind: Deployment", f"kind: {kind}")
    if kind == "CronJob":
        text += "    schedule: '0 1 * * *'\n"
    text += f"    podTemplate: {{restartPolicy: {policy}}}\n"
    if ok:
        plan_source(load_text(text, "spec.yaml"))
    else:
        assert the_problem(text, f"a {kind} takes restartPolicy").path == (
            "workloads",
            0,
            "podTemplate",
            "restartPolicy",
        )


def test_kustomize_directives_are_refused() -> None:
    text = FULL.replace(
        "volumeAttributes: {secretProviderClass: shop-kv}", "volumeAttributes: {$patch: delete}"
    )
    (problem,) = problems_of(text)
    assert "strategic-merge patch as directives" in problem.message
    assert problem.path == ("workloads", 0, "volumes", 1, "csi", "volumeAttributes", "$patch")


def test_an_existing_workload_takes_no_pod_fields() -> None:
    text = SIMPLE.replace(
        "    containers:\n      - name: api\n        image: ghcr.io/example/api:1.0\n",
        "    existing: true\n    tolerations: [{key: a, operator: Exists}]\n",
    )
    assert the_problem(text, "an existing workload takes only").path == ("workloads", 0)


def test_setting_what_the_webhook_injects_is_a_warning() -> None:
    text = FULL.replace(
        "MODE: fast", "MODE: fast\n          AZURE_CLIENT_ID: 00000000-0000-0000-0000-000000000000"
    )
    plan = plan_source(load_text(text, "spec.yaml"))
    (warning,) = [w for w in plan.warnings if w.code == "W250"]
    assert warning.path == ("workloads", 0, "containers", 0, "env", "AZURE_CLIENT_ID")
    assert "webhook" in warning.message and warning.severity == "warning"


# -- speed ----------------------------------------------------------------------------------------
def test_the_schema_is_compiled_once_for_all_workloads() -> None:
    many = FULL + "".join(
        FULL[FULL.index("  - name: api\n    kind: Deployment") :].replace(
            "- name: api\n    kind", f"- name: api{i}\n    kind", 1
        )
        for i in range(3)
    )
    kube_schema._fast.cache_clear()
    kube_schema._detailed.cache_clear()
    plan_source(load_text(many, "spec.yaml"))
    assert kube_schema._fast.cache_info().misses == 1
    assert kube_schema._detailed.cache_info().misses == 0  # the detailed validator only for errors


def test_a_spec_with_pod_fields_compiles_only_the_fast_validator(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(FULL, "utf-8")
    imported = imported_packages("render", str(spec), "-o", str(tmp_path / "o"), "-q")
    assert "jsonschema_rs" in imported
    assert "jsonschema" not in imported  # the detailed validator only for a spec with errors


def test_a_spec_without_pod_fields_loads_no_schema() -> None:
    kube_schema._document.cache_clear()
    plan_source(load_text(SIMPLE, "spec.yaml"))
    assert kube_schema._document.cache_info().misses == 0


# -- docs -----------------------------------------------------------------------------------------
DOC = ROOT / "docs" / "workloads.md"


def test_the_doc_names_every_field_and_every_refused_pod_template_key() -> None:
    text = DOC.read_text("utf-8")
    names = [
        *pod_fields.CONTAINER_FIELDS,
        *pod_fields.POD_FIELDS,
        *pod_fields.OWNED,
        *pod_fields.NOT_ON_CREATE,
    ]
    assert [name for name in names if f"`{name}`" not in text] == []


def test_the_doc_example_renders() -> None:
    text = DOC.read_text("utf-8")
    example = text[text.index("```yaml\n") + len("```yaml\n") : text.index("```\n", text.index("```yaml\n"))]
    spec = (
        HEAD.replace("  - name: api\n    namespace: shop\n    identity: api-identity\n", "")
        + example[len("workloads:\n") :]
    )
    spec = spec.replace(
        "serviceAccounts:\nworkloads:",
        "serviceAccounts:\n  - name: shop-api\n    namespace: shop\n    identity: api-identity\nworkloads:",
    )
    deployment = render_objects(spec)["Deployment/shop-api"]
    assert schema_errors(deployment) == []
