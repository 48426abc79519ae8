"""Settings: environment parsing and secrets kept out of repr."""

from __future__ import annotations

from watchfloor.shared.settings import Settings


def test_retry_schedule_from_a_comma_list_or_json():
    assert Settings(_env_file=None, retry_schedule_s="1, 5,30").retry_schedule_s == [1, 5, 30]
    assert Settings(_env_file=None, retry_schedule_s="[2, 4]").retry_schedule_s == [2, 4]


def test_environment_variables_use_the_watchfloor_prefix(monkeypatch):
    monkeypatch.setenv("WATCHFLOOR_BATCH_SIZE", "7")
    monkeypatch.setenv("WATCHFLOOR_RETRY_SCHEDULE_S", "0.5,1")
    settings = Settings(_env_file=None)
    assert settings.batch_size == 7
    assert settings.retry_schedule_s == [0.5, 1.0]


def test_redis_password_never_shows_in_repr():
    settings = Settings(_env_file=None, redis_url="redis://:hunter2@db.internal:6379/0")
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())
    assert settings.resolved_redis_url == "redis://:hunter2@db.internal:6379/0"
