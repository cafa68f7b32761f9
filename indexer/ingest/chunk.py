"""Chunking articles into passages by speaker section and by paragraph, rejoining page-break cuts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from pydantic import BaseModel, ConfigDict

from .article import Article
from .names import Person, parse_person
from .speakers import Span, SpeakerMemory, attribute, learn

# Sentence-final marks, optionally followed by closing quotes/brackets.
_TERMINAL = re.compile(r"[。！？；…!?;：:][”’」』）)】》\"']*$")
# Speaker line: role ending in a title, then a 2-4 character name, then a colon, alone on its line.
_TITLES = ("书记", "市长", "区长", "县长", "镇长", "乡长", "省长", "州长", "主任", "局长", "部长", "厅长", "处长",
           "主席", "委员", "常委", "代表", "董事长", "总经理", "经理", "院长", "校长", "所长", "会长", "秘书长",
           "总裁", "负责人", "教授", "研究员", "发言人", "主持人", "记者", "专家", "队长", "行长", "理事长")
_SPEAKER = re.compile(r"^(?P<role>[^：:。！？；，]{1,40}?(?:" + "|".join(_TITLES) + r"))"
                      r"(?P<name>[\u4e00-\u9fff·]{2,4})\s*[：:]$")
_REGION = re.compile(r"^([\u4e00-\u9fff]{2,6}?[省市区县州镇乡旗])")
# A dialogue turn: a speaker label, a colon, then what they say on the same line (记者：…… / 周建国：……).
_TURN = re.compile(r"^(?P<label>[^：:，。！？；“”\"（）()\s]{1,30})[：:]\s*(?P<rest>\S.*)$")
# Labels of the asking side and of an answer, which name no one by themselves.
_ASKING = ("记者", "主持人", "问", "提问", "Q")
_ANSWER = ("答", "A")
# Reporter credit closing a section: full-width brackets around space-separated 2-4 character names.
_REPORTERS = re.compile(
    r"(?<=[。！？!?”’」』])\s*（(?P<names>[\u4e00-\u9fff]{2,4}(?:[ \u3000]+[\u4e00-\u9fff]{2,4})*)）\s*$")
# The same credit on a line of its own, as the last paragraph of a section (a very common layout).
_CREDIT_LINE = re.compile(r"^[（(](?P<names>[\u4e00-\u9fff]{2,4}(?:[ \u3000]+[\u4e00-\u9fff]{2,4})*)[）)]$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
# A table row as extracted documents write them (`| cell | cell |`): text, never a heading; a table is one paragraph.
_TABLE_ROW = re.compile(r"^\|.*\|$")
_MD_NOISE = re.compile(r"<!--.*?-->|\*\*|__")
_SENTENCE = re.compile(r"[^。！？；!?;]*[。！？；!?;]+[”’」』）)\"']*|[^。！？；!?;]+")
_CLAUSE = re.compile(r"[^，、,]*[，、,]+|[^，、,]+")
# A line without final punctuation this short is a (sub)heading; longer ones were cut by a page break.
HEADING_MAX_CHARS = 40
# Chosen on the dev sets (benchmarks/README.md, "Embedding windows").
WINDOW_CHARS = 60


class ChunkerSettings(BaseModel):
    """Chunker parameters, recorded in the manifest: a change means a rebuild."""

    model_config = ConfigDict(frozen=True)

    # 3: credit lines, trailing short lines and one-line articles kept; 4: pages, tables; 5: speakers in every style
    version: int = 5
    max_chars: int = 480
    heading_max_chars: int = HEADING_MAX_CHARS
    # Passages are embedded window by window (whole sentences, at most this long) and score their best window.
    window_chars: int = WINDOW_CHARS
    # How syndicated copies are found (indexer.copies.SETTINGS); None in indexes made before, which gain the
    # signatures on their next build (a writer with the new default sees different settings and rebuilds).
    copies: str | None = None


@dataclass(frozen=True)
class Passage:
    """A retrievable unit of text with its provenance."""

    article_id: str
    seq: int
    text: str
    start: int
    end: int
    paragraph: int
    speaker: str | None = None
    role: str | None = None
    region: str | None = None
    section: str | None = None
    reporters: tuple[str, ...] = ()
    page: int | None = None  # 1-based, for passages of paged documents (PDF, multi-page scans)

    @property
    def id(self) -> str:
        """Stable passage id: article id and position."""
        return f"{self.article_id}:{self.seq}"


@dataclass
class _Section:
    """The speaker and headline currently in force."""

    speaker: str | None = None
    role: str | None = None
    region: str | None = None
    headline: str | None = None
    reporters: list[str] = field(default_factory=list)
    turn: bool = False  # a speech section or dialogue turn: its label says who speaks, for every paragraph in it


@dataclass
class _Paragraph:
    """Paragraph text made of pieces, each remembering its offset in the article."""

    section: _Section
    pieces: list[tuple[str, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(piece for piece, _ in self.pieces)

    def offset(self, position: int) -> int:
        """Article offset of a position in the joined text."""
        for piece, start in self.pieces:
            if position < len(piece):
                return start + position
            position -= len(piece)
        last, start = self.pieces[-1]
        return start + len(last) + position


@dataclass(frozen=True)
class Speaker:
    """A parsed speaker line."""

    name: str
    role: str
    region: str | None


def region_of(role: str | None) -> str | None:
    """The place a role belongs to: `江门市委副书记、蓬江区委书记` → 蓬江区 (the last part naming one)."""
    for part in reversed(re.split(r"[、，,]", role or "")):
        found = _REGION.match(part)
        if found:
            return found.group(1)
    return None


def parse_speaker(line: str) -> Speaker | None:
    """Parse `蓬江区委书记劳茂昌：` into name, role and region, or None if not a speaker line."""
    match = _SPEAKER.match(line.strip())
    if not match:
        return None
    role = match.group("role")
    return Speaker(name=match.group("name"), role=role, region=region_of(role))


def parse_turn(line: str, memory: SpeakerMemory) -> tuple[_Section, int] | None:
    """A dialogue line `周建国：……` / `记者：……`: the section it opens and where its text starts, or None.

    A short line without a sentence end (`德国总理：欧洲不是美国的从属者`) is a headline, not a turn."""
    match = _TURN.match(line)
    if not match or (not is_complete(match.group("rest")) and len(match.group("rest")) <= HEADING_MAX_CHARS):
        return None
    label = match.group("label")
    if label in _ASKING:
        return _Section(role=label, turn=True), match.start("rest")
    if label in _ANSWER:
        # An answer is the interviewee's when the article has introduced exactly one person.
        named = [name for name, role in memory.known.items() if role not in _ASKING]
        name = named[0] if len(named) == 1 else None
        role = memory.known.get(name, "") if name else ""
        return _Section(speaker=name, role=role or None, region=region_of(role), turn=True), match.start("rest")
    person = parse_person(label, frozenset(memory.known))
    if person is None:
        return None
    role = person.role or memory.known.get(person.name, "")
    memory.saw(Person(person.name, role))
    return _Section(speaker=person.name, role=role or None, region=region_of(role), turn=True), match.start("rest")


def is_complete(text: str) -> bool:
    """True if the text ends a sentence (so it was not cut by a page break)."""
    return bool(_TERMINAL.search(text.rstrip()))


def _lines(article: Article) -> Iterator[tuple[str, int]]:
    """Non-empty lines of the body with their article offsets, leading/trailing space trimmed."""
    for match in re.finditer(r"[^\n]+", article.text[article.body_start:]):
        raw = match.group(0)
        stripped = raw.strip()
        if stripped:
            yield stripped, article.body_start + match.start() + raw.index(stripped[0])


def _paragraphs(article: Article, settings: ChunkerSettings) -> list[_Paragraph]:
    """Classify lines into speaker lines, headlines and paragraphs; rejoin page-break cuts."""
    markdown = article.markdown
    section = _Section()
    memory = SpeakerMemory()
    # Dialogue needs two turns at least: one `X：……` line in a news story is a quote, not an interview.
    dialogue = sum(parse_turn(line, SpeakerMemory()) is not None for line, _ in _lines(article)) >= 2
    paragraphs: list[_Paragraph] = []
    open_paragraph: _Paragraph | None = None
    open_table: _Paragraph | None = None
    expect_headline = False
    heading: tuple[str, int, _Section] | None = None  # the last line taken as a heading, until text follows it
    for line, start in _lines(article):
        if markdown and _MD_HEADING.match(line):
            section = _Section(headline=_MD_NOISE.sub("", _MD_HEADING.sub("", line)).strip())
            open_paragraph, expect_headline = None, False
            continue
        if markdown and _TABLE_ROW.match(line):
            if open_table is not None and open_table.section is section:
                open_table.pieces.extend([("\n", start - 1), (line, start)])  # rows keep their line breaks
            else:
                open_table = _Paragraph(section, [(line, start)])
                paragraphs.append(open_table)
            open_paragraph, expect_headline, heading = None, False, None
            continue
        open_table = None
        text = _MD_NOISE.sub("", line).strip() if markdown else line
        if not text:
            continue
        speaker = parse_speaker(text)
        if speaker:
            section = _Section(speaker=speaker.name, role=speaker.role, region=speaker.region, turn=True)
            open_paragraph, expect_headline, heading = None, True, None
            continue
        turn = parse_turn(text, memory) if dialogue and (not markdown or text == line) else None
        if turn is not None:
            section, offset = turn
            text, start = text[offset:], start + offset
            open_paragraph, expect_headline, heading = None, False, None
        else:
            learn(text, memory)
        credit_line = _CREDIT_LINE.match(text)
        if credit_line and paragraphs:
            section.reporters.extend(credit_line.group("names").split())
            open_paragraph = None
            continue
        short_heading = not is_complete(text) and len(text) <= settings.heading_max_chars
        if short_heading and turn is None and (expect_headline or open_paragraph is None):
            # A headline under a speaker line, or a subheading/dek between paragraphs.
            heading = (text, start, section)
            section = replace(section, headline=text)
            expect_headline = False
            continue
        expect_headline, heading = False, None
        credit = _REPORTERS.search(text)
        if credit:
            section.reporters.extend(credit.group("names").split())
            text = text[:credit.start()].rstrip()
        if open_paragraph is not None and open_paragraph.section is section:
            open_paragraph.pieces.append((text, start))
            paragraph = open_paragraph
        else:
            paragraph = _Paragraph(section, [(text, start)])
            paragraphs.append(paragraph)
        open_paragraph = None if is_complete(text) or credit else paragraph
    if heading is not None:  # a short last line with nothing after it is text, not a heading of nothing
        paragraphs.append(_Paragraph(heading[2], [heading[:2]]))
    if not paragraphs:  # a one-line article: its only line is its title, and its text
        paragraphs = [_Paragraph(_Section(), [(_MD_NOISE.sub("", _MD_HEADING.sub("", line)).strip(), start)])
                      for line, start in _lines(replace(article, body_start=0))][:1]
    return [p for p in paragraphs if p.text]


def split_windows(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Split text into [start, end) windows of at most max_chars, cutting at sentence ends where possible."""
    if len(text) <= max_chars:
        return [(0, len(text))]
    units: list[tuple[int, int]] = []
    for sentence in _SENTENCE.finditer(text):
        if sentence.end() - sentence.start() <= max_chars:
            units.append(sentence.span())
            continue
        for clause in _CLAUSE.finditer(sentence.group(0)):
            begin = sentence.start() + clause.start()
            end = sentence.start() + clause.end()
            units.extend((pos, min(pos + max_chars, end)) for pos in range(begin, end, max_chars))
    windows: list[tuple[int, int]] = []
    for begin, end in units:
        if windows and end - windows[-1][0] <= max_chars:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((begin, end))
    return windows


def _speech(paragraph: _Paragraph, memory: SpeakerMemory) -> list[Span]:
    """Who says what in a paragraph: its section's speaker throughout a speech or turn, else reported speech."""
    section = paragraph.section
    if section.turn:
        if section.speaker:
            memory.saw(Person(section.speaker, section.role or ""))
        person = Person(section.speaker, section.role or "") if section.speaker else None
        return [Span(0, len(paragraph.text), person)]
    return attribute(paragraph.text, memory)


def chunk_article(article: Article, settings: ChunkerSettings) -> list[Passage]:
    """All passages of an article, in reading order; a paragraph whose speaker changes is split at the change."""
    passages: list[Passage] = []
    memory = SpeakerMemory()
    for number, paragraph in enumerate(_paragraphs(article, settings), start=1):
        text = paragraph.text
        section = paragraph.section
        for span in _speech(paragraph, memory):
            person = span.person
            role = (person.role or None) if person else (section.role if section.turn else None)
            for begin, end in split_windows(text[span.start:span.end], settings.max_chars):
                begin, end = begin + span.start, end + span.start
                window_text = text[begin:end].strip()
                if not window_text:
                    continue
                lead = len(text[begin:end]) - len(text[begin:end].lstrip())
                begin += lead
                end = begin + len(window_text)
                passages.append(Passage(
                    article_id=article.id,
                    seq=len(passages),
                    text=window_text,
                    start=paragraph.offset(begin),
                    end=paragraph.offset(end - 1) + 1,
                    paragraph=number,
                    speaker=person.name if person else None,
                    role=role,
                    region=region_of(role) if person else None,
                    section=section.headline,
                    reporters=tuple(section.reporters),
                    page=article.page_of(paragraph.offset(begin)),
                ))
    return passages
