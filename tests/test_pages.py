"""The HTML pages through Flask's test client: search, facets, paging, empty state, article view, escaping."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from webapp import create_app


def html_of(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_search_page_keeps_the_query_and_shows_who_said_what(client) -> None:
    page = html_of(client, "/?q=新能源+产业园&mode=keyword")
    assert 'value="新能源 产业园"' in page
    assert re.search(r'value="keyword"\s+checked', page)
    assert "<mark>新能源</mark>" in page and "毫秒" in page and "共 " in page
    assert "林锡波" in page and "新会区委书记" in page and "开局即决战 起步即冲刺" in page
    assert "<details" in page and "关键词" in page  # score breakdown on demand


def test_the_semantic_ratio_control_weighs_hybrid_results(client) -> None:
    page = html_of(client, "/?q=哪个区要打造食品工业基地")
    assert '<select name="semantic_ratio">' in page and "默认（0.7）" in page and "（语义比重 0.7）" in page
    chosen = html_of(client, "/?q=哪个区要打造食品工业基地&semantic_ratio=0.3")
    assert '<option value="0.3" selected>' in chosen and "（语义比重 0.3）" in chosen
    page_two = re.search(r'<a rel="next" href="([^"]+)"', html_of(client, "/?q=发展&semantic_ratio=0.3"))
    assert page_two and "semantic_ratio=0.3" in page_two.group(1)  # paging keeps the weight
    assert "语义比重：超出允许范围（1）" in html_of(client, "/?q=发展&semantic_ratio=2", 400)


def test_facets_filter_and_filters_are_removable(client) -> None:
    page = html_of(client, "/?q=项目&mode=keyword")
    ticks = re.findall(r'<input type="checkbox" name="speaker" value="([^"]+)"> [^<]+ <span class="count">(\d+)</span>',
                       page)
    assert len(ticks) >= 2
    (first, first_count), (second, second_count) = ticks[0], ticks[1]
    filtered = html_of(client, f"/?q=项目&mode=keyword&speaker={first}")  # what ticking one and applying sends
    assert f"发言人：{first} ×" in filtered and f"共 {first_count} 条结果" in filtered
    assert f'name="speaker" value="{first}" checked' in filtered
    assert f'name="speaker" value="{second}">' in filtered  # the others stay tickable
    both = html_of(client, f"/?q=项目&mode=keyword&speaker={first}&speaker={second}")
    assert f"共 {int(first_count) + int(second_count)} 条结果" in both
    remove = unquote(re.search(r'<a class="chip" href="([^"]+)"', both).group(1).replace("&amp;", "&"))
    assert f"speaker={second}" in remove and f"speaker={first}" not in remove and "q=" in remove


def test_pagination_links_walk_the_results(client) -> None:
    first = html_of(client, "/?q=发展&mode=keyword")
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = html_of(client, "/?q=发展&mode=keyword&page=2")
    assert 'rel="prev"' in second and '<ol class="hits" start="11">' in second


def test_empty_state_suggests_keyword_mode_and_fewer_words(client) -> None:
    page = html_of(client, "/?q=发展&speaker=无此人&mode=hybrid")
    assert "没有找到" in page and "改用关键词检索" in page and "去掉所有筛选" in page


def test_semantic_unavailable_notice_on_a_keyword_only_index(keyword_index: Path) -> None:
    client = create_app({"WENKU_INDEX": str(keyword_index)}).test_client()
    page = html_of(client, "/?q=新能源")
    assert 'id="semantic-unavailable"' in page and "关键词检索" in page
    assert page.count("语义检索不可用") == 1  # one notice, not one at the top and another above the results
    assert re.search(r'value="keyword" checked', page)  # the mode control shows the mode actually used


def test_article_view_anchors_the_chosen_passage_and_lists_similar_ones(client) -> None:
    passage = "jiangmen-high-quality-development:5"
    page = html_of(client, f"/articles/jiangmen-high-quality-development?p={passage}")
    assert re.search(r'<p id="p-5" class="passage chosen" aria-current="true">', page)
    assert page.count('class="speaker-section"') >= 7 and "劳茂昌" in page and "（邓少军 李兆安）" in page
    assert "相似段落" in page
    html_of(client, "/articles/no-such-article", 404)


def test_article_text_is_always_escaped(client) -> None:
    for url in ("/?q=恶意文章+脚本标签&mode=keyword", "/articles/hostile", "/articles/hostile?p=hostile:0"):
        page = html_of(client, url)
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>来源" not in page
        assert "&lt;script&gt;" in page
        assert "javascript:" not in page  # an unsafe front-matter url is not linked
