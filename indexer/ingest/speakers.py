"""Who says each sentence of a paragraph: reported speech, quotes before their attribution, pronouns, narration.

Styles found (measured on benchmarks/devsets/speakers-cctv.jsonl, see benchmarks/README.md "Speakers"):
`市海洋局局长王海洋说：“……”` and `李晓明表示，……` (the speech runs on to the end of the paragraph until narration or
another speaker takes over); `“……，”赵通说，“……”` (the quote before the attribution is the speaker's too); several
speakers in one paragraph; `他说` / `她表示` resolved to the one person the text has just been about, else no one.
Organisations (市政府表示), unnamed officials (有关负责人介绍), groups (大家表示) and narration (据介绍, 记者了解到)
give no speaker: a wrong speaker is worse than none.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from .names import AFTER_TITLES, PRONOUNS, TITLES, Person, clean_role, name_at, parse_person

# Verbs of saying; the attribution is the verb followed by a colon, a comma or an opening quote.
VERBS = sorted(("表示", "说", "指出", "强调", "介绍", "认为", "称", "透露", "坦言", "告诉记者", "提出", "宣布", "说道",
                "表态", "回应", "否认", "承认", "重申", "警告", "补充", "解释", "谈到", "坦承", "直言", "呼吁", "问道",
                "回答", "建议", "感慨", "感叹", "告诉", "提到", "分析", "总结", "坦率地说", "笑着说", "介绍说",
                "补充说", "警告说", "表示说", "指出说", "发言说", "致辞说", "寄语"), key=len, reverse=True)
_ATTRIBUTION = re.compile("(?:" + "|".join(VERBS) + r")(?:道)?(?:本台记者|记者)?(?=[：:，,“\"「])")
# After a quote, the attribution may close the sentence: “……。”赵通说。
_CLOSING = re.compile("(?:(?<=[”」』\"])|^)([^，,。！？!?；;：:“”\"「」『』]{1,30}?)(?:" + "|".join(VERBS)
                      + r")(?:道)?(?=[。！？!?]|$)")
# Between a subject and its verb: dates, places and circumstances (俄罗斯总统普京4日在与…通电话时表示).
_MODIFIER = re.compile(r"\d|[０-９]|今天|昨天|今日|昨日|当天|当日|同日|近日|日前|此前|随后|还|也|则|再次|同时|进一步|"
                       r"首先|最后|一再|多次|在|就|对|向|同|与|于|从|通过|接受|发表|出席|会见|致|联名|代表|一行|明确|"
                       r"充分|高度|热情|亲切|深刻|详细|积极|认真|特别|并|已|曾|又|都|均|当地时间|上午|下午|晚上|晚间|"
                       r"早些时候|本周|上周|星期|周[一二三四五六日]|[0-9一二三四五六七八九十]+月|接见|答记者问|作")
_BOUNDARY = re.compile(r"[，,。！？!?；;：:“”\"「」『』\n]")
_SENTENCE_END = re.compile(r"[。！？!?；;]+")
# Narration that opens a sentence: the reporter's or the data's voice, not the speaker's.
_NARRATION = re.compile(r"^(?:据|另据|记者|本台记者|截至|目前|数据显示|统计显示|资料显示|调查显示|报道|消息|"
                        r"此外，据|与此同时，|会上|会前|会后|会议|当天|随后，|此前|近年来，|如今)")
# Words that end in a verb of saying without being one.
_NOT_SAYING = {"概称", "简称", "名称", "号称", "堪称", "俗称", "统称", "又称", "人称", "著称", "总称", "昵称", "爱称",
               "小说", "传说", "学说", "据说", "听说", "游说", "虽说", "再说", "或说", "解说", "比如说", "就是说"}
# A title and what follows it (a lookahead, so that 记者专访了市科技局局长周建国 still finds 局长周建国).
_TITLED = re.compile("(?:" + "|".join(TITLES) + r")(?=([\u4e00-\u9fff·\-]{2,8}))")
# A clause of circumstance before the verb (…时表示, 在…期间表示): its subject is in the clause before.
_CIRCUMSTANCE = re.compile(r"^(?:在|与|同|于|就|对|当|接受|出席|会见|会晤|谈到|针对)|(?:时|期间|后|中)$")
_PRONOUN = re.compile(r"^(?:" + "|".join(PRONOUNS) + r")(?:还|也|同时|进一步|随后|最后|再次|特别|并|则|又)?$")


@dataclass
class SpeakerMemory:
    """What an article has told so far: names seen with titles (and their roles), and who each paragraph is about."""

    known: dict[str, str] = field(default_factory=dict)  # name → role it was first written with
    recent: list[list[str]] = field(default_factory=lambda: [[]])  # persons the text was about, per paragraph
    # Sentences not yet read for the subjects they open with: only a pronoun needs that, so it waits for one.
    unread: list[list[str]] = field(default_factory=lambda: [[]])

    def next_paragraph(self) -> None:
        """Start a new paragraph (pronouns look back one paragraph at most)."""
        self.recent = [self.recent[-1], []]
        self.unread = [self.unread[-1], []]

    def saw(self, person: Person) -> None:
        """Remember a person the text is about."""
        if person.role and person.name not in self.known:
            self.known[person.name] = person.role
        if person.name not in self.recent[-1]:
            self.recent[-1].append(person.name)

    def read_unread(self) -> None:
        """Read the kept sentences for the people their clauses open with."""
        for paragraph in (0, 1):
            recent = self.recent[paragraph]
            unread, self.unread[paragraph] = self.unread[paragraph], []
            for unit in unread:
                for name in _subjects(unit, self):
                    if name not in recent:
                        recent.append(name)

    def resolve_pronoun(self, opens_paragraph: bool) -> Person | None:
        """他/她: the one person this paragraph has been about (the last paragraph's, when the pronoun opens this one);
        None when there are several or the text so far may be about someone not recognised."""
        self.read_unread()
        candidates = self.recent[-1] if not opens_paragraph else self.recent[-1] or self.recent[0]
        return Person(candidates[0], self.known.get(candidates[0], "")) if len(candidates) == 1 else None


@dataclass(frozen=True)
class Span:
    """[start, end) of a paragraph's text and who says it (None: narration or unknown)."""

    start: int
    end: int
    person: Person | None


def _units(text: str) -> list[tuple[int, int]]:
    """Sentences, never cut inside a quote, with a quote that ends a sentence (“……。”) ending it too."""
    units: list[tuple[int, int]] = []
    start, depth, i = 0, 0, 0
    while i < len(text):
        char = text[i]
        if char in "“「『":
            depth += 1
        elif char in "”」』" and depth:
            depth -= 1
            if depth == 0 and i > 0 and text[i - 1] in "。！？!?":
                units.append((start, i + 1))
                start = i + 1
        elif depth == 0 and _SENTENCE_END.match(char):
            end = _SENTENCE_END.match(text, i)
            assert end is not None
            i = end.end()
            while i < len(text) and text[i] in "”’」』）)":
                i += 1
            units.append((start, i))
            start = i
            continue
        i += 1
    if start < len(text):
        units.append((start, len(text)))
    return [(s, e) for s, e in units if text[s:e].strip()]


def _outside_quotes(text: str) -> str:
    """The text with quoted stretches blanked (same length), so verbs inside a quote are not attributions."""
    out, depth = [], 0
    for char in text:
        if char in "“「『":
            depth += 1
            out.append(char)
        elif char in "”」』" and depth:
            depth -= 1
            out.append(char)
        else:
            out.append("\u3000" if depth else char)
    return "".join(out)


def subject_of(clause: str, known: set[str]) -> Person | str | None:
    """The person a clause before a verb of saying names, the pronoun 他/她, or None (not a person)."""
    clause = clause.strip(" \u3000")
    if _PRONOUN.match(clause) or (clause[:1] in PRONOUNS and _MODIFIER.match(clause, 1)):
        return "pronoun"
    cuts = [m.start() for m in _MODIFIER.finditer(clause) if m.start() >= 2] + [len(clause)]
    for cut in cuts:
        person = parse_person(clause[:cut], known)
        if person is not None:
            return person
    return None


def _by_role(clause: str, memory: SpeakerMemory) -> Person | None:
    """`总书记指出`: a bare title naming the one person the article introduced with it."""
    clause = _MODIFIER.split(clause, 1)[0] if _MODIFIER.search(clause, 2) else clause
    if clause not in TITLES:
        return None
    people = [name for name, role in memory.known.items() if role.endswith(clause)]
    if not people and any(memory.unread):
        memory.read_unread()  # 习近平总书记始终牵挂……。总书记指出: the earlier sentence names him
        people = [name for name, role in memory.known.items() if role.endswith(clause)]
    return Person(people[0], memory.known[people[0]]) if len(people) == 1 else None


def _attribution(unit: str, masked: str, memory: SpeakerMemory) -> tuple[Person | str | None, bool] | None:
    """The first attribution in a sentence: (subject, speech is a quote), or None when the sentence has none."""
    known = set(memory.known)
    first: tuple[Person | str | None, bool] | None = None
    for match in _ATTRIBUTION.finditer(masked):
        before = masked[max(0, match.start() - 1):match.start()]
        if before in ("的", "之") or (before + match.group(0)[:1]) in _NOT_SAYING:
            continue  # 听取了…的介绍, 简称, 据说: the verb is part of another word
        bounds = [m.end() for m in _BOUNDARY.finditer(masked, 0, match.start())]
        clause_start = bounds[-1] if bounds else 0
        clause = unit[clause_start:match.start()]
        if not clause.strip() or len(clause) > 60:
            continue
        subject = subject_of(clause, known) or _by_role(clause.strip(), memory)
        if subject is None and _CIRCUMSTANCE.search(clause) and len(bounds) >= 1:
            # 委内瑞拉外长普拉森西亚12日在…期间，与欧盟方面会晤时表示：the subject is one clause back.
            earlier = unit[(bounds[-2] if len(bounds) >= 2 else 0):bounds[-1] - 1]
            subject = subject_of(earlier, known) if masked[bounds[-1] - 1] in "，," else None
        after = masked[match.end():match.end() + 2]
        found = (subject, after[:1] in "“\"「" or after in ("：“", ":“", "：\"", "：「"))
        if subject is not None:
            return found  # 该报道还说，美国…专家托尼·帕扬指出：the person, not the first verb, is the speaker
        first = first or found
    if first is None:
        closing = _CLOSING.search(masked)
        if closing:
            return subject_of(unit[closing.start(1):closing.end(1)], known), True
    return first


def learn(unit: str, memory: SpeakerMemory) -> None:
    """Learn the people a sentence names after a title (国务院总理李强), and roles written after a known name
    (习近平总书记); keep the sentence for the subjects a later 他/她 may need."""
    starts = [0] + [m.end() for m in _BOUNDARY.finditer(unit)]
    known = frozenset(memory.known)
    for match in _TITLED.finditer(unit):
        name = name_at(match.group(1), known)
        if name is None:
            continue
        clause = starts[bisect.bisect_right(starts, match.start()) - 1]
        person = parse_person(unit[clause:match.start(1) + len(name)], known | {name})
        if person is not None and person.name == name:
            memory.saw(Person(name, clean_role(person.role)) if person.role else person)
        else:
            memory.known.setdefault(name, "")
    for name, role in list(memory.known.items()):
        if not role and name in unit:
            after = next((t for t in AFTER_TITLES if name + t in unit), None)
            if after:  # 习近平总书记: a later bare 总书记指出 means him
                memory.known[name] = after
    memory.unread[-1].append(unit)


def _subjects(unit: str, memory: SpeakerMemory) -> list[str]:
    """The people clauses of a sentence open with: a three-character name (赵乐际认真倾听), a known name, or a bare
    title the article gave one person (总书记十分欣慰)."""
    found: list[str] = []
    for start in [0] + [m.end() for m in _BOUNDARY.finditer(unit)]:
        name = name_at(unit[start:start + 8], frozenset(memory.known))
        if name is not None and (name in memory.known or len(name) >= 3):
            if not memory.known.get(name):
                after = next((t for t in AFTER_TITLES if unit.startswith(name + t, start)), "")
                memory.known[name] = after  # 习近平总书记多次来到浙江: his role for a later 他强调
            found.append(name)
        elif name is None:
            title = next((t for t in TITLES if unit.startswith(t, start)), None)
            titled = _by_role(title, memory) if title else None
            if titled is not None:
                found.append(titled.name)
    return found


def attribute(text: str, memory: SpeakerMemory) -> list[Span]:
    """Who says each sentence of one paragraph, as spans covering it; merges neighbours with the same speaker."""
    memory.next_paragraph()
    masked = _outside_quotes(text)
    spans: list[Span] = []
    current: Person | None = None  # the speaker an unquoted attribution left talking
    units = _units(text)
    for index, (start, end) in enumerate(units):
        unit, unit_masked = text[start:end], masked[start:end]
        found = _attribution(unit, unit_masked, memory)
        owner: Person | None
        if found is None and unit.lstrip().startswith(("“", "「")) and index + 1 < len(units):
            # “……。”赵通说。 or a quote whose attribution comes in the next sentence: the quote is that speaker's.
            n_start, n_end = units[index + 1]
            ahead = _attribution(text[n_start:n_end], masked[n_start:n_end], memory)
            if ahead is not None and isinstance(ahead[0], Person) and \
                    _BOUNDARY.search(masked[n_start:n_end].split(ahead[0].name)[0] or "x") is None:
                found = (ahead[0], True)
        if found is not None:
            subject, quoted = found
            person = memory.resolve_pronoun(index == 0) if subject == "pronoun" else subject
            owner = person if isinstance(person, Person) else None
            if owner is not None:
                owner = Person(owner.name, owner.role or memory.known.get(owner.name, ""))
                memory.saw(owner)
            current = None if quoted or owner is None else owner
            learn(unit, memory)
        elif _NARRATION.match(unit.lstrip()):
            owner, current = None, None
        elif current is not None and current.name not in unit and not (current.role and current.role in unit):
            owner = current
        else:
            owner, current = None, None
        if found is None:
            learn(unit, memory)
        if spans and spans[-1].person == owner:
            spans[-1] = Span(spans[-1].start, end, owner)
        else:
            spans.append(Span(start, end, owner))
    return spans
