"""Chunking by speaker and paragraph on the seed article, and in general."""

from __future__ import annotations

import re

import pytest
from conftest import SEED

from indexer.ingest.article import Article, parse_article
from indexer.ingest.chunk import ChunkerSettings, chunk_article, is_complete, parse_speaker, split_windows

SPEAKERS = [
    ("劳茂昌", "蓬江区委书记", "蓬江区", "以“三个突出”奋力谱写高质量发展新篇章", ("邓少军", "李兆安")),
    ("聂加伟", "江海区委书记", "江海区", "全力创建国家安全应急产业示范基地", ("陈婵", "李雨溪")),
    ("林锡波", "新会区委书记", "新会区", "项目为王 全力冲刺千亿GDP强区", ("叶田",)),
    ("李惠文", "市委常委、台山市委书记", "台山市", "用实干担当奏响高质量发展最强音", ("林育辉",)),
    ("余中华", "开平市委书记", "开平市", "狠抓落实 走好高质量发展之路", ("严建广", "关键敏")),
    ("刘志刚", "鹤山市委书记", "鹤山市", "拔头筹 争上游 争当广东县域高质量发展排头兵", ("杨光明", "林富豪", "陈志锋")),
    ("黎沛荣", "恩平市委书记", "恩平市", "全力打造“珠三角特色标杆园区”", ("谭锦波", "胡伟杰", "陈雄山")),
]
# (end of the text before the page break, start of the text after it)
PAGE_BREAKS = [("推动", "工业投资超100亿元"), ("省市", "级创新平台10家"), ("项目落", "地投资不少于500亿元"),
               ("汽车零部件、", "金属新材料"), ("落户台", "山，推动跨境电商"), ("以国", "电投燃气热电项目"),
               ("协同工", "作格局"), ("有效", "激发县域经济"), ("加快升", "泰昌恩平智造"), ("地理优", "势，主动融入")]


@pytest.fixture(scope="module")
def seed() -> Article:
    return parse_article(SEED.read_bytes(), SEED.name)


@pytest.fixture(scope="module")
def passages(seed: Article) -> list:
    return chunk_article(seed, ChunkerSettings())


def test_seed_title_and_seven_speakers_in_order(seed: Article, passages: list) -> None:
    assert seed.title == "开局即决战 起步即冲刺"
    seen = []
    for p in passages:
        meta = (p.speaker, p.role, p.region, p.section, p.reporters)
        if not seen or seen[-1] != meta:
            seen.append(meta)
    assert seen == SPEAKERS


def test_speaker_headline_dek_and_title_lines_are_not_passages(seed: Article, passages: list) -> None:
    texts = [p.text for p in passages]
    for name, role, _, headline, _ in SPEAKERS:
        assert f"{role}{name}：" not in texts
        assert headline not in texts
    assert not any(t.startswith(("开局即决战", "各县(市、区)谈")) for t in texts)


def test_reporter_brackets_are_metadata_not_text(passages: list) -> None:
    for p in passages:
        assert not re.search(r"（[\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})*）$", p.text), p.text[-20:]
    assert passages[4].text.endswith("作出蓬江贡献！")


def test_the_ten_page_break_cuts_are_rejoined(passages: list) -> None:
    texts = [p.text for p in passages]
    for before, after in PAGE_BREAKS:
        assert sum(before + after in t for t in texts) == 1, before + after
        assert not any(t.startswith(after) for t in texts)
    assert all(is_complete(t) for t in texts), "a passage ends mid-sentence"
    assert len(passages) == 35  # 45 printed paragraphs less the 10 cuts


def test_spans_locate_each_passage_in_the_article(seed: Article, passages: list) -> None:
    for p in passages:
        span = seed.text[p.start:p.end]
        assert re.sub(r"\s+", "", span) == re.sub(r"\s+", "", p.text)
    assert [p.paragraph for p in passages] == list(range(1, 36))
    assert len({p.id for p in passages}) == len(passages)


def test_long_paragraphs_split_at_sentence_ends_keeping_metadata(seed: Article) -> None:
    windows = chunk_article(seed, ChunkerSettings(max_chars=120))
    assert len(windows) > 35
    assert max(len(w.text) for w in windows) <= 120
    for w in windows:
        # Sentence end, else a clause mark inside an over-long sentence, else a hard cut at the limit.
        assert is_complete(w.text) or w.text[-1] in "，、," or len(w.text) == 120, w.text
        assert seed.text[w.start:w.end].replace("\n", "").endswith(w.text[-5:])
    third = [w for w in windows if w.paragraph == 3]
    assert len(third) >= 3 and {(w.speaker, w.region) for w in third} == {("劳茂昌", "蓬江区")}


def test_split_windows_hard_splits_an_endless_sentence() -> None:
    text = "很长" * 100
    windows = split_windows(text, 50)
    assert [end - start for start, end in windows] == [50, 50, 50, 50]
    assert "".join(text[s:e] for s, e in windows) == text


def test_articles_without_speakers_chunk_by_paragraph() -> None:
    raw = ("---\ntitle: 新闻\n---\n# 新闻\n\n**本报讯** 第一段内容。<!--x-->\n\n"
           "## 小标题\n\n第二段内容。\n第三段内容。\n").encode()
    passages = chunk_article(parse_article(raw, "n.md"), ChunkerSettings())
    assert [(p.text, p.speaker, p.section) for p in passages] == [
        ("本报讯 第一段内容。", None, None), ("第二段内容。", None, "小标题"), ("第三段内容。", None, "小标题")]


@pytest.mark.parametrize(("line", "expected"), [
    ("蓬江区委书记劳茂昌：", ("劳茂昌", "蓬江区委书记", "蓬江区")),
    ("市委常委、台山市委书记李惠文：", ("李惠文", "市委常委、台山市委书记", "台山市")),
    ("江门市市长张三丰:", ("张三丰", "江门市市长", "江门市")),
    ("国务院新闻办发言人王文：", ("王文", "国务院新闻办发言人", None)),
    ("俄外交部：", None),
    ("蓬江区委书记劳茂昌表示，全省高质量发展大会为广东经济描绘了蓝图：", None),
])
def test_parse_speaker(line: str, expected: tuple | None) -> None:
    parsed = parse_speaker(line)
    assert (parsed and (parsed.name, parsed.role, parsed.region)) == expected


def _chunk(text: str, name: str = "a.txt") -> list:
    return chunk_article(parse_article(text.encode(), name), ChunkerSettings())


def test_a_reporter_credit_on_its_own_line_becomes_the_sections_reporters() -> None:
    passages = _chunk("标题\n\n江门市召开全市经济工作会议。\n\n会议部署了明年的重点工作。\n\n（黄志明 李晓燕）\n")
    assert [p.text for p in passages] == ["江门市召开全市经济工作会议。", "会议部署了明年的重点工作。"]
    assert all(p.reporters == ("黄志明", "李晓燕") for p in passages)


@pytest.mark.parametrize(("text", "expected"), [
    ("只有一行的文章", ["只有一行的文章"]),
    ("# 只有一个标题\n", ["只有一个标题"]),
    ("---\ntitle: 标题\n---\n正文只有一行没有标点", ["正文只有一行没有标点"]),
    ("标题\n\n第一段写完了。\n\n最后一句没有标点", ["第一段写完了。", "最后一句没有标点"]),
])
def test_an_article_always_yields_its_text(text: str, expected: list[str]) -> None:
    passages = _chunk(text, "a.md" if text.startswith("#") else "a.txt")
    assert [p.text for p in passages] == expected
    assert all(p.section is None for p in passages)  # a line that heads nothing is not a heading
