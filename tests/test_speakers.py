"""Who said what in every article style: reported speech, quotes before their attribution, pronouns, interviews,
transcripts, and the traps (organisations, unnamed officials, narration, `地址：` lines)."""

from __future__ import annotations

from indexer.ingest.article import parse_article
from indexer.ingest.chunk import ChunkerSettings, Passage, chunk_article
from indexer.ingest.names import parse_person
from indexer.ingest.speakers import SpeakerMemory, attribute


def passages_of(*paragraphs: str, title: str = "测试文章") -> list[Passage]:
    text = title + "\n\n" + "\n\n".join(paragraphs) + "\n"
    return chunk_article(parse_article(text.encode("utf-8"), "speakers.txt"), ChunkerSettings())


def who(passages: list[Passage]) -> list[tuple[str | None, str | None]]:
    return [(p.speaker, p.role) for p in passages]


def test_reported_speech_with_colon_and_quote_gives_name_and_role() -> None:
    found = passages_of("市海洋局局长王海洋说：“今年我们将新建三个海洋牧场示范区。”")
    assert who(found) == [("王海洋", "市海洋局局长")]


def test_reported_speech_with_comma_runs_to_the_paragraph_end() -> None:
    found = passages_of("市发展改革委副主任李晓明表示，项目已列入重点项目清单。"
                        "项目建成后，预计每年带动渔民增收两千万元。")
    assert who(found) == [("李晓明", "市发展改革委副主任")]
    assert found[0].text.endswith("两千万元。")


def test_a_quote_before_its_attribution_is_the_speakers() -> None:
    found = passages_of("“交通是海洋经济的命脉，”市交通运输局局长赵通说，“我们将同步建设两条进港公路。”")
    assert who(found) == [("赵通", "市交通运输局局长")]
    found = passages_of("“交通是命脉。”赵通说。")
    assert who(found) == [("赵通", None)]


def test_a_paragraph_that_changes_speaker_is_split_at_the_change() -> None:
    text = ("会谈结束后，俄外交部长拉夫罗夫表示，俄美同意解决两国外交使团运作问题。拉夫罗夫还说，俄美同意启动谈判进程。"
            "俄总统助理乌沙科夫表示，俄美将成立一个特别小组。")
    found = passages_of(text)
    assert who(found) == [("拉夫罗夫", "俄外交部长"), ("乌沙科夫", "俄总统助理")]
    assert {p.paragraph for p in found} == {1}  # one paragraph: citations still say 第1段
    assert found[1].text.startswith("俄总统助理乌沙科夫表示")
    assert "".join(p.text for p in found) == text  # nothing lost at the cut


def test_narration_organisations_and_unnamed_officials_have_no_speaker() -> None:
    for text in ("据介绍，全市海洋生产总值去年达到三百亿元。", "市政府表示，将设立专项资金支持海洋牧场建设。",
                 "记者了解到，首批海洋牧场将于明年六月投入使用。", "有关负责人介绍，下一步将引进龙头企业参与运营。",
                 "大家表示，要把会议精神落到实处。", "俄罗斯国防部16日说，导弹袭击针对的是军事指挥系统。",
                 "乌方还称，基辅等多地遭到导弹袭击。",
                 "简牍是对我国古代用于书写文字的竹、木材质载体的概称，历史悠久。"):
        assert who(passages_of(text)) == [(None, None)], text


def test_narration_after_a_quote_is_not_the_speakers() -> None:
    found = passages_of("王海洋说：“今年将新建三个示范区。”记者了解到，首批示范区明年投入使用。")
    assert [p.speaker for p in found] == ["王海洋", None]


def test_a_pronoun_goes_to_the_one_person_just_named_and_never_guesses() -> None:
    found = passages_of("在唐山市截瘫疗养院，国务院总理李强听取情况汇报。他说，这次专门来看望大家。")
    assert [p.speaker for p in found] == [None, "李强"]
    assert found[1].role == "国务院总理"  # the role the article introduced him with
    ambiguous = passages_of("副市长张明和市应急管理局局长刘安全出席会议。他表示，要以最严格的标准抓好安全生产。")
    assert [p.speaker for p in ambiguous] == [None]


def test_a_bare_title_names_the_person_the_article_introduced_with_it() -> None:
    found = passages_of("习近平总书记始终牵挂着新疆的各族群众。总书记指出，铸牢中华民族共同体意识是主线。")
    assert found[-1].speaker == "习近平"


def test_names_once_introduced_are_recognised_bare() -> None:
    found = passages_of("德国总理默茨29日发表政府声明称，欧洲是美国的伙伴。",
                        "谈到关税问题，默茨表示，欧洲已经准备好。")
    assert [p.speaker for p in found] == ["默茨", "默茨"]
    assert found[1].role == "德国总理"


def test_interview_turns_name_the_interviewee_and_keep_questions_apart() -> None:
    found = passages_of("近日，本报记者专访了市科技局局长周建国。", "记者：今年有哪些新举措？",
                        "周建国：今年我们重点抓三件事。", "这是第二段回答，仍是他在说。", "问：人才引进有什么考虑？",
                        "答：我们将设立人才发展基金。", title="专访")
    assert who(found) == [(None, None), (None, "记者"), ("周建国", "市科技局局长"), ("周建国", "市科技局局长"),
                          (None, "问"), ("周建国", "市科技局局长")]
    assert found[2].text == "今年我们重点抓三件事。"  # the label is not part of what was said
    assert found[2].paragraph == 3


def test_transcript_turns_with_role_and_name() -> None:
    found = passages_of("主持人：欢迎各位嘉宾。", "孙立新：智能制造的核心是数据。",
                        "华南智造公司董事长钱多多：我们三年前开始建设智能工厂。", title="论坛实录")
    assert who(found) == [(None, "主持人"), ("孙立新", None), ("钱多多", "华南智造公司董事长")]


def test_colon_lines_that_name_no_one_are_text() -> None:
    found = passages_of("时间：2024年5月10日上午九时整。", "地址：市政府第一会议室，请准时参加。",
                        "一是：落实企业主体责任，层层压实。", "会议要求：压实责任，加强检查。")
    assert all(p.speaker is None for p in found)
    # One `X：……` line in a story is a headline or a quote, not an interview: no turn section follows it.
    story = passages_of("德国总理：欧洲不是美国的从属者", "据报道，欧洲议会当天通过一项决议。")
    assert all(p.speaker is None for p in story)


def test_parse_person_splits_role_and_name_as_people_write_them() -> None:
    assert parse_person("市海洋局局长王海洋").name == "王海洋"  # type: ignore[union-attr]
    assert parse_person("华南智造公司董事长钱多多").role == "华南智造公司董事长"  # type: ignore[union-attr]
    assert parse_person("中共中央总书记、国家主席、中央军委主席习近平").role == "中共中央总书记、国家主席、中央军委主席"  # type: ignore[union-attr]
    assert parse_person("巴勒斯坦解放组织执行委员会秘书长侯赛因·谢赫").name == "侯赛因·谢赫"  # type: ignore[union-attr]
    assert parse_person("习近平总书记") == parse_person("习近平总书记")
    for phrase in ("市政府", "国家发展改革委有关负责人", "德国总理", "大家", "中方", "时间", "地址", "一是"):
        assert parse_person(phrase) is None, phrase


def test_attribute_spans_cover_the_paragraph() -> None:
    text = "据悉，会议于昨日召开。王海洋说：“今年新建三个示范区。”李晓明表示，项目已列入清单。"
    spans = attribute(text, SpeakerMemory())
    assert spans[0].start == 0 and spans[-1].end == len(text)
    assert all(a.end == b.start for a, b in zip(spans, spans[1:]))
    assert [s.person.name if s.person else None for s in spans] == [None, "王海洋", "李晓明"]
