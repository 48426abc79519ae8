"""The watchlists HTTP API, through create_api, on an in-memory store: no Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from redis.exceptions import ConnectionError as RedisConnectionError
from watchfloor.services.classifier.taxonomy import known_tag_ids
from watchfloor.services.ingest.api import create_api
from watchfloor.services.ingest.publisher import IngestOutcome
from watchfloor.services.watchlists.api import redact_watchlist
from watchfloor.services.watchlists.model import Watchlist
from watchfloor.services.watchlists.store import WatchlistChanged
from watchfloor.shared.schemas import Article
from watchfloor.shared.settings import Settings

# Generated once (os.urandom) for these tests; they protect nothing.
HOOK_SECRET = "whsec_JDBUbRiZFVgcfVc3BcrDwi1dNV3myMAzWgSC5JYTqLI="  # 32 bytes
OTHER_SECRET = "whsec_dh0DDlL1xwbnsKfLJNmvPjxt68E7fu02"  # 24 bytes
FILE_SECRET = "whsec_pAGvw3yTLSQR1D7Bd+ULkdp6RZxS+cRx"  # 24 bytes (the file-defined one)
SLACK_URL = "https://hooks.slack.com/services/T0WF00001/B0WF00002/harbourwatch7Q2x"
API_TOKEN = "wf-token-3c1d9a77e2b04f6e"
EVERY_SECRET = (HOOK_SECRET, OTHER_SECRET, FILE_SECRET, SLACK_URL, API_TOKEN, "harbourwatch7Q2x")

CUSTOM_TAG = "port_closure"  # as if from a custom taxonomy


def harbour_watchlist(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "baltic-ports",
        "name": "Baltic ports, naval activity",
        "match": {
            "tags_any": ["military_exercise", "troop_deployment"],
            "actors_any": ["RU", "FI"],
            "min_confidence": 0.6,
        },
        "targets": [
            {"type": "webhook", "url": "https://hooks.example.org/baltic", "secret": HOOK_SECRET},
            {"type": "slack", "url": SLACK_URL},
        ],
    }
    body.update(overrides)
    return body


FILE_WATCHLIST = Watchlist.model_validate(
    {
        "id": "dprk-russia",
        "name": "North Korea and Russia",
        "match": {"tags_any": ["missile_test"], "actors_any": ["KP", "RU"]},
        "targets": [
            {"type": "webhook", "url": "https://file.example.org/h", "secret": FILE_SECRET}
        ],
    }
)


class MemoryStore:
    """The WatchlistStore interface, in memory."""

    def __init__(self, known_tags: frozenset[str]) -> None:
        self.known_tags = known_tags
        self.items: dict[str, Watchlist] = {}
        self.changes = 0
        self.revisions: dict[str, str] = {}
        self.fail_with: Exception | None = None

    def _check(self) -> None:
        if self.fail_with:
            raise self.fail_with

    async def list(self) -> list[Watchlist]:
        self._check()
        return [self.items[k] for k in sorted(self.items)]

    async def get(self, watchlist_id: str) -> Watchlist | None:
        self._check()
        return self.items.get(watchlist_id)

    async def put(self, watchlist: Watchlist) -> bool:
        self._check()
        created = watchlist.id not in self.items
        self.items[watchlist.id] = watchlist
        self.changes += 1
        return created

    async def get_with_revision(self, watchlist_id: str) -> tuple[Watchlist | None, str | None]:
        self._check()
        found = self.items.get(watchlist_id)
        return found, None if found is None else self.revisions.get(watchlist_id, "0")

    async def save(self, watchlist: Watchlist, expected: str = "*") -> tuple[bool, str]:
        _, current = await self.get_with_revision(watchlist.id)
        if expected != "*" and (current or "") != expected:
            raise WatchlistChanged(watchlist.id)
        created = await self.put(watchlist)
        self.revisions[watchlist.id] = str(self.changes)
        return created, self.revisions[watchlist.id]

    async def delete(self, watchlist_id: str) -> bool:
        self._check()
        self.changes += 1
        return self.items.pop(watchlist_id, None) is not None

    async def version(self) -> int:
        self._check()
        return self.changes


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[Article] = []

    async def publish(self, articles: list[Article]) -> list[IngestOutcome]:
        self.published.extend(articles)
        return [IngestOutcome(a.id, "new") for a in articles]

    async def record_rejected(self, count: int) -> None:
        return None


class FakeRedis:
    async def ping(self) -> bool:
        return True


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(frozenset(known_tag_ids()) | {CUSTOM_TAG})


@pytest.fixture
def bodies() -> list[str]:
    """Every response body of the test, checked for secrets afterwards."""
    return []


@pytest.fixture(autouse=True)
def _no_secret_in_any_response(bodies: list[str]) -> Iterator[None]:
    yield
    for text in bodies:
        for secret in EVERY_SECRET:
            assert secret not in text


def make_client(
    tmp_path: Path, store: MemoryStore, bodies: list[str], **settings: Any
) -> TestClient:
    app_settings = Settings(_env_file=None, data_dir=tmp_path, **settings)
    app = create_api(
        app_settings,
        FakeRedis(),  # type: ignore[arg-type]
        publisher=FakePublisher(),
        watchlist_store=store,
        file_watchlists=[FILE_WATCHLIST],
    )
    client = TestClient(app)

    def record(response: httpx.Response) -> None:
        response.read()
        bodies.append(response.text)
        bodies.append(str(response.headers))

    client.event_hooks = {"request": [], "response": [record]}
    return client


@pytest.fixture
def client(tmp_path: Path, store: MemoryStore, bodies: list[str]) -> TestClient:
    return make_client(tmp_path, store, bodies)


# --- create, read, replace, delete ------------------------------------------


def test_put_creates_then_replaces_and_never_shows_secrets(
    client: TestClient, store: MemoryStore, bodies: list[str]
) -> None:
    created = client.put("/v1/watchlists/baltic-ports", json=harbour_watchlist())
    assert created.status_code == 201
    assert created.headers["location"] == "/v1/watchlists/baltic-ports"
    assert created.json() == {
        "id": "baltic-ports",
        "name": "Baltic ports, naval activity",
        "match": {
            "tags_any": ["military_exercise", "troop_deployment"],
            "tags_all": [],
            "actors_any": ["RU", "FI"],
            "actors_all": [],
            "actors_scope": "article",
            "keywords_any": [],
            "min_confidence": 0.6,
            "exclude_modalities": [],
            "min_figures": None,
        },
        "alert_on": "story",
        "targets": [
            {"type": "webhook", "url": "https://hooks.example.org/baltic", "secret_set": True},
            {"type": "slack", "url_set": True},
        ],
        "source": "api",
    }
    # The store got the real secrets.
    saved = store.items["baltic-ports"]
    assert saved.targets[0].secret.get_secret_value() == HOOK_SECRET  # type: ignore[union-attr]
    assert saved.targets[1].url.get_secret_value() == SLACK_URL  # type: ignore[union-attr]

    replaced = client.put(
        "/v1/watchlists/baltic-ports", json=harbour_watchlist(name="Baltic ports (narrowed)")
    )
    assert replaced.status_code == 200
    assert "location" not in replaced.headers
    assert replaced.json()["name"] == "Baltic ports (narrowed)"
    assert store.changes == 2

    one = client.get("/v1/watchlists/baltic-ports")
    assert one.status_code == 200
    assert one.json() == replaced.json()
    # The secret check after each test does see the responses.
    assert sum('"secret_set":true' in b for b in bodies) == 3


def test_list_shows_file_and_api_watchlists_with_their_source(client: TestClient) -> None:
    client.put("/v1/watchlists/baltic-ports", json=harbour_watchlist())
    client.put(
        "/v1/watchlists/aegean",
        json=harbour_watchlist(id="aegean", name="Aegean", targets=[]),
    )
    listed = client.get("/v1/watchlists")
    assert listed.status_code == 200
    body = listed.json()
    assert [(w["id"], w["source"]) for w in body["watchlists"]] == [
        ("dprk-russia", "file"),
        ("aegean", "api"),
        ("baltic-ports", "api"),
    ]
    assert body["version"] == 2
    assert body["watchlists"][0]["targets"] == [
        {"type": "webhook", "url": "https://file.example.org/h", "secret_set": True}
    ]


def test_body_may_omit_the_id(client: TestClient, store: MemoryStore) -> None:
    body = harbour_watchlist()
    del body["id"]
    assert client.put("/v1/watchlists/baltic-ports", json=body).status_code == 201
    assert store.items["baltic-ports"].id == "baltic-ports"


def test_delete_then_unknown_is_404(client: TestClient, store: MemoryStore) -> None:
    client.put("/v1/watchlists/baltic-ports", json=harbour_watchlist())
    deleted = client.delete("/v1/watchlists/baltic-ports")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert store.items == {}

    again = client.delete("/v1/watchlists/baltic-ports")
    assert again.status_code == 404
    assert again.json() == {"error": {"message": "no watchlist 'baltic-ports'"}}
    assert client.get("/v1/watchlists/baltic-ports").status_code == 404


# --- file-defined watchlists are read-only ------------------------------------


def test_file_watchlists_are_readable_but_not_writable(
    client: TestClient, store: MemoryStore
) -> None:
    shown = client.get("/v1/watchlists/dprk-russia")
    assert shown.status_code == 200
    assert shown.json()["source"] == "file"

    put = client.put("/v1/watchlists/dprk-russia", json=harbour_watchlist(id="dprk-russia"))
    assert put.status_code == 409
    assert "defined in the watchlists file" in put.json()["error"]["message"]
    deleted = client.delete("/v1/watchlists/dprk-russia")
    assert deleted.status_code == 409
    assert store.changes == 0


def test_an_api_copy_hidden_by_the_file_is_shown_and_can_be_deleted(
    client: TestClient, store: MemoryStore
) -> None:
    # stored through the API before the file gained the same id: it would
    # come back (with its old targets) the day the file dropped the id
    store.items["dprk-russia"] = Watchlist(id="dprk-russia", name="Old API copy")
    listed = {w["id"]: w for w in client.get("/v1/watchlists").json()["watchlists"]}
    assert listed["dprk-russia"]["source"] == "file" and listed["dprk-russia"]["hides_api_copy"]
    assert client.get("/v1/watchlists/dprk-russia").json()["hides_api_copy"] is True
    deleted = client.delete("/v1/watchlists/dprk-russia")
    assert deleted.status_code == 200 and "the API's copy" in deleted.json()["deleted"]
    assert "dprk-russia" not in store.items
    assert "hides_api_copy" not in client.get("/v1/watchlists/dprk-russia").json()
    assert client.delete("/v1/watchlists/dprk-russia").status_code == 409  # the file's stays


# --- validation ---------------------------------------------------------------


def problems_of(response: httpx.Response) -> dict[str | None, str]:
    assert response.status_code == 422, response.text
    return {p["field"]: p["message"] for p in response.json()["error"]["problems"]}


def test_a_misspelt_match_key_is_refused_not_dropped(client: TestClient, store: MemoryStore) -> None:
    # dropped, the watchlist was saved with no criteria and alerted on everything
    body = harbour_watchlist()
    body["Match"] = body.pop("match")
    problems = problems_of(client.put("/v1/watchlists/baltic-ports", json=body))
    assert list(problems.values()) == ["unknown key 'Match': did you mean 'match'?"]
    assert store.changes == 0


def test_an_actor_given_by_name_is_refused_with_its_id(client: TestClient) -> None:
    body = harbour_watchlist(match={"tags_any": ["sanctions"], "actors_any": ["Finland", "RU"]})
    problems = problems_of(client.put("/v1/watchlists/baltic-ports", json=body))
    assert problems == {"match.actors_any": "unknown actor 'Finland': use its id 'FI'"}


def test_unknown_tag_is_named_with_the_known_tags(client: TestClient) -> None:
    body = harbour_watchlist(match={"tags_any": ["missile_tset"], "tags_all": ["sanctions"]})
    response = client.put("/v1/watchlists/baltic-ports", json=body)
    problems = problems_of(response)
    assert set(problems) == {"match.tags_any"}
    message = problems["match.tags_any"]
    assert message.startswith("unknown tag 'missile_tset' (known tags: ")
    for tag in (*known_tag_ids(), CUSTOM_TAG):
        assert tag in message
    assert response.json()["error"]["message"].startswith(
        "the watchlist is invalid: match.tags_any: unknown tag"
    )


def test_custom_taxonomy_tags_are_accepted(client: TestClient) -> None:
    body = harbour_watchlist(match={"tags_any": [CUSTOM_TAG]})
    assert client.put("/v1/watchlists/baltic-ports", json=body).status_code == 201


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        # Secret-looking values that must still never be echoed.
        ("harbourwatch7Q2x" * 3, "must start with whsec_"),
        ("whsec_harbourwatch7Q2x!!", "must be whsec_ followed by base64"),
        ("whsec_" + "harbourwatch7Q2x", "must encode at least 24 bytes of key"),
    ],
)
def test_bad_secret_is_refused_without_echoing_it(
    client: TestClient, store: MemoryStore, bodies: list[str], secret: str, message: str
) -> None:
    body = harbour_watchlist()
    body["targets"][0]["secret"] = secret
    response = client.put("/v1/watchlists/baltic-ports", json=body)
    assert problems_of(response) == {"targets[0].secret": message}
    assert secret not in response.text
    assert store.items == {}


def test_bad_slack_url_is_refused_without_echoing_it(client: TestClient) -> None:
    body = harbour_watchlist()
    body["targets"][1]["url"] = SLACK_URL.replace("https", "ftp")
    response = client.put("/v1/watchlists/baltic-ports", json=body)
    assert problems_of(response) == {"targets[1].url": "must be an http(s) URL with a host"}


def test_every_problem_is_reported_with_its_field(client: TestClient) -> None:
    body = {
        "match": {"tag_any": ["sanctions"], "min_confidence": 3},
        "targets": [{"type": "pager", "number": "555"}, {"type": "webhook", "url": "x"}],
    }
    problems = problems_of(client.put("/v1/watchlists/baltic-ports", json=body))
    assert problems["name"] == "is required"
    assert problems["match.tag_any"].startswith("is not a known field (allowed: tags_any,")
    assert problems["match.min_confidence"] == "Input should be less than or equal to 1"
    assert problems["targets[0].type"] == (
        "must be one of: webhook, slack, teams, alertmanager, email"
    )
    assert problems["targets[1].url"] == "must be an http(s) URL with a host"
    assert problems["targets[1].secret"] == "is required"


def test_id_in_body_must_match_the_path(client: TestClient) -> None:
    response = client.put("/v1/watchlists/baltic-ports", json=harbour_watchlist(id="aegean"))
    assert problems_of(response) == {"id": "must be 'baltic-ports' (the path's) or omitted"}


def test_invalid_id_in_path(client: TestClient) -> None:
    body = harbour_watchlist()
    del body["id"]
    problems = problems_of(client.put("/v1/watchlists/-bad%20id", json=body))
    assert problems["id"].startswith("String should match pattern")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "request body is empty"),
        (b'{"id": "x", "targets": [', "request body is not valid JSON"),
        (b"[1, 2]", "request body must be a JSON object"),
        (b"\xff\xfe", "request body is not UTF-8 text"),
    ],
)
def test_body_that_is_not_a_json_object_is_400(
    client: TestClient, content: bytes, message: str
) -> None:
    response = client.put(
        "/v1/watchlists/baltic-ports",
        content=content,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(message)


def test_storage_down_is_503(client: TestClient, store: MemoryStore) -> None:
    store.fail_with = RedisConnectionError("Connection refused")
    for response in (
        client.get("/v1/watchlists"),
        client.put("/v1/watchlists/baltic-ports", json=harbour_watchlist()),
        client.delete("/v1/watchlists/baltic-ports"),
    ):
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert "watchlist storage is unavailable" in response.json()["error"]["message"]


def test_redaction_hides_a_password_in_a_webhook_url() -> None:
    watchlist = Watchlist.model_validate(
        harbour_watchlist(
            targets=[
                {
                    "type": "webhook",
                    "url": "https://ops:harbourwatch7Q2x@hooks.example.org/x",
                    "secret": OTHER_SECRET,
                }
            ]
        )
    )
    shown = redact_watchlist(watchlist, "api")
    assert shown["targets"] == [
        {"type": "webhook", "url": "https://***@hooks.example.org/x", "secret_set": True}
    ]
    assert "harbourwatch7Q2x" not in str(shown)


def test_redaction_hides_a_token_in_a_webhook_query() -> None:
    url = "https://hooks.example.org/x?channel=ops&token=harbourwatch7Q2x"
    watchlist = Watchlist.model_validate(
        harbour_watchlist(targets=[{"type": "webhook", "url": url, "secret": OTHER_SECRET}])
    )
    (shown,) = redact_watchlist(watchlist, "api")["targets"]
    assert shown["url"] == "https://hooks.example.org/x?channel=ops&token=***"


def test_a_masked_url_put_back_keeps_the_real_url_and_secret(
    client: TestClient, store: MemoryStore
) -> None:
    url = "https://hooks.example.org/x?token=harbourwatch7Q2x"
    body = harbour_watchlist(targets=[{"type": "webhook", "url": url, "secret": OTHER_SECRET}])
    assert client.put("/v1/watchlists/baltic-ports", json=body).status_code == 201
    read = client.get("/v1/watchlists/baltic-ports").json()
    read.pop("source")
    assert client.put("/v1/watchlists/baltic-ports", json=read).status_code == 200
    (target,) = store.items["baltic-ports"].targets
    assert target.url == url
    assert target.secret.get_secret_value() == OTHER_SECRET  # type: ignore[union-attr]


# --- the API token ------------------------------------------------------------


@pytest.fixture
def secured(tmp_path: Path, store: MemoryStore, bodies: list[str]) -> TestClient:
    return make_client(tmp_path, store, bodies, api_token=SecretStr(API_TOKEN))


BEARER = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.mark.parametrize(
    ("headers", "message", "challenge"),
    [
        ({}, "this endpoint needs an API token", 'Bearer realm="watchfloor"'),
        (
            {"Authorization": f"Basic {API_TOKEN}"},
            "the Authorization header must use the Bearer scheme",
            'Bearer realm="watchfloor"',
        ),
        (
            {"Authorization": "Bearer wf-token-wrong"},
            "the API token is not valid",
            'Bearer realm="watchfloor", error="invalid_token"',
        ),
        (
            {"Authorization": f"Bearer {API_TOKEN}x"},
            "the API token is not valid",
            'Bearer realm="watchfloor", error="invalid_token"',
        ),
    ],
)
def test_every_watchlist_route_needs_the_token(
    secured: TestClient,
    store: MemoryStore,
    headers: dict[str, str],
    message: str,
    challenge: str,
) -> None:
    for method, path, kwargs in (
        ("GET", "/v1/watchlists", {}),
        ("GET", "/v1/watchlists/dprk-russia", {}),
        ("PUT", "/v1/watchlists/baltic-ports", {"json": harbour_watchlist()}),
        ("DELETE", "/v1/watchlists/baltic-ports", {}),
    ):
        response = secured.request(method, path, headers=headers, **kwargs)
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["message"].startswith(message)
        assert response.headers["www-authenticate"] == challenge
    assert store.changes == 0


def test_the_right_token_is_accepted(secured: TestClient) -> None:
    put = secured.put("/v1/watchlists/baltic-ports", json=harbour_watchlist(), headers=BEARER)
    assert put.status_code == 201
    assert secured.get("/v1/watchlists", headers=BEARER).status_code == 200
    assert secured.delete("/v1/watchlists/baltic-ports", headers=BEARER).status_code == 204


def test_ingest_is_open_unless_the_token_is_required_for_it(secured: TestClient) -> None:
    assert secured.post("/v1/articles", json={"title": "Ferry resumes"}).status_code == 202
    assert secured.get("/healthz").status_code == 200


def test_ingest_token(tmp_path: Path, store: MemoryStore, bodies: list[str]) -> None:
    client = make_client(
        tmp_path, store, bodies, api_token=SecretStr(API_TOKEN), api_token_for_ingest=True
    )
    article = {"title": "Ferry resumes"}
    refused = client.post("/v1/articles", json=article)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"].startswith("this endpoint needs an API token")
    wrong = client.post("/v1/articles", json=article, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.post("/v1/articles", json=article, headers=BEARER).status_code == 202
    # Health stays open for probes.
    assert client.get("/healthz").status_code == 200


def test_a_token_configured_with_a_trailing_newline_still_matches(
        tmp_path: Path, store: MemoryStore, bodies: list[str]) -> None:
    # HTTP drops the spaces around a header value: no client could send the newline
    client = make_client(tmp_path, store, bodies, api_token=SecretStr(API_TOKEN + "\n"))
    assert client.get("/v1/watchlists", headers=BEARER).status_code == 200
    assert client.get("/v1/watchlists").status_code == 401


def test_no_token_configured_means_open(client: TestClient) -> None:
    assert client.get("/v1/watchlists").status_code == 200


def test_openapi_lists_the_routes(secured: TestClient) -> None:
    schema = secured.get("/openapi.json").json()
    assert set(schema["paths"]["/v1/watchlists/{watchlist_id}"]) == {"get", "put", "delete"}
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


def test_what_was_read_can_be_put_back_and_keeps_its_secrets(
    client: TestClient, store: MemoryStore
) -> None:
    assert client.put("/v1/watchlists/baltic-ports", json=harbour_watchlist()).status_code == 201
    read = client.get("/v1/watchlists/baltic-ports").json()
    read.pop("source")
    read["match"]["min_confidence"] = 0.8  # an officer tightens the watchlist

    replaced = client.put("/v1/watchlists/baltic-ports", json=read)

    assert replaced.status_code == 200, replaced.text
    saved = store.items["baltic-ports"]
    assert saved.match.min_confidence == 0.8
    assert saved.targets[0].secret.get_secret_value() == HOOK_SECRET  # type: ignore[union-attr]
    assert saved.targets[1].url.get_secret_value() == SLACK_URL  # type: ignore[union-attr]


def test_a_new_webhook_url_without_a_secret_is_refused(client: TestClient) -> None:
    assert client.put("/v1/watchlists/baltic-ports", json=harbour_watchlist()).status_code == 201
    body = harbour_watchlist()
    body["targets"][0] = {"type": "webhook", "url": "https://elsewhere.example.org/hook"}
    refused = client.put("/v1/watchlists/baltic-ports", json=body)
    assert refused.status_code == 422
    assert "targets[0].secret" in problems_of(refused)


def test_alert_on_is_shown_and_survives_a_read_and_put_back(
    client: TestClient, store: MemoryStore
) -> None:
    body = harbour_watchlist()
    body["alert_on"] = "every_version"
    assert client.put("/v1/watchlists/baltic-ports", json=body).status_code == 201
    read = client.get("/v1/watchlists/baltic-ports").json()
    assert read["alert_on"] == "every_version"
    read.pop("source")
    assert client.put("/v1/watchlists/baltic-ports", json=read).status_code == 200
    assert store.items["baltic-ports"].alert_on == "every_version"


@pytest.mark.parametrize(("document", "where"), [
    ('{"name":"ok","match":{"tags_any":["sanctions"],"keywords_any":["Hwasong\\ud800"]}}',
     "match.keywords_any[0]"),
    ('{"name":"ok","owner\\udc00":"x"}', "owner\\udc00"),
])
def test_a_lone_surrogate_is_refused_not_stored(client: TestClient, store: MemoryStore,
                                                document: str, where: str) -> None:
    # stored, it made every later read of the list a 500
    reply = client.put("/v1/watchlists/surr", content=document.encode(),
                       headers={"content-type": "application/json"})
    assert reply.status_code == 422
    assert f"{where} holds a lone surrogate" in reply.json()["error"]["message"]
    assert "surr" not in store.items
    assert client.get("/v1/watchlists").status_code == 200
    # an escaped pair is one character, and fine
    fine = document.replace("\\ud800", "\\ud83d\\ude00").replace("\\udc00", "\\ud83d\\ude00")
    assert client.put("/v1/watchlists/surr", content=fine.encode(),
                      headers={"content-type": "application/json"}).status_code == 201


def test_a_key_given_twice_is_refused(client: TestClient, store: MemoryStore) -> None:
    # last-wins made this "every tagged article at 0.5", not DPRK missile tests
    document = ('{"name":"DPRK only","match":{"tags_any":["missile_test"],"actors_any":["KP"]},'
                '"match":{"min_confidence":0.5}}')
    reply = client.put("/v1/watchlists/dupkey", content=document.encode(),
                       headers={"content-type": "application/json"})
    assert reply.status_code == 400
    assert "'match' is given twice in one object: keep one" in reply.json()["error"]["message"]
    assert "dupkey" not in store.items


def test_a_key_holding_a_secret_is_not_echoed_in_the_problems(client: TestClient) -> None:
    target = {"type": "webhook", "url": "https://hooks.example.org/x", f"secret:{HOOK_SECRET}": None}
    response = client.put("/v1/watchlists/leaky", json=harbour_watchlist(
        id="leaky", targets=[target]))
    assert response.status_code == 422, response.text
    assert HOOK_SECRET not in response.text and HOOK_SECRET[6:20] not in response.text
