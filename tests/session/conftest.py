"""Session test fixtures: a Session on fake Runner, Jobs and Backend."""

from __future__ import annotations

import pytest
from session_fakes import FakeBackend, FakeJobs, FakeRunner

from visualizer.session import Session


@pytest.fixture
def fakes():
    runner, jobs, backend = FakeRunner(), FakeJobs(), FakeBackend()
    return runner, jobs, backend


@pytest.fixture
def make_session(fakes):
    def make(**kwargs):
        runner, jobs, backend = fakes
        session = Session(runner, jobs, backend, **kwargs)
        runner.session = session
        return session

    return make
