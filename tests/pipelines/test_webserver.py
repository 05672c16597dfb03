"""The real Dagster UI stack (``dagster dev``: webserver, daemon, code server) runs a job over GraphQL.

What this proves that the in-process tests cannot: ``pipelines.definitions`` loads in a code server
from the environment alone, the webserver's GraphQL API launches a partitioned run of
``snapshot_sources``, the daemon dequeues it (Dagster's default run coordinator is the queued one),
the run worker materialises the assets, and the whole process tree shuts down cleanly.

Only 127.0.0.1 is used. Everything is bounded in time; a hang fails the test with the server log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pipelines.conftest import SNAPSHOT, land_demo

requests = pytest.importorskip("requests")

HOST = "127.0.0.1"
SERVER_WAIT_S = 180
RUN_WAIT_S = 600
SHUTDOWN_WAIT_S = 60

REPOSITORIES_QUERY = """
query {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection { nodes { name location { name } jobs { name } } }
    ... on PythonError { message }
  }
}
"""

LAUNCH_MUTATION = """
mutation Launch($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
    ... on PipelineNotFoundError { message }
    ... on RunConflict { message }
    ... on UnauthorizedError { message }
  }
}
"""

RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run {
      status
      tags { key value }
      assetMaterializations { assetKey { path } partition }
    }
    ... on RunNotFoundError { message }
    ... on PythonError { message }
  }
}
"""

FAILURE_EVENTS_QUERY = """
query Events($runId: ID!) {
  logsForRun(runId: $runId, limit: 1000) {
    __typename
    ... on EventConnection {
      events {
        __typename
        ... on ExecutionStepFailureEvent { stepKey error { message } }
        ... on RunFailureEvent { message }
      }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    response = requests.post(url, json={"query": query, "variables": variables or {}}, timeout=60)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def _log_tail(log: Path, chars: int = 6000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"


def _group_alive(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is ``pgid``."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state ppid pgrp ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry))
    return alive


def _wait_for_server(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_WAIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            if requests.get(f"{url}/server_info", timeout=5).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    pytest.fail(f"webserver did not answer within {SERVER_WAIT_S}s:\n{_log_tail(log)}")


def _wait_for_location(graphql: str, log: Path) -> tuple[str, str]:
    """(location name, repository name) holding ``snapshot_sources``, once the code server loaded."""
    deadline = time.monotonic() + SERVER_WAIT_S
    last = None
    while time.monotonic() < deadline:
        last = _graphql(graphql, REPOSITORIES_QUERY)["repositoriesOrError"]
        if last["__typename"] == "RepositoryConnection":
            for node in last["nodes"]:
                if "snapshot_sources" in {job["name"] for job in node["jobs"]}:
                    return node["location"]["name"], node["name"]
        time.sleep(2)
    pytest.fail(f"no code location with snapshot_sources: {last}\n{_log_tail(log)}")


def _shutdown(process: subprocess.Popen) -> list[int]:
    """Stop ``dagster dev`` the way Ctrl-C does, then make sure its whole group is gone."""
    pgid = process.pid  # start_new_session=True made it a group leader
    if process.poll() is None:
        os.killpg(pgid, signal.SIGINT)
        try:
            process.wait(timeout=SHUTDOWN_WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            process.wait(timeout=30)
    deadline = time.monotonic() + SHUTDOWN_WAIT_S
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.5)
    leftover = _group_alive(pgid)
    if leftover:
        os.killpg(pgid, signal.SIGKILL)
    return leftover


@pytest.mark.slow
def test_dagster_dev_launches_a_partitioned_run_over_graphql(pipeline_env, tmp_path):
    land_demo(tmp_path / "landing", items=15)
    home = Path(os.environ["DAGSTER_HOME"])
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = _free_port()
    url = f"http://{HOST}:{port}"
    graphql = f"{url}/graphql"
    dagster = Path(sys.executable).parent / "dagster"
    log = tmp_path / "dagster_dev.log"

    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(dagster), "dev", "-m", "pipelines.definitions", "-h", HOST, "-p", str(port)],
            env=dict(os.environ),  # the fixture's CARDFEATURES_* and DAGSTER_HOME
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    leftover: list[int] = []
    try:
        _wait_for_server(url, process, log)
        location, repository = _wait_for_location(graphql, log)

        params = {
            "selector": {
                "repositoryLocationName": location,
                "repositoryName": repository,
                "jobName": "snapshot_sources",
            },
            "runConfigData": {},
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": SNAPSHOT}]},
        }
        launched = _graphql(graphql, LAUNCH_MUTATION, {"executionParams": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]

        deadline = time.monotonic() + RUN_WAIT_S
        run = None
        while time.monotonic() < deadline:
            run = _graphql(graphql, RUN_QUERY, {"runId": run_id})["runOrError"]
            assert run["__typename"] == "Run", run
            if run["status"] in {"SUCCESS", "FAILURE", "CANCELED"}:
                break
            time.sleep(2)
        assert run is not None
        if run["status"] != "SUCCESS":
            events = _graphql(graphql, FAILURE_EVENTS_QUERY, {"runId": run_id})["logsForRun"]
            failures = [e for e in events.get("events", []) if len(e) > 1]
            pytest.fail(
                f"run {run_id} ended {run['status']}: {failures}\n{_log_tail(log)}"
                if run["status"] in {"FAILURE", "CANCELED"}
                else f"run {run_id} still {run['status']} after {RUN_WAIT_S}s\n{_log_tail(log)}"
            )

        assert {"key": "dagster/partition", "value": SNAPSHOT} in run["tags"]
        materialised = {
            (tuple(m["assetKey"]["path"]), m["partition"]) for m in run["assetMaterializations"]
        }
        assert (("items",), SNAPSHOT) in materialised
        assert (("clean_items",), SNAPSHOT) in materialised
        parts = list(Path(pipeline_env.store, "items", f"snapshot={SNAPSHOT}").glob("*.parquet"))
        assert parts, "items asset reported materialised but no parquet in the store"
    finally:
        leftover = _shutdown(process)
    assert not leftover, f"processes left after shutting dagster dev down: {leftover}"
