"""Text bytes to text: a BOM, strict UTF-8, then the legacy Chinese encodings (GB18030, Big5) and UTF-16 without a
BOM, each guess checked for being text."""

from __future__ import annotations

import re

import charset_normalizer

from ..errors import ArticleError

# Text a human would call readable: Latin, Greek, Cyrillic, CJK (with kana, Hangul, bopomofo), punctuation,
# full-width forms. Only the permissive GB18030 fallback is held to it; it decodes most byte soup.
_PLAUSIBLE = re.compile(r"[\u0020-\u007e\u00a0-\u052f\u2000-\u206f\u2100-\u27bf\u2e80-\u2fdf\u3000-\u33ff"
                        r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
                        r"\U00020000-\U0003134f\n\t\r]")
# UTF-16 without a BOM is a guess any even-length bytes can pass: its text must be Chinese as written (CJK,
# ASCII, CJK and general punctuation, full-width forms) to count.
_PLAUSIBLE_UTF16 = re.compile(r"[\u0020-\u007e\n\t\r\u2000-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff"
                              r"\uff00-\uffef]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode article bytes, returning (text, encoding); raise ArticleError when impossible.

    A BOM decides; then strict UTF-8; then charset-normalizer chooses among the legacy Chinese encodings (GB18030,
    Big5), or among UTF-16 LE/BE when the bytes hold NULs (UTF-16 without a BOM), each result checked for being text.
    """
    if not raw.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ArticleError("empty file")
    if raw.startswith(b"\xef\xbb\xbf"):
        return _checked(raw, "utf-8-sig", strict=True)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _checked(raw, "utf-16", strict=True)
    if b"\x00" not in raw:
        try:
            return _checked(raw, "utf-8", strict=True)
        except ArticleError:
            pass
    legacy = ["utf_16_le", "utf_16_be"] if b"\x00" in raw else ["gb18030", "big5"]
    guesses = [match.encoding for match in charset_normalizer.from_bytes(raw, cp_isolation=legacy)]
    for encoding in dict.fromkeys(guesses + legacy):
        try:
            text, name = _checked(raw, encoding, strict=False)  # a guess: its text must also look plausible
        except ArticleError:
            continue
        if not name.startswith("utf-16") or len(_PLAUSIBLE_UTF16.findall(text)) >= 0.95 * len(text):
            return text, name
    if b"\x00" in raw:
        raise ArticleError("binary file (contains NUL bytes and is not UTF-16 text)")
    raise ArticleError("undecodable: not UTF-8, UTF-16, GB18030 or Big5 text")


def _checked(raw: bytes, encoding: str, strict: bool) -> tuple[str, str]:
    """(text, encoding) if the bytes decode to something that looks like text, else ArticleError."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ArticleError(f"undecodable: not valid {encoding} text") from exc
    if not _looks_like_text(text, strict_decode=strict):
        raise ArticleError(f"undecodable: not text in {encoding}")
    return text.lstrip("\ufeff"), encoding.replace("_", "-")


def _looks_like_text(text: str, strict_decode: bool) -> bool:
    """Reject binary data: many control characters, or (after a permissive decode) mostly unlikely code points."""
    sample = text[:20000]
    if not sample.strip() or len(_CONTROL.findall(sample)) > 0.01 * len(sample):
        return False
    return strict_decode or len(_PLAUSIBLE.findall(sample)) >= 0.95 * len(sample)
