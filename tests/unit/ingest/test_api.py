"""The HTTP API with a fake publisher and a fake Redis: no server needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from redis.exceptions import ConnectionError as RedisConnectionError
from watchfloor.services.ingest.api import create_api
from watchfloor.services.ingest.publisher import IngestOutcome
from watchfloor.shared.schemas import Article
from watchfloor.shared.settings import Settings


class FakePublisher:
    """Remembers ids; a repeated id is a duplicate, like the real one."""

    def __init__(self) -> None:
        self.published: list[Article] = []
        self.rejected = 0
        self.fail_with: Exception | None = None

    async def publish(self, articles: list[Article]) -> list[IngestOutcome]:
        if self.fail_with:
            raise self.fail_with
        outcomes = []
        for article in articles:
            seen = any(a.id == article.id for a in self.published)
            if not seen:
                self.published.append(article)
            outcomes.append(IngestOutcome(article.id, "duplicate" if seen else "new"))
        return outcomes

    async def record_rejected(self, count: int) -> None:
        self.rejected += count


class FakeRedis:
    def __init__(self) -> None:
        self.up = True

    async def ping(self) -> bool:
        if not self.up:
            raise RedisConnectionError("Connection refused")
        return True


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        redis_url="redis://:hunter2@redis.internal:6379/0",
        max_batch_articles=3,
        data_dir=tmp_path,
    )


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def redis() -> FakeRedis:
    return FakeRedis()


@pytest.fixture
def client(api_settings: Settings, redis: FakeRedis, publisher: FakePublisher) -> TestClient:
    # by address, as a token-less API is reached from a browser (a name is refused)
    return TestClient(create_api(api_settings, redis, publisher=publisher),  # type: ignore[arg-type]
                      base_url="http://127.0.0.1")


def test_single_article(client: TestClient, publisher: FakePublisher) -> None:
    response = client.post("/v1/articles", json={"title": "Ferry resumes", "text": "Daily."})
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 1 and body["new"] == 1 and body["duplicate"] == 0
    [result] = body["results"]
    assert result == {"id": publisher.published[0].id, "status": "new"}


def test_same_article_twice_is_duplicate(client: TestClient) -> None:
    article = {"title": "Ferry resumes", "url": "https://example.org/ferry?utm_source=x"}
    client.post("/v1/articles", json=article)
    body = client.post("/v1/articles", json=article).json()
    assert body["new"] == 0 and body["duplicate"] == 1
    assert body["results"][0]["status"] == "duplicate"


@pytest.mark.parametrize("wrap", [lambda items: items, lambda items: {"articles": items}])
def test_batch_as_array_or_wrapper(client: TestClient, publisher: FakePublisher, wrap) -> None:
    items = [{"title": "One"}, {"title": "Two"}, {"title": "One"}]
    body = client.post("/v1/articles", json=wrap(items)).json()
    assert (body["accepted"], body["new"], body["duplicate"]) == (3, 2, 1)
    assert [r["status"] for r in body["results"]] == ["new", "new", "duplicate"]
    assert [a.title for a in publisher.published] == ["One", "Two"]


def test_an_article_with_a_field_named_articles_is_that_article(
    client: TestClient, publisher: FakePublisher
) -> None:
    article = {"title": "Main", "text": "x", "articles": [{"title": "Related"}]}
    body = client.post("/v1/articles", json=article).json()
    assert body["new"] == 1
    assert [a.title for a in publisher.published] == ["Main"]
    # and a non-array "articles" beside its own text is no malformed wrapper
    response = client.post("/v1/articles",
                           json={"title": "Other", "text": "y", "articles": "see also"})
    assert response.status_code == 202
    # a wrapper may still carry a name of its own
    body = client.post("/v1/articles", json={"title": "Export", "articles": [
        {"title": "In"}, {"title": "Too"}]}).json()
    assert body["new"] == 2 and [a.title for a in publisher.published][-2:] == ["In", "Too"]


def test_invalid_item_in_batch_names_index_and_field(
    client: TestClient, publisher: FakePublisher
) -> None:
    items = [{"title": "Fine"}, {"title": "Bad", "url": "ftp://x.example"}, {"text": "no title"}]
    response = client.post("/v1/articles", json=items)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"].startswith("2 of 3 articles are invalid, nothing was ingested")
    assert "item 1: url:" in error["message"]
    assert error["problems"] == [
        {
            "index": 1,
            "field": "url",
            "message": "URL must be http:// or https://, got scheme 'ftp'",
        },
        {"index": 2, "field": "title", "message": "is required"},
    ]
    assert publisher.published == []  # all or nothing
    assert publisher.rejected == 2


def test_invalid_single_article(client: TestClient) -> None:
    response = client.post("/v1/articles", json={"title": "T", "published_at": "tomorrow"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"].startswith("the article is invalid: published_at:")
    assert error["problems"][0]["index"] is None
    assert error["problems"][0]["field"] == "published_at"


def test_non_object_item(client: TestClient) -> None:
    error = client.post("/v1/articles", json=[{"title": "ok"}, "oops"]).json()["error"]
    assert error["problems"] == [
        {"index": 1, "field": None, "message": "an article must be a JSON object, got a string"}
    ]


def test_batch_over_the_limit_is_413(client: TestClient, publisher: FakePublisher) -> None:
    response = client.post("/v1/articles", json=[{"title": f"T{n}"} for n in range(4)])
    assert response.status_code == 413
    assert "4 articles; at most 3" in response.json()["error"]["message"]
    assert publisher.published == []


def test_body_too_large_is_413(client: TestClient) -> None:
    response = client.post(
        "/v1/articles",
        content=b"[]",
        headers={"content-type": "application/json", "content-length": str(64 << 20)},
    )
    assert response.status_code == 413
    assert "larger than 32 MiB" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"", 400, "request body is empty"),
        (b'{"title": "x",', 400, "request body is not valid JSON: Expecting property name"),
        (b"\xff\xfe", 400, "not UTF-8"),
        (b'"just text"', 400, "must be a JSON object or array, got a string"),
        (b"42", 400, "must be a JSON object or array, got a number"),
        (b'{"articles": {"title": "x"}}', 400, '"articles" must be an array, got an object'),
        (b"[]", 422, "the batch is empty"),
    ],
)
def test_malformed_bodies(client: TestClient, content: bytes, status: int, message: str) -> None:
    response = client.post(
        "/v1/articles", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert message in response.json()["error"]["message"]


def test_redis_failure_while_publishing_is_503(
    client: TestClient, publisher: FakePublisher
) -> None:
    publisher.fail_with = RedisConnectionError("Connection reset by peer")
    response = client.post("/v1/articles", json={"title": "T"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    message = response.json()["error"]["message"]
    assert "retry later" in message
    # a batch goes in by chunks: it may be partly in, and was said not to be
    assert "nothing was ingested" not in message
    assert "sending the same articles again is safe" in message


def test_healthz_answers_head_for_probes_that_use_it(client: TestClient, redis: FakeRedis) -> None:
    assert client.head("/healthz").status_code == 200  # was 405
    redis.up = False
    assert client.head("/healthz").status_code == 503


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    response = client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Not Found"}}


def test_healthz(client: TestClient, redis: FakeRedis) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    redis.up = False
    response = client.get("/healthz")
    assert response.status_code == 503
    detail = response.json()["redis"]
    assert "redis.internal" in detail and "hunter2" not in detail


def test_openapi_documents_the_body(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/v1/articles"]["post"]["requestBody"]
    assert len(body["content"]["application/json"]["schema"]["oneOf"]) == 3
    # the handler returns its JSON itself; the answer's shape is still documented
    accepted = schema["paths"]["/v1/articles"]["post"]["responses"]["202"]
    ref = accepted["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/IngestResponse")
    assert set(schema["components"]["schemas"]["IngestResponse"]["properties"]) == {
        "accepted", "new", "duplicate", "results"}


# Writes a web page on another site could make through an officer's browser
# are refused (services/ingest/cross_site.py); clients that are not browsers are not.
CROSS_SITE_ARTICLE = b'{"title": "Ferry resumes", "text": "Daily."}'


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_body_a_browser_form_could_send_is_refused_with_415(
        client: TestClient, publisher: FakePublisher, content_type: str) -> None:
    reply = client.post("/v1/articles", content=CROSS_SITE_ARTICLE,
                        headers={"content-type": content_type, "sec-fetch-site": "same-origin"})
    assert reply.status_code == 415
    assert "Content-Type: application/json" in reply.json()["error"]["message"]
    assert publisher.published == []


def test_a_write_from_another_site_is_refused_with_403(client: TestClient,
                                                       publisher: FakePublisher) -> None:
    for origin in ("https://evil.example", "null"):
        reply = client.post("/v1/articles", content=CROSS_SITE_ARTICLE,
                            headers={"content-type": "application/json", "origin": origin})
        assert reply.status_code == 403 and "another site" in reply.json()["error"]["message"]
    reply = client.put("/v1/watchlists/w", content=b"{}",
                       headers={"content-type": "application/json",
                                "origin": "https://evil.example"})
    assert reply.status_code == 403
    assert publisher.published == []


def test_a_browser_reaching_a_token_less_api_by_a_name_is_refused(
        api_settings: Settings, redis: FakeRedis, publisher: FakePublisher) -> None:
    # DNS rebinding: the attacker's name resolves to 127.0.0.1, and its page
    # sends that name as Host with a matching Origin: "same origin"
    app = create_api(api_settings, redis, publisher=publisher)  # type: ignore[arg-type]
    named = TestClient(app, base_url="http://attacker.example:8080")
    browser = {"content-type": "application/json", "origin": "http://attacker.example:8080",
               "sec-fetch-site": "same-origin"}
    reply = named.put("/v1/watchlists/w", content=b"{}", headers=browser)
    assert reply.status_code == 403 and "by the name 'attacker.example'" in reply.text
    # a page can send X-Forwarded-For (no preflight for its own "origin")
    reply = named.put("/v1/watchlists/w", content=b"{}",
                      headers={**browser, "x-forwarded-for": "203.0.113.9"})
    assert reply.status_code == 403
    assert named.get("/v1/watchlists", headers={"sec-fetch-site": "same-origin"}).status_code == 403
    assert named.post("/v1/articles", content=CROSS_SITE_ARTICLE, headers=browser).status_code == 403
    assert publisher.published == []
    # a script by that name (no browser headers), and a browser by address or localhost: served
    assert named.post("/v1/articles", content=CROSS_SITE_ARTICLE).status_code == 202
    for base in ("http://localhost:8080", "http://[::1]:8080"):
        reply = TestClient(app, base_url=base).post(
            "/v1/articles", content=CROSS_SITE_ARTICLE,
            headers={**browser, "origin": base})
        assert reply.status_code == 202, base


def test_a_name_is_refused_where_no_token_is_asked_and_served_where_one_is(
        api_settings: Settings, redis: FakeRedis, publisher: FakePublisher) -> None:
    token = "t" * 32
    browser = {"content-type": "application/json", "sec-fetch-site": "same-origin",
               "origin": "http://attacker.example", "x-forwarded-for": "203.0.113.9"}
    # a token set, articles open to all (the default): a rebound page posted
    # articles, and sending X-Forwarded-For made it look like a proxy's
    settings = api_settings.model_copy(update={"api_token": SecretStr(token)})
    named = TestClient(create_api(settings, redis, publisher=publisher),  # type: ignore[arg-type]
                       base_url="http://attacker.example")
    assert named.post("/v1/articles", content=CROSS_SITE_ARTICLE,
                      headers=browser).status_code == 403
    # the watchlists ask for the token: a page has none to send
    reply = named.put("/v1/watchlists/w", content=b"{}", headers=browser)
    assert reply.status_code == 401
    # a name the operator lists (a proxy's site) is served
    listed = api_settings.model_copy(update={"api_host_names": ("attacker.example",)})
    named = TestClient(create_api(listed, redis, publisher=publisher),  # type: ignore[arg-type]
                       base_url="http://attacker.example")
    assert named.post("/v1/articles", content=CROSS_SITE_ARTICLE,
                      headers=browser).status_code == 202


@pytest.mark.parametrize("headers", [
    {"content-type": "application/json"},
    {"content-type": "application/json; charset=utf-8"},
    {"content-type": "application/vnd.watchfloor+json"},
    {},  # curl --data-binary with -H '' , scripts
    {"content-type": "application/x-www-form-urlencoded"},  # curl -d: no browser headers
    {"content-type": "application/json", "origin": "http://127.0.0.1"},  # the console's own page
])
def test_json_from_a_script_or_the_same_origin_is_accepted(
        client: TestClient, publisher: FakePublisher, headers: dict[str, str]) -> None:
    reply = client.post("/v1/articles", content=CROSS_SITE_ARTICLE, headers=headers)
    assert reply.status_code == 202
    assert len(publisher.published) == 1


def test_a_compressed_body_is_refused_with_what_to_do(client: TestClient,
                                                       publisher: FakePublisher) -> None:
    import gzip
    reply = client.post("/v1/articles", content=gzip.compress(CROSS_SITE_ARTICLE),
                        headers={"content-type": "application/json", "content-encoding": "gzip"})
    assert reply.status_code == 415 and "send the body uncompressed" in reply.json()["error"]["message"]
    assert publisher.published == []
