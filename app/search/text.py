"""Pure text helpers for search: French folding and highlighted snippets (no Flask, no DB)."""

import re
import unicodedata
from functools import lru_cache

from markupsafe import Markup, escape

_WORD = re.compile(r"\w+", re.UNICODE)
#: A final s or x after at least three word characters: "épiceries" → "epicerie", not "les".
_PLURAL = re.compile(r"\b(\w{3,})[sx]\b", re.UNICODE)
#: Snippets look for matches in the first part of very long texts only (transcripts).
SNIPPET_SCAN_CHARS = 60_000


def strip_accents(text: str) -> str:
    """Remove diacritics ("épicerie" → "epicerie"), keeping the letters."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=100_000)
def fold_word(word: str) -> str:
    """Fold one word: lower-case, no accents, a final s/x dropped on words longer than 3 letters."""
    word = strip_accents(word.lower())
    if len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    return word


def fold_text(text: str) -> str:
    """Fold every word of a text, keeping everything else, so "Épiceries" matches "epicerie"."""
    # Whole-text passes run in C; the result equals folding each word with fold_word.
    return _PLURAL.sub(r"\1", strip_accents((text or "").lower()))


def query_terms(query: str) -> list[str]:
    """Return the folded words of a user query (duplicates removed, order kept)."""
    seen = []
    for word in _WORD.findall(query or ""):
        folded = fold_word(word)
        if folded and folded not in seen:
            seen.append(folded)
    return seen


def parse_query(query: str) -> list[tuple[str, ...]]:
    """Split a query into required groups of folded words: a quoted phrase is one group."""
    groups = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', query or ""):
        words = tuple(fold_word(w) for w in _WORD.findall(phrase or word))
        if words and words not in groups:
            groups.append(words)
    return groups


def fts5_match(query: str) -> str | None:
    """Build a safe FTS5 MATCH expression (all words required, phrases kept) from a user query."""
    groups = parse_query(query)
    if not groups:
        return None
    # Every token is quoted, so FTS5 operators typed by users (AND, NEAR, *, :) are plain words.
    return " ".join('"' + " ".join(group) + '"' for group in groups)


def highlight_snippet(text: str, terms: list[str], *, words: int = 32) -> Markup:
    """Return an escaped excerpt of text around the densest run of matching words, in <mark>."""
    if not text:
        return Markup("")
    wanted = set(terms)
    tokens = list(_WORD.finditer(text, 0, min(len(text), SNIPPET_SCAN_CHARS)))
    if not tokens:
        return escape(text[:200])
    hits = [i for i, m in enumerate(tokens) if fold_word(m.group(0)) in wanted]
    start = 0
    if hits:
        # The window of `words` tokens holding the most hits (two pointers over sorted hits).
        best, best_count, left = hits[0], 0, 0
        for right, h in enumerate(hits):
            while h - hits[left] >= words:
                left += 1
            if right - left + 1 > best_count:
                best, best_count = hits[left], right - left + 1
        start = max(0, best - 6)
    end = min(len(tokens), start + words)
    begin_char = tokens[start].start() if start else 0
    end_char = tokens[end - 1].end() if end < len(tokens) else min(len(text), SNIPPET_SCAN_CHARS)
    out, cursor = [], begin_char
    for m in tokens[start:end]:
        if fold_word(m.group(0)) in wanted:
            out.append(escape(text[cursor : m.start()]))
            out.append(Markup("<mark>") + escape(m.group(0)) + Markup("</mark>"))
            cursor = m.end()
    out.append(escape(text[cursor:end_char]))
    snippet = Markup("").join(out)
    snippet = Markup(" ".join(str(snippet).split()))  # noqa: S704 - built from escaped parts
    if start:
        snippet = Markup("… ") + snippet
    if end < len(tokens) or end_char < len(text):
        snippet += Markup(" …")
    return snippet
