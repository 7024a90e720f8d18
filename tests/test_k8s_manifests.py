"""The Kubernetes manifests under deploy/k8s, read as files.

No cluster is needed: every YAML document must parse, every file must be
reachable from a kustomization, and the base must say what docs/deploy.md
promises (probes, non-root pods, a migrate Job, topics with 12 partitions,
one CloudNativePG cluster per service, autoscaling capped at the partitions).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from sawt_shared.kafka import all_topics

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
SERVICES = ("identity", "petitions", "consultations", "notifications")
PARTITIONS = 12

Doc = dict[str, Any]


def yaml_files() -> list[Path]:
    files = sorted([*K8S.rglob("*.yaml"), *K8S.rglob("*.yml")])
    assert files, "no manifests under deploy/k8s"
    return files


def load(path: Path) -> list[Doc]:
    docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert docs, f"{path} is empty"
    for doc in docs:
        assert isinstance(doc, dict), f"{path}: a document is not a mapping: {doc!r}"
    return docs


def is_kustomization(path: Path) -> bool:
    return path.name in {"kustomization.yaml", "kustomization.yml"}


def kustomization_resources(directory: Path) -> list[Path]:
    (kustomization,) = load(directory / "kustomization.yaml")
    return [(directory / entry).resolve() for entry in kustomization.get("resources", [])]


def walk(directory: Path) -> Iterator[Path]:
    """Every manifest file a kustomization reaches, following nested kustomizations."""
    for resource in kustomization_resources(directory):
        if resource.is_dir():
            yield from walk(resource)
        else:
            yield resource


@cache
def base_docs() -> tuple[Doc, ...]:
    return tuple(doc for path in walk(BASE) for doc in load(path))


def of_kind(kind: str) -> list[Doc]:
    return [doc for doc in base_docs() if doc["kind"] == kind]


def named(kind: str, name: str) -> Doc:
    matches = [doc for doc in of_kind(kind) if doc["metadata"]["name"] == name]
    assert len(matches) == 1, f"want one {kind} {name!r}, found {len(matches)}"
    return matches[0]


def pod_spec(doc: Doc) -> Doc:
    spec = doc["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def only_container(doc: Doc) -> Doc:
    (container,) = pod_spec(doc)["containers"]
    assert isinstance(container, dict)
    return container


# --- every file ----------------------------------------------------------------


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_document_parses_and_names_its_kind(path: Path) -> None:
    for doc in load(path):
        for field in ("apiVersion", "kind"):
            assert isinstance(doc.get(field), str), f"{path}: no {field}"
            assert doc[field], f"{path}: empty {field}"
        if doc["kind"] != "Kustomization":
            assert doc["metadata"]["name"], path


def test_every_manifest_is_reached_by_a_kustomization() -> None:
    kustomizations = [p.parent for p in yaml_files() if is_kustomization(p)]
    assert BASE in kustomizations
    reached: set[Path] = set()
    for directory in kustomizations:
        for resource in kustomization_resources(directory):
            assert resource.exists(), f"{directory}: missing resource {resource}"
        reached.update(walk(directory))
    manifests = {p.resolve() for p in yaml_files() if not is_kustomization(p)}
    assert manifests - reached == set()


def test_base_puts_everything_in_the_sawt_namespace() -> None:
    (kustomization,) = load(BASE / "kustomization.yaml")
    assert kustomization["namespace"] == "sawt"
    assert named("Namespace", "sawt")
    for doc in base_docs():
        assert doc["metadata"].get("namespace") in {None, "sawt"}


# --- the services --------------------------------------------------------------


def test_every_deployment_has_readiness_and_liveness_probes() -> None:
    deployments = of_kind("Deployment")
    assert {d["metadata"]["name"] for d in deployments} == set(SERVICES)
    for deployment in deployments:
        for container in pod_spec(deployment)["containers"]:
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            port = container["readinessProbe"]["httpGet"]["port"]
            assert port in {p["name"] for p in container["ports"]}


@pytest.mark.parametrize("svc", SERVICES)
def test_deployment_runs_the_service_image_as_non_root(svc: str) -> None:
    deployment = named("Deployment", svc)
    pod = pod_spec(deployment)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    container = only_container(deployment)
    assert container["image"].split(":")[0] == f"sawt/{svc}"
    assert container["command"][container["command"].index("--factory") + 1] == (
        f"{svc}.app:create_app"
    )
    assert "--no-proxy-headers" in container["command"]  # TRUSTED_PROXIES decides
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["requests"]["memory"]
    assert container["resources"]["limits"]["memory"]
    assert "replicas" not in deployment["spec"], "the HorizontalPodAutoscaler owns the count"


@pytest.mark.parametrize("svc", SERVICES)
def test_deployment_settings_come_from_a_configmap_a_secret_and_its_database(svc: str) -> None:
    container = only_container(named("Deployment", svc))
    sources = container["envFrom"]
    assert {"configMapRef": {"name": f"{svc}-config"}} in sources
    assert {"secretRef": {"name": f"{svc}-secrets", "optional": True}} in sources
    env = {item["name"]: item for item in container["env"]}
    database = env[f"{svc.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    # CloudNativePG writes `<cluster>-app` with a `uri` key for the owner role.
    assert database == {"name": f"{svc}-db-app", "key": "uri"}


@pytest.mark.parametrize("svc", SERVICES)
def test_configmap_holds_only_the_services_own_settings(svc: str) -> None:
    data = named("ConfigMap", f"{svc}-config")["data"]
    prefix = f"{svc.upper()}_"
    assert all(key.startswith(prefix) for key in data), sorted(data)
    kafka = named("Kafka", "sawt")["metadata"]["name"]
    assert data[prefix + "KAFKA_BOOTSTRAP_SERVERS"] == f"{kafka}-kafka-bootstrap:9092"
    assert data[prefix + "JWKS_URL"] == "http://identity:8000/.well-known/jwks.json"
    assert data[prefix + "SERVICE_NAME"] == svc
    assert data[prefix + "TOPIC_PREFIX"] == ""
    assert prefix + "DATABASE_URL" not in data, "the database URL is a secret"


def test_every_service_expects_the_same_token_issuer() -> None:
    issuers = {
        named("ConfigMap", f"{svc}-config")["data"][f"{svc.upper()}_TOKEN_ISSUER"]
        for svc in SERVICES
    }
    assert len(issuers) == 1, issuers


@pytest.mark.parametrize("svc", SERVICES)
def test_service_exposes_port_8000_to_the_api_pods(svc: str) -> None:
    service = named("Service", svc)
    (port,) = service["spec"]["ports"]
    assert (port["port"], port["targetPort"]) == (8000, "http")
    labels = named("Deployment", svc)["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


@pytest.mark.parametrize("svc", SERVICES)
def test_migrate_job_runs_sawt_migrate_with_the_same_image(svc: str) -> None:
    job = named("Job", f"{svc}-migrate")
    container = only_container(job)
    assert container["command"] == ["sawt-migrate", svc]
    assert container["image"] == only_container(named("Deployment", svc))["image"]
    env = {item["name"]: item for item in container["env"]}
    assert (
        env[f"{svc.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == f"{svc}-db-app"
    )
    assert pod_spec(job)["restartPolicy"] in {"Never", "OnFailure"}
    assert pod_spec(job)["securityContext"]["runAsNonRoot"] is True


@pytest.mark.parametrize("svc", SERVICES)
def test_autoscaler_stops_at_the_partition_count(svc: str) -> None:
    hpa = named("HorizontalPodAutoscaler", svc)
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", svc)
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] == PARTITIONS


@pytest.mark.parametrize("svc", SERVICES)
def test_disruption_budget_covers_the_api_pods(svc: str) -> None:
    budget = named("PodDisruptionBudget", svc)
    labels = named("Deployment", svc)["spec"]["selector"]["matchLabels"]
    assert budget["spec"]["selector"]["matchLabels"] == labels


def test_ingress_routes_one_host_to_each_service() -> None:
    (ingress,) = of_kind("Ingress")
    backends: dict[str, tuple[str, str]] = {}
    for rule in ingress["spec"]["rules"]:
        (path,) = rule["http"]["paths"]
        assert (path["path"], path["pathType"]) == ("/", "Prefix")
        service = path["backend"]["service"]
        backends[rule["host"]] = (service["name"], service["port"]["name"])
    assert sorted(name for name, _ in backends.values()) == sorted(SERVICES)
    for name, port in backends.values():
        assert port in {p["name"] for p in named("Service", name)["spec"]["ports"]}


# --- Kafka ---------------------------------------------------------------------


def test_kafka_runs_in_kraft_mode_with_node_pools() -> None:
    kafka = named("Kafka", "sawt")
    assert kafka["apiVersion"].startswith("kafka.strimzi.io/")
    assert "zookeeper" not in kafka["spec"]
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    listeners = {item["name"]: item for item in kafka["spec"]["kafka"]["listeners"]}
    assert listeners["plain"]["port"] == 9092
    pools = of_kind("KafkaNodePool")
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == "sawt" for p in pools)
    roles = {role for pool in pools for role in pool["spec"]["roles"]}
    assert roles == {"controller", "broker"}


def test_topics_are_every_domain_topic_and_its_dlq_with_12_partitions() -> None:
    topics = of_kind("KafkaTopic")
    names = {t["spec"].get("topicName", t["metadata"]["name"]) for t in topics}
    assert names == set(all_topics())
    assert {f"{svc}.events.dlq" for svc in SERVICES} <= names
    for topic in topics:
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "sawt"
        assert topic["spec"]["partitions"] == PARTITIONS
        assert topic["spec"]["replicas"] > topic["spec"]["config"]["min.insync.replicas"]


# --- PostgreSQL ----------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_has_its_own_cloudnativepg_cluster(svc: str) -> None:
    cluster = named("Cluster", f"{svc}-db")
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["spec"]["bootstrap"]["initdb"] == {"database": svc, "owner": svc}
    assert cluster["spec"]["instances"] >= 2
    assert cluster["spec"]["storage"]["size"]


def test_postgres_has_room_for_every_pod_pool() -> None:
    for svc in SERVICES:
        pool_max = int(
            named("ConfigMap", f"{svc}-config")["data"][f"{svc.upper()}_DATABASE_POOL_MAX"]
        )
        most_pods = named("HorizontalPodAutoscaler", svc)["spec"]["maxReplicas"]
        parameters = named("Cluster", f"{svc}-db")["spec"]["postgresql"]["parameters"]
        assert int(parameters["max_connections"]) > pool_max * most_pods
