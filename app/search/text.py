"""Pure text helpers for search: French folding and highlighted snippets (no Flask, no DB)."""

import re
import unicodedata

from markupsafe import Markup, escape

_WORD = re.compile(r"\w+", re.UNICODE)


def strip_accents(text: str) -> str:
    """Remove diacritics ("épicerie" → "epicerie"), keeping the letters."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_word(word: str) -> str:
    """Fold one word: lower-case, no accents, a final s/x dropped on words longer than 3 letters."""
    word = strip_accents(word.lower())
    if len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    return word


def fold_text(text: str) -> str:
    """Fold every word of a text, keeping everything else, so "Épiceries" matches "epicerie"."""
    return _WORD.sub(lambda m: fold_word(m.group(0)), text or "")


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
    tokens = list(_WORD.finditer(text))
    hits = [i for i, m in enumerate(tokens) if fold_word(m.group(0)) in wanted]
    if not tokens:
        return escape(text[:200])
    if hits:
        # The window starting a few words before the hit that has most hits after it.
        best, best_count = hits[0], 0
        for h in hits:
            count = sum(1 for other in hits if h <= other < h + words)
            if count > best_count:
                best, best_count = h, count
        start = max(0, best - 6)
    else:
        start = 0
    end = min(len(tokens), start + words)
    begin_char = tokens[start].start() if start else 0
    end_char = tokens[end - 1].end() if end < len(tokens) else len(text)
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
    if end < len(tokens):
        snippet += Markup(" …")
    return snippet
