"""The scale-out configuration in ``deploy/`` loads, validates, and (slow test) really runs on Celery.

Fast tests: ``deploy/celery/definitions.py`` and ``deploy/k8s/definitions.py`` load the project's
definitions with the Celery / Kubernetes executor; ``deploy/k8s/dagster.yaml`` is a valid Dagster
instance config whose run launcher config validates against ``K8sRunLauncher``'s own schema; the
Helm values name the same launcher.

Slow test: a real Celery worker (``dagster-celery worker start``) with Kombu's filesystem transport
as the broker (no broker service needed) runs one ``shard_features`` partition launched with
``dagster job execute -f deploy/celery/definitions.py``; every step runs in the worker.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import dagster as dg
import pytest
import yaml

from featurestore.sharding import shard_keys
from pipelines.automation import SHARD_JOB, SOURCES_JOB
from tests.pipelines.conftest import SNAPSHOT, land_demo

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
BIN = Path(sys.executable).parent
RUN_WAIT_S = 600


def _load(path: Path) -> ModuleType:
    """Import a deploy module from its file, the way ``dagster ... -f path`` does."""
    spec = importlib.util.spec_from_file_location(f"deploy_{path.parent.name}_defs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _celery_yaml(path: Path, broker_dir: Path, results_dir: Path) -> Path:
    """A Celery config using Kombu's filesystem transport and Celery's file result backend."""
    for folder in (broker_dir, results_dir):
        folder.mkdir(parents=True, exist_ok=True)
    config = {
        "execution": {
            "config": {
                "broker": "filesystem://",
                "backend": f"file://{results_dir}",
                "config_source": {
                    "broker_transport_options": {
                        "data_folder_in": str(broker_dir),
                        "data_folder_out": str(broker_dir),
                    },
                    "worker_pool": "solo",  # as deploy/celery/celery.yaml, see there
                    "worker_prefetch_multiplier": 1,
                },
            }
        }
    }
    path.write_text(yaml.safe_dump(config))
    return path


def test_celery_definitions_use_the_celery_executor(pipeline_env, monkeypatch):
    monkeypatch.setenv("CARDFEATURES_CELERY_BROKER", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("CARDFEATURES_CELERY_BACKEND", "redis://127.0.0.1:6379/1")
    module = _load(DEPLOY / "celery" / "definitions.py")

    config = module.celery_config()  # the shipped deploy/celery/celery.yaml
    assert config["broker"] == {"env": "CARDFEATURES_CELERY_BROKER"}
    assert config["backend"] == {"env": "CARDFEATURES_CELERY_BACKEND"}

    defs = module.defs
    assert defs.executor.name == "celery"
    for job in (SOURCES_JOB, SHARD_JOB):
        job_def = defs.resolve_job_def(job)
        assert job_def.executor_def.name == "celery"
        # The executor's preconfigured config must satisfy celery_executor's schema.
        assert dg.validate_run_config(job_def, {}) is not None
    # Everything else is the project's own wiring, unchanged.
    from pipelines.definitions import build_definitions

    base = build_definitions()
    assert {j.name for j in defs.resolve_all_job_defs()} == {
        j.name for j in base.resolve_all_job_defs()
    }
    assert {s.name for s in defs.sensors} == {s.name for s in base.sensors}


def test_celery_config_file_without_execution_block_is_an_error(pipeline_env, tmp_path):
    module = _load(DEPLOY / "celery" / "definitions.py")
    bad = tmp_path / "celery.yaml"
    bad.write_text("broker: redis://x\n")
    with pytest.raises(ValueError, match="execution: config"):
        module.celery_config(bad)


def test_k8s_definitions_use_the_k8s_job_executor(pipeline_env):
    defs = _load(DEPLOY / "k8s" / "definitions.py").defs
    assert defs.executor.name == "k8s"
    assert defs.resolve_job_def(SHARD_JOB).executor_def.name == "k8s"


def test_k8s_instance_config_names_and_satisfies_the_k8s_run_launcher(tmp_path, monkeypatch):
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config
    from dagster_k8s import K8sRunLauncher

    monkeypatch.setenv("CARDFEATURES_IMAGE", "registry.example.com/cardfeatures:0.1.0")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((DEPLOY / "k8s" / "dagster.yaml").read_text())
    config, _ = dagster_instance_config(str(home))  # raises on an invalid instance config

    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    result = validate_config(K8sRunLauncher.config_type(), launcher["config"])
    assert result.success, [error.message for error in result.errors]
    assert "CARDFEATURES_STORE" in launcher["config"]["env_vars"]
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert "postgres" in config["storage"]


def test_helm_values_select_the_k8s_run_launcher_and_the_project_module():
    values = yaml.safe_load((DEPLOY / "k8s" / "values.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert "k8sRunLauncher" in values["runLauncher"]["config"]
    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "pipelines.definitions"]
    env = {item["name"]: item["value"] for item in deployment["env"]}
    assert env["CARDFEATURES_STORE"].startswith("s3://")


def _stop_group(process: subprocess.Popen) -> None:
    """TERM then KILL the worker's whole process group (dagster-celery -> celery -> pool)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.slow
def test_one_shard_partition_runs_on_a_real_celery_worker(pipeline_env, tmp_path, monkeypatch):
    from featurestore.store import FeatureStore
    from pipelines.definitions import build_definitions

    land_demo(tmp_path / "landing", items=15)
    instance = dg.DagsterInstance.get()
    defs = build_definitions(pipeline_env)
    stage1 = defs.resolve_job_def(SOURCES_JOB).execute_in_process(
        instance=instance, partition_key=SNAPSHOT
    )
    assert stage1.success

    config = _celery_yaml(tmp_path / "celery.yaml", tmp_path / "broker", tmp_path / "results")
    monkeypatch.setenv("CARDFEATURES_CELERY_CONFIG", str(config))
    # dagster-celery starts the `celery` program by name: the venv's bin must be on PATH.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    worker_log = tmp_path / "worker.log"
    run_log = tmp_path / "run.log"
    shard = shard_keys(pipeline_env.shards)[0]
    key = dg.MultiPartitionKey({"snapshot": SNAPSHOT, "shard": shard})
    tags = defs.resolve_job_def(SHARD_JOB).partitions_def.get_tags_for_partition_key(key)
    with worker_log.open("wb") as sink:
        worker = subprocess.Popen(
            [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
             "-y", str(config), "--name", "cardfeatures-test"],
            env=env, cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        with run_log.open("wb") as sink:
            run = subprocess.Popen(
                [str(BIN / "dagster"), "job", "execute", "-f",
                 str(DEPLOY / "celery" / "definitions.py"), "-j", SHARD_JOB,
                 "--tags", json.dumps(tags)],
                env=env, cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + RUN_WAIT_S
            while run.poll() is None and worker.poll() is None and time.monotonic() < deadline:
                time.sleep(1)
        finally:
            returncode = run.poll()
            _stop_group(run)
        log = worker_log.read_text(errors="replace")
        report = f"run:\n{run_log.read_text(errors='replace')[-4000:]}\nworker:\n{log[-4000:]}"
        assert returncode == 0, (
            f"run ended with {returncode} (None = worker died or timeout)\n{report}"
        )
    finally:
        _stop_group(worker)

    # The steps ran in the worker, not in the launching process.
    assert "execute_plan" in log and "succeeded" in log, log[-4000:]
    records = instance.get_run_records(dg.RunsFilter(job_name=SHARD_JOB), limit=1)
    assert records and records[0].dagster_run.status == dg.DagsterRunStatus.SUCCESS
    run_id = records[0].dagster_run.run_id
    engine = [
        entry.message
        for entry in instance.all_logs(run_id)
        if entry.message and "in celery worker" in entry.message
    ]
    assert any("pair_features" in message for message in engine), engine
    store = FeatureStore(pipeline_env.store)
    part = f"snapshot={SNAPSHOT}"
    written = list(Path(pipeline_env.store, "pair_features").rglob(f"{part}/*.parquet"))
    assert written, "pair_features partition missing from the store"
    assert store.sql("select count(*) as n from pair_features")["n"][0] > 0
