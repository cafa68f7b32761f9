"""POST and DELETE /api/articles through Flask's test client: auth, limits, bad input, and what gets stored."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from test_api import check

from indexer.update.build import build_index
from webapp import create_app

TOKEN = "s3cret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ARTICLE = {"title": "海上风电", "text": "江门海上风电装备产业园首期开工。\n\n第二段：项目总投资二十亿元。",
           "date": "2026-11-26", "source": "测试", "url": "https://example.org/a"}


@pytest.fixture()
def setup(corpus_dir: Path, tmp_path: Path):
    corpus = Path(shutil.copytree(corpus_dir, tmp_path / "corpus"))
    index = tmp_path / "index"
    build_index(corpus, index, keyword_only=True, log=lambda _: None)
    app = create_app({"WENKU_INDEX": str(index), "WENKU_API_TOKEN": TOKEN, "MAX_CONTENT_LENGTH": 64 * 1024})
    return app.test_client(), corpus


@pytest.fixture(scope="module")
def openapi(app) -> dict:
    return app.test_client().get("/api/openapi.json").get_json()


def test_json_article_is_stored_indexed_and_searchable(setup, openapi: dict) -> None:
    client, corpus = setup
    response = client.post("/api/articles", json=ARTICLE, headers=AUTH)
    assert response.status_code == 201
    body = response.get_json()
    check(openapi, "/api/articles", 201, body, "post")
    assert body["passages"] == 2 and body["replaced"] is False
    stored = corpus / f"{body['id']}.md"
    assert stored.exists() and "title: 海上风电" in stored.read_text(encoding="utf-8")
    hits = client.get("/api/search?q=海上风电装备产业园&mode=keyword").get_json()["results"]
    assert hits[0]["article_id"] == body["id"] and hits[0]["date"] == "2026-11-26"
    again = client.post("/api/articles", json={**ARTICLE, "id": body["id"], "text": "改写：海上风电二期。"},
                        headers=AUTH)
    assert again.status_code == 200 and again.get_json()["replaced"] is True
    assert client.get(f"/api/articles/{body['id']}").get_json()["passages"][0]["text"] == "改写：海上风电二期。"


def test_file_upload_in_gbk_and_delete(setup, openapi: dict) -> None:
    client, corpus = setup
    raw = "上传的文章\n\n侨乡陈皮产业再创新高。".encode("gbk")
    response = client.post("/api/articles", data={"file": (io.BytesIO(raw), "上传.txt")}, headers=AUTH,
                           content_type="multipart/form-data")
    assert response.status_code == 201 and response.get_json()["id"] == "上传"
    assert (corpus / "上传.txt").read_bytes() == raw  # stored as received
    deleted = client.delete("/api/articles/上传", headers=AUTH)
    assert deleted.status_code == 200
    check(openapi, "/api/articles/{article_id}", 200, deleted.get_json(), "delete")
    assert not (corpus / "上传.txt").exists()
    assert client.get("/api/articles/上传").status_code == 404
    assert client.delete("/api/articles/上传", headers=AUTH).status_code == 404


@pytest.mark.parametrize(("kwargs", "status", "code"), [
    ({"json": ARTICLE}, 401, "unauthorized"),
    ({"json": ARTICLE, "headers": {"Authorization": "Bearer wrong"}}, 401, "unauthorized"),
    ({"json": ARTICLE, "headers": {"Authorization": f"Basic {TOKEN}"}}, 401, "unauthorized"),
    ({"json": {"title": "只有标题"}, "headers": AUTH}, 400, "bad_request"),
    ({"json": {"title": " ", "text": "x"}, "headers": AUTH}, 400, "bad_request"),
    ({"json": {**ARTICLE, "id": "../escape"}, "headers": AUTH}, 400, "bad_request"),
    ({"data": "not json", "headers": {**AUTH, "Content-Type": "application/json"}}, 400, "bad_request"),
    ({"data": {"file": (io.BytesIO(b"\x00\x01\x02binary"), "x.txt")}, "headers": AUTH,
      "content_type": "multipart/form-data"}, 400, "bad_article"),
    ({"data": {"file": (io.BytesIO("文章".encode()), "x.pdf")}, "headers": AUTH,
      "content_type": "multipart/form-data"}, 400, "bad_article"),
    ({"data": {"file": (io.BytesIO("---\ndate: 2022-13-45\n---\n标题\n\n正文。".encode()), "x.md")},
      "headers": AUTH, "content_type": "multipart/form-data"}, 400, "bad_article"),
    ({"json": {**ARTICLE, "text": "字" * 70_000}, "headers": AUTH}, 413, "request_entity_too_large"),
    # Hostile and careless writes (issue 10): each answered 500 or 201-and-lost before.
    ({"data": "[" * 20_000 + "]" * 20_000, "headers": {**AUTH, "Content-Type": "application/json"}}, 400,
     "bad_request"),
    ({"data": "{\"a\":" * 10_000 + "1" + "}" * 10_000, "headers": {**AUTH, "Content-Type": "application/json"}}, 400,
     "bad_request"),
    ({"json": {**ARTICLE, "date": "2022-13-45"}, "headers": AUTH}, 400, "bad_request"),
    ({"json": {**ARTICLE, "date": "2022-01-01T25:61:00"}, "headers": AUTH}, 400, "bad_request"),
    ({"json": {**ARTICLE, "title": "长" * 301}, "headers": AUTH}, 400, "bad_request"),
    ({"data": {"file": (io.BytesIO("---\ntitle: 只有标题\n---\n\n".encode()), "h.md")}, "headers": AUTH,
      "content_type": "multipart/form-data"}, 400, "bad_article"),
    ({"data": {"file": (io.BytesIO("标题\n\n正文。".encode()), "a\x00b.txt")}, "headers": AUTH,
      "content_type": "multipart/form-data"}, 400, "bad_article"),
    ({"data": {"file": (io.BytesIO("标题\n\n正文。".encode()), "长" * 90 + ".txt")}, "headers": AUTH,
      "content_type": "multipart/form-data"}, 400, "bad_article"),
    ({"data": {"file": (io.BytesIO("标题\n\n正文。".encode()), ".hidden.txt")}, "headers": AUTH,
      "content_type": "multipart/form-data"}, 400, "bad_article"),
    ({"data": {"file": (io.BytesIO("标题\n\n正文。".encode()), "sub/..txt")}, "headers": AUTH,
      "content_type": "multipart/form-data"}, 400, "bad_article"),
    ({"data": {"file": (io.BytesIO("---\na: &a [x, x]\nb: [*a, *a]\n---\n标题\n\n正文。".encode()), "bomb.md")},
      "headers": AUTH, "content_type": "multipart/form-data"}, 400, "bad_article"),
    ({"data": {"file": (io.BytesIO(f"---\ntitle: {'长' * 301}\n---\n正文。".encode()), "t.md")},
      "headers": AUTH, "content_type": "multipart/form-data"}, 400, "bad_article"),
])
def test_bad_writes_are_refused_and_write_nothing(setup, openapi: dict, kwargs: dict, status: int, code: str) -> None:
    client, corpus = setup
    before = sorted(p.name for p in corpus.rglob("*"))
    response = client.post("/api/articles", **kwargs)
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    check(openapi, "/api/articles", status, response.get_json(), "post")
    assert sorted(p.name for p in corpus.rglob("*")) == before
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_write_routes_are_off_without_a_token(keyword_index: Path, openapi: dict) -> None:
    client = create_app({"WENKU_INDEX": str(keyword_index), "WENKU_API_TOKEN": ""}).test_client()
    for response in (client.post("/api/articles", json=ARTICLE, headers=AUTH),
                     client.delete("/api/articles/gbk", headers=AUTH)):
        assert response.status_code == 403
        assert "WENKU_API_TOKEN" in response.get_json()["error"]["message"]
    check(openapi, "/api/articles", 403, response.get_json(), "post")


def test_ids_that_differ_in_case_or_width_are_one_article_and_one_file(setup) -> None:
    client, corpus = setup
    for name, text in (("dup.txt", "小写写的是冬至汤圆。"), ("Dup.txt", "大写写的是元宵花灯。"),
                       ("ＤＵＰ.txt", "全角写的是端午龙舟。")):
        response = client.post("/api/articles", data={"file": (io.BytesIO(f"标题\n\n{text}".encode()), name)},
                               headers=AUTH, content_type="multipart/form-data")
        assert response.status_code in (200, 201) and response.get_json()["id"] == "dup"
    assert [p.name for p in corpus.iterdir() if p.stem.lower() in ("dup", "ｄｕｐ")] == ["ＤＵＰ.txt"]
    hits = client.get("/api/search?q=汤圆 花灯 龙舟&mode=keyword").get_json()["results"]
    assert [h["text"] for h in hits] == ["全角写的是端午龙舟。"]  # the last write replaced the others
    (corpus / "dUp.md").write_text("标题\n\n旁路写入的同名文件。", encoding="utf-8")  # made outside the API
    assert client.delete("/api/articles/dup", headers=AUTH).status_code == 200
    assert not [p for p in corpus.iterdir() if p.stem.lower() in ("dup", "ｄｕｐ")]  # every file with the id
    build_index(corpus, Path(client.application.config["WENKU_INDEX"]), log=lambda _: None)
    assert client.get("/api/articles/dup").status_code == 404  # and a later build does not bring it back


def test_one_line_and_unpunctuated_articles_are_indexed(setup) -> None:
    client, _ = setup
    one_line = client.post("/api/articles", data={"file": (io.BytesIO("单行文章写的是秋季运动会".encode()), "one.txt")},
                           headers=AUTH, content_type="multipart/form-data")
    assert one_line.status_code == 201 and one_line.get_json()["passages"] == 1
    last = client.post("/api/articles", headers=AUTH,
                       json={"title": "末句", "text": "第一段说完了。\n\n最后一句没有标点说的是冬季长跑"})
    assert last.status_code == 201 and last.get_json()["passages"] == 2
    hits = client.get("/api/search?q=秋季运动会&mode=keyword").get_json()["results"]
    assert hits and hits[0]["article_id"] == "one"
    assert client.get("/api/search?q=冬季长跑&mode=keyword").get_json()["total"] == 1


def test_search_by_post_takes_queries_too_long_for_a_url(client, openapi: dict) -> None:
    long_query = "江门新能源产业园的建设进展" * 300  # 3,900 characters: ~35 KB percent-encoded
    response = client.post("/api/search", json={"q": long_query, "mode": "keyword", "k": 3})
    assert response.status_code == 200
    body = response.get_json()
    check(openapi, "/api/search", 200, body, "post")
    assert body["query"] == long_query and body["results"]
    same = client.get("/api/search", query_string={"q": "新能源 产业园", "mode": "hybrid", "k": 5}).get_json()
    posted = client.post("/api/search", json={"q": "新能源 产业园", "mode": "hybrid", "k": 5}).get_json()
    assert [h["id"] for h in posted["results"]] == [h["id"] for h in same["results"]]
    for bad, status in (({"q": "x", "bogus": 1}, 400), ({"q": "x", "k": "many"}, 400), (["q"], 400),
                        ({"q": "字" * 10_001}, 400)):
        response = client.post("/api/search", json=bad)
        assert response.status_code == status and response.get_json()["error"]["code"] == "bad_request"
        check(openapi, "/api/search", status, response.get_json(), "post")


def test_every_response_carries_the_security_headers(client) -> None:
    for path in ("/", "/?q=新能源", "/api/health", "/api/nothing", "/static/style.css"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin" and headers["X-Frame-Options"] == "DENY"


def test_documents_upload_and_their_originals_are_served(setup, openapi: dict, tmp_path: Path) -> None:
    from documents import gongwen_pdf, web_page

    client, corpus = setup
    paragraphs = ["江门市新能源汽车产业园今天正式开工，首期投资八十亿元，重点引进动力电池和整车制造项目。",
                  "下一步，全市将加大招商引资力度，完善产业配套政策，加快推进重点项目建设，确保完成目标任务。"] * 4
    raw = gongwen_pdf(tmp_path / "通知.pdf", "关于加快新能源汽车产业发展的通知", paragraphs,
                      lines_per_page=6).read_bytes()
    response = client.post("/api/articles", data={"file": (io.BytesIO(raw), "通知.pdf")}, headers=AUTH,
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    assert (corpus / "通知.pdf").read_bytes() == raw  # the original kept as it came
    found = client.get("/api/search?q=招商引资力度&mode=keyword&collapse=false").get_json()
    check(openapi, "/api/search", 200, found)
    hit = max((h for h in found["results"] if h["article_id"] == "通知"), key=lambda h: h["page"])
    assert hit["format"] == "pdf" and hit["page"] >= 2
    assert hit["original_url"] == f"/api/articles/%E9%80%9A%E7%9F%A5/original#page={hit['page']}"
    original = client.get(hit["original_url"].split("#")[0])
    assert original.status_code == 200 and original.data == raw
    assert original.mimetype == "application/pdf" and "sandbox" not in original.headers["Content-Security-Policy"]
    article = client.get("/api/articles/通知").get_json()
    check(openapi, "/api/articles/{article_id}", 200, article)
    assert article["format"] == "pdf" and article["pages"] >= 2 and article["original_url"].endswith("/original")

    page = web_page("网页标题", paragraphs[:2]).replace(b"</body>", b"<script>alert(1)</script></body>")
    assert client.post("/api/articles", data={"file": (io.BytesIO(page), "page.html")}, headers=AUTH,
                       content_type="multipart/form-data").status_code == 201
    served = client.get("/api/articles/page/original")
    # An uploaded page runs no script on this site: served sandboxed, with no source allowed
    assert served.data == page and served.mimetype == "text/html"
    assert "sandbox" in served.headers["Content-Security-Policy"] and "default-src 'none'" in served.headers[
        "Content-Security-Policy"]
    text = client.get("/api/articles/gbk/original")  # a text file, in the encoding it was read in
    assert text.headers["Content-Type"] == "text/plain; charset=gb18030"
    assert text.data == (corpus / "gbk.txt").read_bytes()


def test_a_bad_document_upload_is_refused_with_its_reason_and_nothing_is_stored(setup, tmp_path: Path) -> None:
    from documents import gongwen_pdf

    client, corpus = setup
    raw = gongwen_pdf(tmp_path / "locked.pdf", "加密", ["正文。"], password="secret").read_bytes()
    response = client.post("/api/articles", data={"file": (io.BytesIO(raw), "locked.pdf")}, headers=AUTH,
                           content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["error"] == {
        "code": "bad_article", "message": "locked.pdf: encrypted PDF: it needs a password to open"}
    assert not (corpus / "locked.pdf").exists()


def test_originals_of_unknown_or_vanished_articles_are_404(setup) -> None:
    client, corpus = setup
    assert client.get("/api/articles/no-such/original").status_code == 404
    (corpus / "gbk.txt").unlink()
    gone = client.get("/api/articles/gbk/original")
    assert gone.status_code == 404 and "no longer in the corpus" in gone.get_json()["error"]["message"]
    assert str(corpus) not in gone.get_json()["error"]["message"]
