"""The samples a run hands to GE are written where no disk write-back can hold them up:
shared memory when the system has a roomy one, the temporary folder otherwise."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from pipelines.validate import ge_jobs


def test_samples_go_to_shared_memory_when_it_has_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ge_jobs, "_MEMORY_FOLDER", str(tmp_path))
    monkeypatch.setattr(ge_jobs, "_MEMORY_FREE_BYTES", 1)
    with ge_jobs.sample_folder() as folder:
        assert Path(folder).parent == tmp_path
        (Path(folder) / "sample-0.parquet").write_bytes(b"x")
    assert list(tmp_path.iterdir()) == []  # removed with its samples


@pytest.mark.parametrize("why", ["too small", "missing", "read-only"])
def test_samples_go_to_the_temporary_folder_without_a_roomy_shared_memory(
    why: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(ge_jobs, "_MEMORY_FOLDER", str(memory))
    monkeypatch.setattr(ge_jobs, "_MEMORY_FREE_BYTES", 1)
    if why == "too small":
        monkeypatch.setattr(ge_jobs, "_MEMORY_FREE_BYTES", 1 << 62)  # more than any disk
    elif why == "missing":
        memory.rmdir()
    else:
        monkeypatch.setattr(ge_jobs.os, "access", lambda path, mode: False)  # root writes anyway
    with ge_jobs.sample_folder() as folder:
        assert Path(folder).parent == Path(tempfile.gettempdir())
