"""The registry of target types: the union watchlists validate with, and the
contract every registered type keeps (the API never shows a secret, and what
it showed can be PUT back)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pytest
from pydantic import SecretStr, TypeAdapter, ValidationError
from watchfloor.services.targets import (
    TARGET_TYPES,
    by_name,
    carry_over,
    redacted,
    type_of,
    union_of,
)
from watchfloor.services.targets.base import TargetConfig
from watchfloor.services.watchlists.model import Watchlist

from tests.unit.notifier.factories import make_secret

SLACK_URL = "https://hooks.slack.example.test/services/T1/B1/harbourwatch7Q2x"
TEAMS_URL = "https://flows.example.test/workflows/1/triggers/manual?sig=harbourwatch5T"
HOOK_URL = "https://ops:harbourwatch9Z@hooks.example.test/in?token=harbourwatch3K"

#: One valid config per registered type, and the secrets it holds. A type
#: added to the registry must add its example here (the first test says so).
EXAMPLES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "webhook": (
        {"type": "webhook", "url": HOOK_URL, "secret": make_secret(5)},
        [make_secret(5), "harbourwatch9Z", "harbourwatch3K"],
    ),
    "slack": ({"type": "slack", "url": SLACK_URL}, [SLACK_URL, "harbourwatch7Q2x"]),
    "teams": ({"type": "teams", "url": TEAMS_URL}, [TEAMS_URL, "harbourwatch5T"]),
    "alertmanager": (
        {"type": "alertmanager", "url": "https://am.example.test", "username": "wf",
         "password": "harbourwatch8P"},
        ["harbourwatch8P"],
    ),
    "email": (
        {"type": "email", "to": ["ops@example.org"], "from": "wf@example.org",
         "host": "smtp.example.org", "username": "wf", "password": "harbourwatch6M"},
        ["harbourwatch6M"],
    ),
}


def validated(config: dict[str, Any]) -> TargetConfig:
    return Watchlist.model_validate({"id": "w", "name": "W", "targets": [config]}).targets[0]


def test_every_registered_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(TARGET_TYPES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_watchlist_target_becomes_its_types_config(name: str) -> None:
    target = validated(EXAMPLES[name][0])
    assert isinstance(target, TARGET_TYPES[name].config)
    assert type_of(target) is TARGET_TYPES[name]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_redacted_view_never_contains_a_secret(name: str) -> None:
    config, secrets = EXAMPLES[name]
    shown = redacted(validated(config))
    assert shown["type"] == name
    for secret in secrets:
        assert secret not in repr(shown)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_what_the_api_showed_put_back_is_the_stored_target(name: str) -> None:
    stored = validated(EXAMPLES[name][0])
    (restored,) = carry_over([redacted(stored)], [stored])
    assert validated(restored) == stored


def test_an_unregistered_type_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        validated({"type": "pager", "url": "https://pager.example.test/"})
    assert info.value.errors()[0]["type"] == "union_tag_invalid"


# --- adding a type ------------------------------------------------------------


class PagerTarget(TargetConfig):
    type: Literal["pager"]
    number: SecretStr


class PagerType:
    """A stand-in for a type someone adds: it only has to be registered."""

    name: ClassVar[str] = "pager"
    config: ClassVar[type[PagerTarget]] = PagerTarget
    markers: ClassVar[frozenset[str]] = frozenset({"number_set"})

    def identity(self, target: PagerTarget) -> str:
        return target.number.get_secret_value()

    def redacted(self, target: PagerTarget) -> dict[str, Any]:
        return {"number_set": True}

    def carry_over(self, sent: Any, stored: Any) -> list[dict[str, Any]]:
        return list(sent)

    async def send(self, delivery: Any, target: Any, context: Any) -> Any:
        raise NotImplementedError


def test_a_registered_type_joins_the_union() -> None:
    types = by_name([*TARGET_TYPES.values(), PagerType()])
    adapter = TypeAdapter(list[union_of(types.values())])  # type: ignore[misc]
    pager, webhook = adapter.validate_python(
        [{"type": "pager", "number": "+15550100"}, EXAMPLES["webhook"][0]]
    )
    assert isinstance(pager, PagerTarget) and pager.number.get_secret_value() == "+15550100"
    assert isinstance(webhook, TARGET_TYPES["webhook"].config)


def test_a_type_whose_config_names_another_type_is_refused() -> None:
    class Misnamed(PagerType):
        name: ClassVar[str] = "beeper"

    with pytest.raises(TypeError, match="Literal\\['beeper'\\]"):
        by_name([Misnamed()])


def test_a_type_registered_twice_is_refused() -> None:
    with pytest.raises(TypeError, match="registered twice"):
        by_name([PagerType(), PagerType()])


# --- rates --------------------------------------------------------------------


def test_slack_defaults_to_one_a_second_others_to_no_limit_and_a_rate_is_shown() -> None:
    from watchfloor.services.targets import rate_of

    slack = validated(EXAMPLES["slack"][0])
    assert rate_of(slack) == 1.0 and "rate_per_s" not in redacted(slack)
    assert rate_of(validated(EXAMPLES["webhook"][0])) is None
    paced = validated({**EXAMPLES["teams"][0], "rate_per_s": 0.5})
    assert rate_of(paced) == 0.5 and redacted(paced)["rate_per_s"] == 0.5
    with pytest.raises(ValidationError, match="greater than 0"):
        validated({**EXAMPLES["slack"][0], "rate_per_s": 0})
