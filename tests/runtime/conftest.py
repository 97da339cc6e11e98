"""Fixtures of the runtime tests: one spawned pool shared by the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from esper_rekall.runtime import ProcessPool, Runtime


#: The query modules of the runtime tests: the project's and the test queries.
QUERY_MODULES = "esper_rekall.queries,tests.runtime"
# In the environment, so spawned pool processes and Celery workers see it too.
os.environ["ESPER_REKALL_QUERY_MODULES"] = QUERY_MODULES


@pytest.fixture(scope="session", autouse=True)
def query_modules() -> None:
    """Lets path references name the test queries (``ESPER_REKALL_QUERY_MODULES``)."""
    from django.conf import settings

    settings.ESPER_REKALL_QUERY_MODULES = QUERY_MODULES.split(",")


@pytest.fixture(scope="session")
def spawned_pool() -> Iterator[ProcessPool]:
    """Two spawned workers; runs borrow them through ``pool.bind``."""
    with ProcessPool(num_workers=2) as pool:
        yield pool


@pytest.fixture(params=["inline", "spawned"])
def runtime(request: pytest.FixtureRequest) -> Runtime:
    """The same tests on the inline pool and on two spawned interpreters."""
    if request.param == "inline":
        return Runtime.inline()
    return Runtime(request.getfixturevalue("spawned_pool").bind)


@pytest.fixture
def flag_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The flag directory of ``steered``, in the environment of this process and the ones it starts."""
    directory = tmp_path / "flags"
    directory.mkdir()
    monkeypatch.setenv("ESPER_REKALL_TEST_FLAGS", str(directory))
    return directory
