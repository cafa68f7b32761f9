"""Who a noun phrase names: `市海洋局局长王海洋` → role 市海洋局局长, name 王海洋; `市政府` → nobody.

Chinese person names are recognised from what exists (jieba's part-of-speech tags, a surname list, the characters
transliterated names are written in) and from the article itself: a name once seen after a title (德国总理默茨) is a
name when it comes back bare (默茨表示). Anything else (an organisation, a country, an unnamed official) is no one:
a wrong speaker is worse than none.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from functools import cache

import jieba
import jieba.posseg

# Titles that end a role and come before a name (longest first, so 副主席 wins over 主席).
TITLES = sorted({
    "总书记", "书记", "副书记", "主席", "副主席", "总统", "副总统", "总理", "副总理", "首相", "大臣", "部长",
    "副部长", "外长", "防长", "议长", "委员长", "副委员长", "委员", "常委", "省长", "市长", "区长", "县长", "州长",
    "镇长", "乡长", "村长", "主任", "副主任", "局长", "副局长", "处长", "科长", "厅长", "司长", "署长", "秘书长",
    "发言人", "大使", "公使", "参赞", "领事", "董事长", "总经理", "经理", "总裁", "创始人", "首席执行官", "行长",
    "会长", "理事长", "院长", "校长", "所长", "馆长", "社长", "台长", "站长", "队长", "团长", "组长", "教授",
    "研究员", "专家", "学者", "学家", "院士", "医生", "医师", "护士长", "工程师", "老师", "教师", "法官", "检察官",
    "律师", "民警", "警官", "记者", "主持人", "主编", "编辑", "作家", "导演", "演员", "运动员", "选手", "教练",
    "官员", "负责人", "女士", "先生", "同志", "大将", "上将", "中将", "少将", "将军", "司令", "司令员", "政委",
    "参谋长", "国王", "女王", "王储", "亲王", "王子", "元首", "总督", "顾问", "首席顾问", "助理", "特使", "特别代表",
    "代表", "议员", "参议员", "众议员", "村民", "居民", "市民", "游客", "农民", "工人", "职工", "店主", "老板",
    "船长", "机长", "党组书记", "干部", "支书", "渔民", "牧民", "行政长官", "长官", "特首", "首席大法官", "合伙人",
    "分析师", "经济学家", "科学家", "总监", "主管", "社区书记",
}, key=len, reverse=True)
_TITLE_END = re.compile("(?:" + "|".join(TITLES) + ")$")
_TITLE_ANY = re.compile("|".join(TITLES))
# Titles written after the name: 习近平总书记, 张泽熙委员, 劳尔大将.
AFTER_TITLES = _AFTER = ("总书记", "委员长", "主席", "总理", "委员", "同志", "先生", "女士", "大将", "教授", "院士",
                         "书记", "总统")

SURNAMES_2 = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯",
              "宇文", "长孙", "端木", "申屠", "澹台", "万俟", "闻人", "呼延")
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆"
    "乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平"
    "计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公"
    "哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由习栗")
# A name never ends in an adverb or a party word (乌方还称 is not 乌方还 speaking).
_NOT_NAME_END = set("还也则又都均并已曾再就方军是有在的了将被把")
# Characters that transliterated foreign names are written in (新华社译名 usage): a bare run of them is a name only
# when jieba does not know it as something else.
_TRANSLIT = set(
    "阿埃艾爱安昂奥巴拜班邦保鲍贝本比彼毕宾波伯博布查达戴丹道德登迪蒂丁杜多厄恩法菲费芬丰弗福富盖甘冈高戈格古"
    "瓜哈海汉豪赫亨洪胡华霍基吉加贾杰金卡凯坎康考柯科克肯库夸奎拉莱赖兰朗劳勒雷黎里利列林琳隆卢鲁伦罗洛马迈曼"
    "梅门蒙米明莫默穆纳奈南内尼宁纽努诺欧帕潘庞佩皮珀普奇齐恰乔切琴丘萨塞赛桑瑟森沙莎尚舍什施斯松苏索塔泰坦汤"
    "唐特滕提图托瓦万旺威韦维温文沃乌伍西希锡夏谢辛休雅亚扬耶伊因英尤于扎泽詹兹佐祖茨娜娃妮丽莉黛蕾薇尔夫姆乔"
    "缪丽琪蒂娅芙露茜拉柳希奥耶科霍雷萨洛约翰逊肖杰罗姆费德里克杜鲁门默克尔马克龙东申诺琼珊伽迦贡廷汀芭"
    "楠蓓佳赞舒翰曼瑞默朔茨岚卜鄂穆贝昆仑吕延彻侯谢胡塔姆诺霍蒙赖乔纳雅希科沃戈贝基朗哈利福"
    "杨里洛罗莱普丘什博萨宾泰京")
_NAME_MARKS = "·•‧-－"
_NAME_CHARS = "[\u4e00-\u9fff" + re.escape(_NAME_MARKS) + "]+"
# Words jieba tags as names that are organisations, documents or groups in the news.
_NOT_PEOPLE = {"哈马斯", "塔利班", "白皮书", "贺词", "真主党", "胡塞", "北约", "欧盟", "东盟", "联合国", "新华社",
               "大家", "人们", "专家", "官员", "代表", "会议", "文章", "报告", "声明", "通知", "意见", "公报", "社论",
               "评论", "署名", "总台", "央视", "记者", "主持人", "网友", "群众", "市民", "村民", "居民", "游客",
               "有关人士", "业内人士", "分析人士", "知情人士", "消息人士", "外界", "舆论", "民调", "数据", "调查"}
_ORG_END = re.compile(r"(?:部|局|委|会|院|厅|办|署|方|军|队|党|组织|政府|当局|媒体|报|社|台|网|公司|集团|银行|中心|"
                      r"机构|部门|大学|学院|学校|医院|协会|联盟|企业|工厂|人士|们|省|市|区|县|州|村|镇|界|所|"
                      r"处|站|馆|局方|法院|检察院|议会|国会|内阁|白宫|外交部|国防部)$")
PRONOUNS = ("他", "她")


@dataclass(frozen=True)
class Person:
    """A named person and the role written with the name (empty when none)."""

    name: str
    role: str = ""


@cache
def _tags() -> dict[str, str]:
    """jieba's word → part-of-speech table (loaded once; jieba needs a writable temp dir)."""
    jieba.dt.tmp_dir = tempfile.gettempdir()
    jieba.setLogLevel(60)
    jieba.posseg.dt.initialize()
    return dict(jieba.posseg.dt.word_tag_tab)


def _chinese_name(text: str) -> bool:
    """A Chinese personal name: surname plus one or two characters, not a word jieba knows as something else."""
    if _tags().get(text, "").startswith("nr") and 2 <= len(text) <= 4:
        return True
    surname = 2 if text[:2] in SURNAMES_2 else 1
    if not (surname + 1 <= len(text) <= surname + 2) or (surname == 1 and text[0] not in SURNAMES):
        return False
    tag = _tags().get(text)
    return tag is None or tag.startswith("nr")


def _foreign_name(text: str) -> bool:
    """A transliterated name (迪亚斯-卡内尔, 汤姆·弗莱彻, 托卡耶夫) that jieba does not know as a place or word."""
    letters = [c for c in text if c not in _NAME_MARKS]
    if not 2 <= len(letters) <= 14 or not all(c in _TRANSLIT for c in letters):
        return False
    if text[0] in _NAME_MARKS or text[-1] in _NAME_MARKS:
        return False
    tag = _tags().get(text)
    return tag is None or tag.startswith("nr")


def looks_like_name(text: str, known: set[str] | frozenset[str] = frozenset()) -> bool:
    """True when the text on its own is a person's name (or one the article already introduced)."""
    if text in known:
        return True
    if (_TITLE_ANY.search(text) or text in _NOT_PEOPLE or _ORG_END.search(text) or text[-1] in _NOT_NAME_END
            or not re.fullmatch(_NAME_CHARS, text)):
        return False
    return _chinese_name(text) or _foreign_name(text)


def parse_person(phrase: str, known: set[str] | frozenset[str] = frozenset()) -> Person | None:
    """The person a subject phrase names, with its role, or None (organisation, unnamed official, plain word)."""
    phrase = phrase.strip(" \u3000")
    if not phrase or phrase in _NOT_PEOPLE:
        return None
    for title in _AFTER:  # 习近平总书记, 张泽熙委员
        if phrase.endswith(title) and len(phrase) > len(title):
            head = phrase[:-len(title)]
            found = parse_person(head, known)
            if found is not None:
                return Person(found.name, (found.role + title) if found.role else title)
    if looks_like_name(phrase, known):
        return Person(phrase)
    last = None
    for match in _TITLE_ANY.finditer(phrase):
        last = match
    if last is None or last.end() == len(phrase):
        return None
    name, role = phrase[last.end():], phrase[:last.end()]
    if (name in known or looks_like_name(name, known) or _titled_name(name)) and not _TITLE_ANY.search(name):
        return Person(name, role)
    return None


def _titled_name(text: str) -> bool:
    """After a title, a surname and one or two characters is a name even when jieba knows the string as a word, and
    so is a transliteration written with its separator (侯赛因·谢赫)."""
    if re.fullmatch(r"[\u4e00-\u9fff]{1,8}(?:[·•‧\-－][\u4e00-\u9fff]{1,8})+", text):
        return True
    surname = 2 if text[:2] in SURNAMES_2 else 1
    return (surname + 1 <= len(text) <= surname + 2 and (surname == 2 or text[0] in SURNAMES)
            and text not in _NOT_PEOPLE and re.fullmatch(r"[\u4e00-\u9fff]+", text) is not None)


# Single characters that follow a name without belonging to it.
_AFTER_NAME = set("在就对向同与于从还也则又都均并已曾再说称是有到来去和及等的了将曾为被把让给跟")
_FUNCTION_TAGS = ("v", "p", "c", "u", "d", "r", "f", "m", "q", "y", "t", "x")


def name_at(text: str, known: set[str] | frozenset[str] = frozenset()) -> str | None:
    """The name a text opens with, as after a title in running text (`李强听取汇报` → 李强), or None."""
    for name in known:
        if text.startswith(name):
            return name
    marked = re.match(r"[\u4e00-\u9fff]{1,8}(?:[·•‧\-－][\u4e00-\u9fff]{1,8})+", text)
    if marked:
        return marked.group(0)
    run = re.match("[" + "".join(sorted(_TRANSLIT)) + "]+", text)
    if run and len(run.group(0)) >= 4:  # longer than a Chinese name: a transliteration (马特维延科)
        return run.group(0)
    _tags()
    tokens: list[tuple[str, str]] = [(str(w.word), str(w.flag)) for w in jieba.posseg.cut(text[:8], HMM=False)]
    if not tokens:
        return None
    word, tag = tokens[0]
    if tag.startswith("nr") and 2 <= len(word) <= 4 and word not in _NOT_PEOPLE:
        if len(word) == 2 and word[0] in SURNAMES and len(tokens) > 1 and len(tokens[1][0]) == 1 \
                and tokens[1][0] not in _AFTER_NAME and re.match(r"[\u4e00-\u9fff]", tokens[1][0]):
            return word + tokens[1][0]  # 李家|超 is 李家超; 李强|在 stays 李强
        return word
    if len(word) == 1 and word in SURNAMES and len(tokens) > 1:
        given, given_tag = tokens[1]
        if len(given) <= 2 and not given_tag.startswith(_FUNCTION_TAGS) and given not in TITLES \
                and given not in _AFTER_NAME:
            if len(given) == 1 and len(tokens) > 2 and len(tokens[2][0]) == 1 and tokens[2][0] not in _AFTER_NAME \
                    and re.match(r"[\u4e00-\u9fff]", tokens[2][0]):
                return word + given + tokens[2][0]  # 丁|薛|祥: a given name jieba does not know, char by char
            return word + given
    if run and len(run.group(0)) >= 2:  # after a title: 总统普京 although jieba calls 普京 a place
        return run.group(0)
    return None


def clean_role(role: str) -> str:
    """A role as running text wrote it, from after its last verb or preposition (临时政府成员包括首席顾问 → 首席顾问,
    伊朗总统佩泽希齐扬与俄罗斯总统 → 俄罗斯总统)."""
    _tags()
    tokens = [(w.word, w.flag) for w in jieba.posseg.cut(role, HMM=False)]
    last_verb = max((i for i, (_, tag) in enumerate(tokens) if tag in ("v", "p")), default=-1)
    cut = len("".join(word for word, _ in tokens[:last_verb + 1]))
    if last_verb >= 0 and tokens[last_verb][0][0] in "了着过" and len(tokens[last_verb][0]) > 1:
        cut -= len(tokens[last_verb][0]) - 1  # jieba's 了市: the particle ends the verb, 市 opens the role
    return role[cut:].lstrip("了的着过").strip("，、 ") or role
