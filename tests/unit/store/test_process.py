"""Owner identity of runs and locks: pid + host + boot id + start time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from netmend.store.process import ProcessIdentity, current_process, process_alive


def test_current_process_is_alive() -> None:
    """This very process is alive by its own recorded identity."""
    assert process_alive(current_process()) is True


def test_reused_pid_is_not_the_owner() -> None:
    """Same pid but another start time means the pid was reused: the owner is gone."""
    me = current_process()
    assert me.start_ticks is not None
    other = me.model_copy(update={"start_ticks": me.start_ticks + 1})
    assert process_alive(other) is False


def test_other_host_cannot_be_judged() -> None:
    """An owner on another host is neither alive nor dead from here (None)."""
    owner = current_process().model_copy(update={"host": "some-other-host.invalid"})
    assert process_alive(owner) is None


def test_other_boot_means_dead() -> None:
    """A process recorded before a reboot cannot still be running."""
    owner = current_process().model_copy(update={"boot_id": "not-this-boot"})
    assert process_alive(owner) is False


def test_killed_unreaped_child_is_dead() -> None:
    """A child killed with SIGKILL but not yet reaped (a zombie) counts as gone."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        owner = ProcessIdentity(
            pid=child.pid, host=current_process().host, boot_id=current_process().boot_id
        )
        assert process_alive(owner) is True
        os.kill(child.pid, signal.SIGKILL)
        # Wait for the kernel to turn it into a zombie without reaping it.
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        assert process_alive(owner) is False
    finally:
        child.kill()
        child.wait()
