"""The real Dagster UI stack (``dagster dev``: webserver, daemon, code server), driven over GraphQL.

What this proves that the in-process tests cannot: ``pipelines.definitions`` loads in a code server
from the environment alone, the webserver's GraphQL API launches a partitioned run of
``snapshot_sources``, the daemon dequeues it (Dagster's default run coordinator is the queued one),
the run worker materialises the assets, and the whole process tree shuts down cleanly. The second
test makes the UI's "Materialize all" call for one snapshot (an asset backfill across the daily and
the snapshot x shard partitions) and reads back what the asset pages show: a materialisation of
every asset for the snapshot, passed checks, and the metadata (rows, timings, cache hit rate, repair
statistics).

Only 127.0.0.1 is used. Everything is bounded in time; a hang fails the test with the server log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import polars as pl
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


@contextmanager
def dagster_dev(tmp_path: Path):
    """Run ``dagster dev`` (webserver, daemon, code server) on a free port of 127.0.0.1.

    Yields (graphql url, code location name, repository name, log path) once the code location has
    loaded; on exit stops it the way Ctrl-C does and asserts no process of its group is left.
    """
    home = Path(os.environ["DAGSTER_HOME"])
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = _free_port()
    url = f"http://{HOST}:{port}"
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
        location, repository = _wait_for_location(f"{url}/graphql", log)
        yield f"{url}/graphql", location, repository, log
    finally:
        leftover = _shutdown(process)
    assert not leftover, f"processes left after shutting dagster dev down: {leftover}"


def _wait_for_run(graphql: str, run_id: str, log: Path) -> dict:
    """Poll a run until it ends; fail the test with its step failures unless it succeeded."""
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
        _fail_with_run_errors(graphql, run_id, run["status"], log)
    return run


def _fail_with_run_errors(graphql: str, run_id: str, status: str, log: Path) -> None:
    events = _graphql(graphql, FAILURE_EVENTS_QUERY, {"runId": run_id})["logsForRun"]
    failures = [e for e in events.get("events", []) if len(e) > 1]
    pytest.fail(
        f"run {run_id} ended {status}: {failures}\n{_log_tail(log)}"
        if status in {"FAILURE", "CANCELED"}
        else f"run {run_id} still {status} after {RUN_WAIT_S}s\n{_log_tail(log)}"
    )


@pytest.mark.slow
def test_dagster_dev_launches_a_partitioned_run_over_graphql(pipeline_env, tmp_path):
    land_demo(tmp_path / "landing", items=15)
    with dagster_dev(tmp_path) as (graphql, location, repository, log):
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
        run = _wait_for_run(graphql, launched["run"]["runId"], log)

        assert {"key": "dagster/partition", "value": SNAPSHOT} in run["tags"]
        materialised = {
            (tuple(m["assetKey"]["path"]), m["partition"]) for m in run["assetMaterializations"]
        }
        assert (("items",), SNAPSHOT) in materialised
        assert (("clean_items",), SNAPSHOT) in materialised
        parts = list(Path(pipeline_env.store, "items", f"snapshot={SNAPSHOT}").glob("*.parquet"))
        assert parts, "items asset reported materialised but no parquet in the store"


# --- "Materialize all" for one snapshot: the asset backfill the UI launches -----------------------

REPOSITORY_QUERY = """
query Repository($selector: RepositorySelector!, $partitions: [String!]) {
  repositoryOrError(repositorySelector: $selector) {
    __typename
    ... on Repository {
      schedules { name scheduleState { status } }
      sensors { name sensorState { status } }
      assetNodes {
        assetKey { path }
        description
        groupName
        isPartitioned
        assetChecksOrError {
          ... on AssetChecks {
            checks {
              name
              blocking
              executionForLatestMaterialization { runId status evaluation { success } }
            }
          }
        }
        assetMaterializations(partitions: $partitions) {
          runId
          partition
          metadataEntries {
            label
            ... on IntMetadataEntry { intValue }
            ... on FloatMetadataEntry { floatValue }
          }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

LAUNCH_BACKFILL_MUTATION = """
mutation LaunchBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on PartitionSetNotFoundError { message }
    ... on PartitionKeysNotFoundError { message }
    ... on UnauthorizedError { message }
  }
}
"""

BACKFILL_QUERY = """
query Backfill($backfillId: String!) {
  partitionBackfillOrError(backfillId: $backfillId) {
    __typename
    ... on PartitionBackfill {
      status
      isAssetBackfill
      error { message }
      runs { runId status tags { key value } }
      assetBackfillData {
        assetBackfillStatuses {
          ... on AssetPartitionsStatusCounts {
            assetKey { path }
            numPartitionsTargeted
            numPartitionsMaterialized
            numPartitionsFailed
          }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

CHECK_EXECUTIONS_QUERY = """
query Checks($assetKey: AssetKeyInput!, $checkName: String!) {
  assetCheckExecutions(assetKey: $assetKey, checkName: $checkName, limit: 50) {
    runId
    status
    evaluation { success targetMaterialization { runId } }
  }
}
"""

BACKFILL_DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}

# What the asset pages must answer, per asset: how many rows, how fast, how healthy.
KEY_METADATA = {
    "items": {"rows", "seconds"},
    "pairs": {"rows", "positives"},
    "source_embeddings": {"rows"},
    "homoglyph_lm": {"distinct_words", "seconds"},
    "clean_items": {
        "rows",
        "seconds",
        "words_per_s",
        "mixed_words",
        "repaired_words",
        "mixed_rate_after",
    },
    "text_embeddings": {"items", "seconds", "items_per_s", "cache_hit_rate"},
    "image_embeddings": {"photos", "seconds", "items_per_s", "cache_hit_rate"},
    "pair_features": {"rows", "seconds", "pairs_per_s"},
    "item_features": {"rows", "seconds"},
}
SHARDS = ("00", "01")  # pipeline_env sets CARDFEATURES_SHARDS=2
SHARDED = {"text_embeddings", "image_embeddings", "pair_features"}


def _expected_partitions(asset: str) -> set[str]:
    """Partition keys a one-snapshot backfill must materialise (multi keys: 'shard|snapshot')."""
    return {f"{shard}|{SNAPSHOT}" for shard in SHARDS} if asset in SHARDED else {SNAPSHOT}


def _wait_for_backfill(graphql: str, backfill_id: str, log: Path) -> dict:
    deadline = time.monotonic() + RUN_WAIT_S
    backfill = None
    while time.monotonic() < deadline:
        backfill = _graphql(graphql, BACKFILL_QUERY, {"backfillId": backfill_id})
        backfill = backfill["partitionBackfillOrError"]
        assert backfill["__typename"] == "PartitionBackfill", backfill
        if backfill["status"] in BACKFILL_DONE:
            break
        time.sleep(3)
    assert backfill is not None
    for run in backfill["runs"]:
        if run["status"] != "SUCCESS":
            _fail_with_run_errors(graphql, run["runId"], run["status"], log)
    if backfill["status"] not in {"COMPLETED", "COMPLETED_SUCCESS"}:
        pytest.fail(f"backfill {backfill_id} is {backfill['status']}: {backfill}\n{_log_tail(log)}")
    return backfill


@pytest.mark.slow
def test_ui_materialize_all_for_one_snapshot_backfills_every_asset(pipeline_env, tmp_path):
    """The UI's "Materialize all" over the whole asset graph, for one snapshot.

    The graph mixes two partitions definitions (daily snapshot; snapshot x shard), so the UI
    launches a pure asset backfill anchored on the root assets' daily partition: the same
    ``launchPartitionBackfill`` call with every asset key and ``partitionNames=[snapshot]``. The
    daemon that ``dagster dev`` runs follows the partition mappings (snapshot -> every shard of it
    -> snapshot), so every asset is materialised for the snapshot, in dependency order.
    """
    folder = land_demo(tmp_path / "landing", items=15)
    with dagster_dev(tmp_path) as (graphql, location, repository, log):
        selector = {"repositoryLocationName": location, "repositoryName": repository}
        partitions = sorted(_expected_partitions("pair_features") | {SNAPSHOT})
        repo = _graphql(graphql, REPOSITORY_QUERY, {"selector": selector, "partitions": partitions})
        repo = repo["repositoryOrError"]
        assert repo["__typename"] == "Repository", repo

        # Before: the graph has every asset with a description; the automation is off but present.
        nodes = {tuple(n["assetKey"]["path"]): n for n in repo["assetNodes"]}
        assert {key[0] for key in nodes} == set(KEY_METADATA)
        assert all(n["description"] and n["isPartitioned"] for n in nodes.values())
        assert {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]} == {
            "nightly_reembed_schedule": "STOPPED"
        }
        sensors = {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
        assert sensors["landing_sensor"] == "STOPPED"

        launched = _graphql(
            graphql,
            LAUNCH_BACKFILL_MUTATION,
            {
                "backfillParams": {
                    "assetSelection": [{"path": list(key)} for key in nodes],
                    "partitionNames": [SNAPSHOT],
                    "fromFailure": False,
                    "tags": [],
                }
            },
        )["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill = _wait_for_backfill(graphql, launched["backfillId"], log)
        assert backfill["isAssetBackfill"]
        run_ids = {run["runId"] for run in backfill["runs"]}
        # One run for the daily stage, one per shard, one for item features (at least).
        assert len(run_ids) >= 1 + len(SHARDS) + 1, backfill["runs"]
        counts = {
            s["assetKey"]["path"][0]: s
            for s in backfill["assetBackfillData"]["assetBackfillStatuses"]
        }
        for asset in KEY_METADATA:
            assert counts[asset]["numPartitionsTargeted"] == len(_expected_partitions(asset))
            assert counts[asset]["numPartitionsMaterialized"] == len(_expected_partitions(asset))
            assert counts[asset]["numPartitionsFailed"] == 0

        # After: every asset has a materialisation of each partition from the backfill's runs,
        # with the metadata the asset page shows, and every check of it passed.
        repo = _graphql(graphql, REPOSITORY_QUERY, {"selector": selector, "partitions": partitions})
        values: dict[str, dict[str, list]] = {}
        for node in repo["repositoryOrError"]["assetNodes"]:
            asset = node["assetKey"]["path"][0]
            events = [m for m in node["assetMaterializations"] if m["runId"] in run_ids]
            assert sorted(m["partition"] for m in events) == sorted(_expected_partitions(asset))
            values[asset] = {}
            for event in events:
                entries = {e["label"]: e for e in event["metadataEntries"]}
                missing = KEY_METADATA[asset] - set(entries)
                assert not missing, f"{asset} {event['partition']} lacks metadata {missing}"
                for label in KEY_METADATA[asset]:
                    entry = entries[label]
                    value = entry.get("intValue", entry.get("floatValue"))
                    values[asset].setdefault(label, []).append(value)
            for check in node["assetChecksOrError"]["checks"]:
                # What the asset page and the graph show: the latest evaluation passed.
                latest = check["executionForLatestMaterialization"]
                assert latest and latest["runId"] in run_ids, (asset, check)
                assert latest["status"] == "SUCCEEDED" and latest["evaluation"]["success"], check
                executions = _graphql(
                    graphql,
                    CHECK_EXECUTIONS_QUERY,
                    {"assetKey": {"path": [asset]}, "checkName": check["name"]},
                )["assetCheckExecutions"]
                ours = [e for e in executions if e["runId"] in run_ids]
                # One passed evaluation per run that materialised the asset, aimed at that run's
                # materialisation. The checks are unpartitioned (a partitioned AssetCheckSpec is a
                # preview feature that warns on load), so Dagster also keeps the "planned" record
                # it wrote under the run's partition: it shows as SKIPPED, never as a failure.
                evaluated = [e for e in ours if e["evaluation"]]
                assert len(evaluated) == len(_expected_partitions(asset)), (asset, check, ours)
                for execution in evaluated:
                    assert execution["status"] == "SUCCEEDED", (asset, check, execution)
                    assert execution["evaluation"]["success"], (asset, check, execution)
                    target = execution["evaluation"]["targetMaterialization"]
                    assert target["runId"] == execution["runId"], (asset, check, execution)
                assert all(e["status"] == "SKIPPED" for e in ours if not e["evaluation"]), ours

        items = pl.read_parquet(folder / "items.parquet")
        pairs = pl.read_parquet(folder / "pairs.parquet")
        assert values["items"]["rows"] == [len(items)]
        assert values["clean_items"]["rows"] == [len(items)]
        assert values["item_features"]["rows"] == [len(items)]
        assert values["pairs"]["rows"] == [len(pairs)]
        assert sum(values["pair_features"]["rows"]) == len(pairs)
        assert all(0.0 <= rate <= 1.0 for rate in values["text_embeddings"]["cache_hit_rate"])
