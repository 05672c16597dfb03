"""The pipeline with the store on an object store (moto's S3 server, see tests/conftest.py)."""

from dataclasses import replace

import dagster as dg
import polars as pl
import pytest

from featurestore import storage
from featurestore.store import FeatureStore
from pipelines.assets.clean import lm_path
from pipelines.automation import SOURCES_JOB
from pipelines.definitions import build_definitions
from pipelines.runner import run_snapshot
from tests.pipelines.conftest import SNAPSHOT, land_demo

pytest.importorskip("s3fs")


def test_homoglyph_lm_and_clean_items_on_an_s3_store(pipeline_env, s3_root, tmp_path, monkeypatch):
    # The LM was written with os.makedirs + a local file write to "s3://...": a folder "s3:" in
    # the working directory, never the bucket, so a clean_items run on another machine had none.
    monkeypatch.chdir(tmp_path)
    land_demo(tmp_path / "landing", items=30)
    defs = build_definitions(replace(pipeline_env, store=s3_root))
    result = defs.resolve_job_def(SOURCES_JOB).execute_in_process(
        instance=dg.DagsterInstance.get(), partition_key=SNAPSHOT
    )
    assert result.success
    fs, path = storage.filesystem(lm_path(s3_root, SNAPSHOT, 5))
    assert b"\\data\\" in fs.cat_file(path)[:100]  # an ARPA file, in the bucket
    assert not (tmp_path / "s3:").exists()
    clean = FeatureStore(s3_root).read("clean_items", snapshot=SNAPSHOT).collect()
    assert len(clean) == 30 and clean["title_clean"].drop_nulls().len() > 0


@pytest.mark.slow
def test_whole_snapshot_on_an_s3_store(pipeline_env, s3_root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = land_demo(tmp_path / "landing", items=30)
    run_snapshot(build_definitions(replace(pipeline_env, store=s3_root)), SNAPSHOT, 2, echo=print)
    store = FeatureStore(s3_root)
    pairs = pl.read_parquet(folder / "pairs.parquet")
    assert store.sql("select count(*) as n from pair_features")["n"][0] == len(pairs)
    assert store.sql("select count(*) as n from item_features")["n"][0] == 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dagster_home", "landing"]
