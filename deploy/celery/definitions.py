"""cardfeatures' own definitions with the Celery executor: each step of a run is a Celery task.

Load it instead of ``pipelines.definitions`` on the webserver, the daemon and the workers::

    dagster dev -f deploy/celery/definitions.py                    # or a workspace.yaml entry
    dagster-celery worker start -A dagster_celery.app -y deploy/celery/celery.yaml

Every asset, job, schedule, sensor and resource is the one ``pipelines.definitions`` builds; only
the executor changes. The executor's config (broker, result backend, extra Celery settings) is the
``execution.config`` block of one YAML file, the same file the workers start from, so a run and the
workers can never disagree about the broker. The file is ``$CARDFEATURES_CELERY_CONFIG``, by default
``celery.yaml`` next to this module.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import yaml
from dagster_celery import celery_executor

from pipelines.definitions import build_definitions

DEFAULT_CONFIG = Path(__file__).with_name("celery.yaml")


def celery_config(path: str | os.PathLike | None = None) -> dict:
    """The ``execution.config`` block of the Celery YAML file (see the module docstring)."""
    path = Path(path or os.environ.get("CARDFEATURES_CELERY_CONFIG") or DEFAULT_CONFIG)
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    try:
        return dict(document["execution"]["config"])
    except (KeyError, TypeError) as error:
        raise ValueError(f"{path}: expected an 'execution: config:' block") from error


def build_celery_definitions(config: dict | None = None) -> dg.Definitions:
    """``build_definitions()`` with ``celery_executor`` configured from ``config`` (or the file)."""
    return build_definitions(
        executor=celery_executor.configured(config or celery_config(), name="celery")
    )


defs = build_celery_definitions()
