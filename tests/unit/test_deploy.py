"""deploy/: what an operator applies renders, validates offline and is safe to run.

Kubernetes objects are rendered by kustomize (``kubectl kustomize`` or
``kustomize``) and validated with ``kubernetes-validate``; the compose file
against the official compose-spec schema (vendored by ``check-jsonschema``).
Each check skips, saying why, when its tool is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from watchfloor.shared import pipeline
from watchfloor.shared.keys import Keys

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S_VERSION = "1.30.0"
WORKERS = {"ingest", "classifier", "notifier"}


def kustomize(folder: Path) -> list[dict]:
    if shutil.which("kubectl"):
        command = ["kubectl", "kustomize", str(folder)]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build", str(folder)]
    else:
        pytest.skip("neither kubectl nor kustomize on PATH: cannot render deploy/k8s")
    rendered = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


@pytest.fixture(scope="module")
def base() -> list[dict]:
    return kustomize(DEPLOY / "k8s")


@pytest.fixture(scope="module")
def autoscaled() -> list[dict]:
    return kustomize(DEPLOY / "k8s-keda")


def of_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_every_object_validates_offline(base, autoscaled):
    validate = pytest.importorskip("kubernetes_validate", reason="pip install '.[dev]'")
    crds = [o for o in autoscaled if o["apiVersion"].startswith("keda.sh/")]
    assert {o["kind"] for o in crds} == {"ScaledObject", "TriggerAuthentication"}
    for obj in base + [o for o in autoscaled if o not in crds]:
        validate.validate(obj, K8S_VERSION, strict=True)
    assert not [o for o in base if o["apiVersion"].startswith("keda.sh/")]  # base needs no CRD


def test_deployments_probe_health_and_pass_restricted_pod_security(base):
    deployments = of_kind(base, "Deployment")
    assert set(deployments) == {f"watchfloor-{w}" for w in WORKERS}
    config = of_kind(base, "ConfigMap")["watchfloor-env"]["data"]
    assert config["WATCHFLOOR_HEALTH_PORT"] == "8081" and config["WATCHFLOOR_HEALTH_HOST"] == "0.0.0.0"
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        (container,) = pod["containers"]
        assert [e["configMapRef"]["name"] for e in container["envFrom"]] == ["watchfloor-env"]
        assert {"name": "health", "containerPort": 8081} in container["ports"], name
        probes = {k: container[k]["httpGet"] for k in
                  ("startupProbe", "livenessProbe", "readinessProbe")}
        assert probes["livenessProbe"] == {"path": "/livez", "port": "health"}, name
        assert probes["startupProbe"] == {"path": "/livez", "port": "health"}, name
        assert probes["readinessProbe"] == {"path": "/readyz", "port": "health"}, name
        restricted(container, pod, name)
    redis = of_kind(base, "StatefulSet")["redis"]["spec"]["template"]["spec"]
    restricted(redis["containers"][0], redis, "redis")


def restricted(container: dict, pod: dict, name: str) -> None:
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False, name
    assert security["capabilities"] == {"drop": ["ALL"]}, name
    assert security["readOnlyRootFilesystem"] is True, name
    assert pod["securityContext"]["runAsNonRoot"] is True, name
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    assert not any("hostPath" in v for v in volumes.values()), name
    writable = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert writable and "emptyDir" in volumes[writable[0]["name"]], f"{name}: no writable /tmp"


def test_a_disruption_budget_per_worker(base):
    budgets = of_kind(base, "PodDisruptionBudget")
    for name, deployment in of_kind(base, "Deployment").items():
        selector = deployment["spec"]["selector"]
        assert budgets[name]["spec"]["selector"] == selector, name


def test_images_are_pinned(base, autoscaled):
    for obj in base + autoscaled:
        for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            image = container["image"]
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", image), image
            assert not image.endswith(":latest"), image
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service in compose["services"].values():
        assert re.fullmatch(r"[\w./-]+:[\w.-]+", service["image"]) and "latest" not in service["image"]


def test_redis_needs_a_password_and_workers_use_it(base):
    assert not of_kind(base, "Secret")  # no placeholder to crash-loop on: created first
    redis = of_kind(base, "StatefulSet")["redis"]["spec"]["template"]["spec"]["containers"][0]
    assert "--requirepass" in redis["args"]
    for name, deployment in of_kind(base, "Deployment").items():
        env = [e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]]
        values = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert values["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "watchfloor-redis"
        assert "$(REDIS_PASSWORD)@" in values["WATCHFLOOR_REDIS_URL"]["value"], name
        assert env.index("REDIS_PASSWORD") < env.index("WATCHFLOOR_REDIS_URL"), name


def test_starts_with_no_watchlists(base, tmp_path):
    from watchfloor.services.watchlists.file import WatchlistsFile

    shipped = of_kind(base, "ConfigMap")["watchfloor-watchlists"]["data"]["watchlists.yaml"]
    for text in (shipped, (DEPLOY / "watchlists.yaml").read_text()):
        path = tmp_path / "watchlists.yaml"
        path.write_text(text)
        assert WatchlistsFile(path, env={}, known_tags=set()).current == []


def test_keda_scales_each_consumer_group_on_its_lag(autoscaled):
    deployments = of_kind(autoscaled, "Deployment")
    keys = Keys("watchfloor")
    expected = {s.worker: set() for s in pipeline.STAGES if s.group}
    for s in pipeline.STAGES:
        if s.group:
            expected[s.worker].add(s.reads(keys))
    scaled = of_kind(autoscaled, "ScaledObject")
    assert set(scaled) == {f"watchfloor-{w}" for w in expected}
    for worker, groups in expected.items():
        spec = scaled[f"watchfloor-{worker}"]["spec"]
        target = deployments[spec["scaleTargetRef"]["name"]]
        assert target["spec"]["template"]["spec"]["containers"][0]["args"] == ["worker", worker]
        assert "replicas" not in target["spec"]  # KEDA owns it
        triggers = {(t["metadata"]["stream"], t["metadata"]["consumerGroup"])
                    for t in spec["triggers"] if t["type"] == "redis-streams"}
        assert triggers == groups
        assert all("lagCount" in t["metadata"] and t["authenticationRef"]["name"]
                   for t in spec["triggers"])


def test_compose_file_matches_the_compose_spec():
    pytest.importorskip("check_jsonschema", reason="pip install '.[dev]'")
    checked = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(DEPLOY / "compose.yaml")], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_dockerfile_caches_dependencies_and_checks_health():
    text = (DEPLOY / "Dockerfile").read_text()
    deps, code = text.index("COPY pyproject.toml deploy/constraints.txt"), text.index("COPY services")
    assert deps < text.index("pip install -c constraints.txt -r") < code
    assert "--no-deps" in text[code:]
    assert re.search(r"^HEALTHCHECK .*/livez", text, re.M | re.S)
    assert not re.search(r"^FROM .*:latest", text, re.M)


def test_dashboard_queries_only_served_metrics():
    from prometheus_client.parser import text_string_to_metric_families
    from watchfloor.shared.streams.metrics import render_metrics, render_process_metrics

    status = {"prefix": "p", "streams": {}, "dead_letters": 0, "retries_scheduled": 0,
              "failed_deliveries": 0, "delivered": 0,
              "metrics": {"ingested": 1, "duplicates": 1, "classified": 1, "alerts": 1,
                          "alerts_throttled": 1, "delivered": 1, "delivery_failed:http_400": 1,
                          "delivery_retried:timeout": 1}}
    served = set()
    for text in (render_metrics(status), render_process_metrics()):
        for family in text_string_to_metric_families(text.decode()):
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
            served |= {family.name + s for s in suffixes.get(family.type, [""])}
    dashboard = json.loads((DEPLOY / "grafana" / "watchfloor-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert exprs
    used = {name for e in exprs for name in re.findall(r"\bwatchfloor_\w+", e)}
    assert used <= served, used - served
