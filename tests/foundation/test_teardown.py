"""Stopping the servers leaves no process behind."""

from __future__ import annotations

import os

import pytest

from teamop.testing.controlplane import ControlPlane
from teamop.testing.postgres import PostgresServer


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is gone for every practical purpose
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.controlplane
def test_a_stopped_control_plane_leaves_no_process_and_no_files() -> None:
    plane = ControlPlane()
    plane.start()
    pids = plane.pids()
    assert len(pids) == 6  # etcd, apiserver, controller manager, scheduler, kwok, provisioner

    plane.stop(remove_workdir=True)

    assert [pid for pid in pids if alive(pid)] == []
    assert not plane.workdir.exists()


@pytest.mark.postgres
def test_a_stopped_postgres_leaves_no_process_and_no_files() -> None:
    server = PostgresServer().start()
    assert server.server is not None
    assert server.server.pid is not None
    pid = server.server.pid

    server.stop()

    assert not alive(pid)
    assert not server.workdir.exists()
