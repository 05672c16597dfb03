"""Fixtures shared by several test packages: an S3 server (moto) for s3:// store roots."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest


@pytest.fixture(scope="session")
def endpoint():
    """moto's S3 server on a free port of 127.0.0.1, for the whole test session."""
    pytest.importorskip("moto")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture()
def s3_root(endpoint, monkeypatch, tmp_path):
    """A fresh bucket on the moto server; its s3:// prefix is the store root."""
    s3fs = pytest.importorskip("s3fs")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the local catalog cache
    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem(endpoint_url=endpoint)
    bucket = f"bucket-{time.time_ns()}"
    fs.mkdir(bucket)
    return f"s3://{bucket}/prefix"
