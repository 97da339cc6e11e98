"""Fixtures of the runtime tests: one spawned pool shared by the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from esper_rekall.runtime import ProcessPool, Runtime


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
