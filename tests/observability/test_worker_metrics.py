"""The metrics directory the parent of `serve --workers N` gives its workers."""

import os
import stat
from pathlib import Path

from bookwell.observability.worker_metrics import MULTIPROC_DIR, workers_directory


def test_a_fresh_private_directory_in_the_environment_while_the_workers_run():
    assert MULTIPROC_DIR not in os.environ
    with workers_directory() as directory:
        assert os.environ[MULTIPROC_DIR] == directory
        assert list(Path(directory).iterdir()) == []
        assert stat.S_IMODE(Path(directory).stat().st_mode) == 0o700
        (Path(directory) / "counter_123.db").write_bytes(b"")  # as a worker leaves them
    assert MULTIPROC_DIR not in os.environ
    assert not Path(directory).exists()
