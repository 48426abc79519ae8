import asyncio
import builtins

import pytest
import uvloop
from watchfloor.shared import event_loop
from watchfloor.shared.errors import ConfigError
from watchfloor.shared.settings import Settings


async def _loop_type() -> type:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop())


def test_workers_run_on_uvloop_by_default():
    factory = event_loop.loop_factory(Settings().event_loop)
    assert event_loop.run(_loop_type(), factory) is uvloop.Loop


def test_asyncio_runs_the_standard_library_loop():
    loop_type = event_loop.run(_loop_type(), event_loop.loop_factory("asyncio"))
    assert not issubclass(loop_type, uvloop.Loop)
    assert issubclass(loop_type, asyncio.BaseEventLoop)


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("WATCHFLOOR_EVENT_LOOP", "asyncio")
    assert Settings().event_loop == "asyncio"


def test_an_unknown_loop_is_a_settings_error(monkeypatch):
    monkeypatch.setenv("WATCHFLOOR_EVENT_LOOP", "tokio")
    with pytest.raises(ValueError, match="event_loop"):
        Settings()


def test_without_uvloop_the_error_says_how_to_run(monkeypatch):
    real_import = builtins.__import__

    def no_uvloop(name, *args, **kwargs):
        if name == "uvloop":
            raise ImportError("No module named 'uvloop'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvloop)
    with pytest.raises(ConfigError, match="WATCHFLOOR_EVENT_LOOP=asyncio"):
        event_loop.loop_factory("uvloop")
