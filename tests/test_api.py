"""The JSON API through Flask's test client, checked against the app's own OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from indexer.requests import SearchRequest
from indexer.search.searcher import Searcher
from indexer.update.build import build_index
from webapp import create_app


@pytest.fixture(scope="module")
def openapi(app) -> dict:
    return app.test_client().get("/api/openapi.json").get_json()


def check(openapi: dict, path: str, status: int, body: dict, method: str = "get") -> None:
    """Validate a response body against the schema the OpenAPI document gives for that route and status."""
    responses = openapi["paths"][path][method]["responses"]
    assert str(status) in responses, f"{path} does not document status {status}"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": openapi["components"]}).validate(body)


def test_openapi_describes_exactly_the_api_routes(app, openapi: dict) -> None:
    routes = {(rule.rule.replace("<", "{").replace(">", "}"), method.lower()) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api") for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == {(path, method) for path, item in openapi["paths"].items() for method in item}
    assert openapi["openapi"].startswith("3.")
    Draft202012Validator.check_schema(openapi["components"]["schemas"]["SearchResponse"])


def test_search_returns_the_cli_contract_plus_facets(client, openapi: dict, searcher: Searcher) -> None:
    response = client.get("/api/search", query_string={"q": "新能源 产业园", "k": 5, "mode": "hybrid"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "新能源".encode() in response.data  # Chinese is not \\u-escaped
    body = response.get_json()
    check(openapi, "/api/search", 200, body)
    direct = searcher.search(SearchRequest.parse(q="新能源 产业园", k=5)).model_dump()
    for data in (body, direct):
        data.pop("took_ms")
    assert body == direct
    assert set(body) == {"query", "mode", "semantic_ratio", "total", "warnings", "results", "facets"}
    speakers = body["facets"]["speaker"]
    assert speakers and sum(f["count"] for f in speakers) <= body["total"]


def test_search_filters_and_paging(client, openapi: dict) -> None:
    body = client.get("/api/search?q=项目&speaker=林锡波&mode=keyword&k=3&offset=3").get_json()
    check(openapi, "/api/search", 200, body)
    assert body["total"] == 6 and len(body["results"]) == 3  # all his passages: 项目为王 heads his section
    assert {r["speaker"] for r in body["results"]} == {"林锡波"}
    # Multi-select: the speaker facet counts as if no speaker were chosen, so others can be ticked too.
    speakers = {f["value"]: f["count"] for f in body["facets"]["speaker"]}
    assert speakers["林锡波"] == body["total"] and len(speakers) > 1
    unfiltered = client.get("/api/search?q=项目&mode=keyword").get_json()
    assert body["facets"]["speaker"] == unfiltered["facets"]["speaker"]
    assert sum(f["count"] for f in body["facets"]["region"]) <= body["total"]


@pytest.mark.parametrize("query", ["q=", "q=%20%20", "q=" + "字" * 10_001, "q=x&k=0", "q=x&k=101", "q=x&k=ten",
                                   "q=x&offset=-1", "q=x&mode=fuzzy", "", "q=x&semantic_ratio=1.5",
                                   "q=x&semantic_ratio=-0.1", "q=x&semantic_ratio=half", "q=x&semantic_ratio=nan"])
def test_bad_parameters_are_400_with_the_error_shape(client, openapi: dict, query: str) -> None:
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    check(openapi, "/api/search", 400, response.get_json())
    assert response.get_json()["error"]["code"] == "bad_request"


def test_articles_and_similar_passages(client, openapi: dict) -> None:
    body = client.get("/api/articles/jiangmen-high-quality-development").get_json()
    check(openapi, "/api/articles/{article_id}", 200, body)
    assert body["title"] == "开局即决战 起步即冲刺" and body["passages"][0]["speaker"] == "劳茂昌"
    assert [p["paragraph"] for p in body["passages"]] == sorted(p["paragraph"] for p in body["passages"])
    passage = body["passages"][0]
    similar = client.get(f"/api/passages/{passage['id']}/similar?k=8").get_json()
    check(openapi, "/api/passages/{passage_id}/similar", 200, similar)
    assert similar["mode"] == "semantic" and len(similar["results"]) == 8
    for hit in similar["results"]:
        assert hit["id"] != passage["id"]
        assert hit["article_id"] != passage["id"].split(":")[0] or hit["speaker"] != "劳茂昌"
    assert client.get(f"/api/passages/{passage['id']}/similar?k=0").status_code == 400


@pytest.mark.parametrize(("path", "template"), [("/api/articles/no-such", "/api/articles/{article_id}"),
                                                ("/api/passages/no:1/similar", "/api/passages/{passage_id}/similar")])
def test_unknown_ids_are_404(client, openapi: dict, path: str, template: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    check(openapi, template, 404, response.get_json())


def test_unknown_routes_and_methods_answer_json(client) -> None:
    for response, status in ((client.get("/api/nope"), 404), (client.put("/api/search?q=x"), 405)):
        assert response.status_code == status
        assert response.is_json and set(response.get_json()["error"]) == {"code", "message"}


def test_health_reports_the_index(client, openapi: dict) -> None:
    body = client.get("/api/health").get_json()
    check(openapi, "/api/health", 200, body)
    assert body["modes"] == ["hybrid", "semantic", "keyword"] and body["dimension"] == 384
    assert body["model"] == "bundled:multilingual-e5-small" and body["backend"] == "bundled"
    assert body["generation"] >= 1 and body["articles"] == 8


def test_no_index_is_503_everywhere_on_the_api(tmp_path: Path, openapi: dict) -> None:
    client = create_app({"WENKU_INDEX": str(tmp_path / "missing")}).test_client()
    for path, template in (("/api/search?q=x", "/api/search"), ("/api/health", "/api/health"),
                           ("/api/articles/a", "/api/articles/{article_id}")):
        response = client.get(path)
        assert response.status_code == 503, path
        check(openapi, template, 503, response.get_json())
    page = client.get("/?q=x")
    assert page.status_code == 503 and "wenku build" in page.get_data(as_text=True)


def test_a_new_generation_is_served_without_restart(corpus_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(corpus_dir, index, keyword_only=True, log=lambda _: None)
    client = create_app({"WENKU_INDEX": str(index), "WENKU_RELOAD_INTERVAL": 0}).test_client()
    assert client.get("/api/health").get_json()["generation"] == 1
    build_index(corpus_dir, index, rebuild=True, log=lambda _: None)
    assert client.get("/api/health").get_json()["generation"] == 2


def test_cors_is_off_by_default_and_configurable(hybrid_index: Path) -> None:
    default = create_app({"WENKU_INDEX": str(hybrid_index)}).test_client()
    assert "Access-Control-Allow-Origin" not in default.get("/api/health", headers={"Origin": "https://a.example"}).headers
    allowed = create_app({"WENKU_INDEX": str(hybrid_index), "WENKU_CORS_ORIGINS": "https://a.example"}).test_client()
    response = allowed.get("/api/health", headers={"Origin": "https://a.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.example"


def test_hostile_article_text_is_escaped_in_api_highlights(client) -> None:
    body = client.get("/api/search?q=恶意文章+脚本标签&mode=keyword&k=1").get_json()
    hit = body["results"][0]
    assert hit["article_id"] == "hostile" and "<script>" in hit["text"]  # the text is data, returned as written
    assert "<script" not in hit["highlight"] and "<img" not in hit["highlight"]
    assert "&lt;script&gt;" in hit["highlight"] and "<mark>" in hit["highlight"]


def test_semantic_ratio_weighs_hybrid_and_is_echoed(client, openapi: dict) -> None:
    def get(**params: object) -> dict:
        response = client.get("/api/search", query_string={"q": "哪个区要打造食品工业基地", "k": 10, **params})
        assert response.status_code == 200
        check(openapi, "/api/search", 200, response.get_json())
        return response.get_json()

    default = get()
    assert default["mode"] == "hybrid" and default["semantic_ratio"] == 0.7
    leaning = get(semantic_ratio=0.1)
    assert leaning["semantic_ratio"] == 0.1 and leaning["mode"] == "hybrid"
    assert [r["id"] for r in leaning["results"]] != [r["id"] for r in default["results"]]  # the weight matters
    keyword_only = get(semantic_ratio=0)
    assert keyword_only["mode"] == "keyword" and all(r["scores"]["semantic"] is None for r in keyword_only["results"])
    assert [r["id"] for r in keyword_only["results"]] == [r["id"] for r in get(mode="keyword")["results"]]
    semantic_only = get(semantic_ratio=1)
    assert semantic_only["mode"] == "semantic"
    assert [r["id"] for r in semantic_only["results"]] == [r["id"] for r in get(mode="semantic")["results"]]
    ignored = get(mode="keyword", semantic_ratio=0.5)
    assert ignored["semantic_ratio"] is None and "semantic_ratio applies to hybrid mode" in ignored["warnings"][0]
