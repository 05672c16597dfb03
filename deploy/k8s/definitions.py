"""cardfeatures' own definitions with ``k8s_job_executor``: each step of a run in its own pod.

Optional. With only the ``K8sRunLauncher`` (``dagster.yaml`` / ``values.yaml`` here) every run gets
one pod and its steps run in that pod with the multiprocess executor, which already parallelises a
shard's steps. Load this module instead when one run's steps should spread over several pods::

    dagster-webserver -f deploy/k8s/definitions.py    # or the Helm chart's user-code deployment

The executor takes its image, namespace, env and secrets from the run launcher's config.
"""

from __future__ import annotations

import dagster as dg
from dagster_k8s import k8s_job_executor

from pipelines.definitions import build_definitions


def build_k8s_definitions() -> dg.Definitions:
    """``build_definitions()`` with every step of a run launched as a Kubernetes Job."""
    return build_definitions(executor=k8s_job_executor)


defs = build_k8s_definitions()
