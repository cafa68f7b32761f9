"""What the page says, in Chinese: errors, notices and warnings (the API keeps its English codes and messages)."""

from __future__ import annotations

import re

from indexer.errors import WenkuError

FIELD_NAMES = {
    "q": "查询", "mode": "检索方式", "k": "每页条数", "offset": "起始位置", "semantic_ratio": "语义比重",
    "sort": "排序", "collapse": "合并相同报道", "date_from": "起始日期", "date_to": "截止日期", "speaker": "发言人",
    "region": "地区", "source": "来源", "year": "年份", "article": "文章", "request": "查询",
}

# Error codes (indexer.errors) as the page puts them.
ERRORS = {
    "not_found": "找不到所要的文章或段落，它可能已被删除。",
    "index_not_found": "还没有可用的索引。请先运行 wenku build 建立索引。",
    "index_corrupt": "索引已损坏，暂时无法检索。请运行 wenku check 查看详情，并用 wenku build --rebuild 重建。",
    "model_mismatch": "索引与当前加载的模型不一致。请用建索引时的模型启动，或重建索引。",
    "model_unavailable": "语义模型无法加载。",
    "index_busy": "索引正在更新，请稍后再试。",
    "index_read_only": "索引目录只读，无法写入。",
}
HTTP_ERRORS = {404: "页面不存在。", 405: "不支持这种请求方式。", 413: "请求内容过大。",
               500: "服务器内部错误，请查看服务器日志。"}

_QUERY_ERRORS = [
    (re.compile(r"query is empty"), "请输入要查找的内容。"),
    (re.compile(r"query is (\d+) characters; the limit is (\d+)"), "查询过长（{0} 字），最多 {1} 字。"),
    (re.compile(r"must be one of (.+)"), "只能是 {0} 之一。"),
    (re.compile(r"not a date"), "日期格式不对，应为 2024、2024-05 或 2024-05-31。"),
    (re.compile(r"date_from is after date_to"), "起始日期晚于截止日期。"),
    (re.compile(r"(greater|less) than or equal to ([\d.]+)"), "超出允许范围（{1}）。"),
    (re.compile(r"at most (\d+) values"), "最多选择 {0} 项。"),
]
_WARNINGS = [
    (re.compile(r"semantic search unavailable: (.*); showing keyword results"),
     "语义检索不可用（{0}），已改用关键词检索。"),
    (re.compile(r"semantic search unavailable: (.*); similar by shared keywords instead"),
     "语义检索不可用（{0}），按共同关键词查找相似段落。"),
    (re.compile(r"semantic_ratio applies to hybrid mode; ignored in (\w+) mode"), "语义比重只用于混合检索，已忽略。"),
    (re.compile(r"the query has no searchable words for keyword matching"), "查询中没有可用于关键词匹配的词。"),
    (re.compile(r"unknown parameter ignored: (\S+) \(did you mean (\w+)\?\)"),
     "网址中的参数“{0}”无法识别，已忽略（是否要用“{1}”？）。"),
    (re.compile(r"unknown parameter ignored: (\S+)"), "网址中的参数“{0}”无法识别，已忽略。"),
    (re.compile(r"the phrase “(.*)” was checked in its (\d+) best keyword matches only"),
     "短语“{0}”只在关键词最相关的 {1} 个段落中核对。"),
]


_REASONS = {
    "the index was built without an embedding model": "索引建立时没有使用语义模型",
    "the model was not loaded (listing only)": "未加载语义模型",
}


def _translate(text: str, table: list[tuple[re.Pattern[str], str]]) -> str | None:
    for pattern, template in table:
        found = pattern.search(text)
        if found:
            return template.format(*found.groups())
    return None


def query_error(message: str) -> str:
    """A QueryError ("field: message") as the page says it."""
    field, _, detail = message.partition(": ")
    name = FIELD_NAMES.get(field)
    if name is None:
        return f"查询有误：{message}"
    return f"{name}：{_translate(detail, _QUERY_ERRORS) or '取值无效。'}"


def reason(text: str | None) -> str:
    """Why semantic search is unavailable, as the page says it (a model's own error stays as it is)."""
    text = text or ""
    for english, chinese in _REASONS.items():
        text = text.replace(english, chinese)
    return text


def warning(text: str) -> str:
    """A search warning as the page says it."""
    return reason(_translate(text, _WARNINGS) or text)


def error(exc: WenkuError) -> str:
    """An index or lookup error as the page says it."""
    return ERRORS.get(exc.code, f"出错了：{exc}")
