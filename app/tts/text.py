"""Turn a guide's Markdown into sections ready for speech synthesis.

A section is one chapter of the audio edition: the opening (title and any text before the first
heading), then one section per top-level heading. Each keeps the written text next to what will
be spoken, so transcripts show what the reader wrote while the audio says it in words.

The Markdown is read in blocks and sections are yielded as soon as they are complete, so a very
long guide never has to be held as tokens or sections all at once.
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.media import N_, SentenceError
from app.tts.french import cardinal, speakable

DEFAULT_ENGINE_ID = "espeak-ng"
DEFAULT_VOICE = "fr"
#: Longest written chunk (one transcript cue): two caption lines of 42 characters.
MAX_CHUNK_CHARS = 84

NOTICE_TABLE = "Un tableau figure dans la version écrite."
NOTICE_CODE = "Un extrait de code figure dans la version écrite."
NOTICE_IMAGE = "Une image figure dans la version écrite."
SYNTHETIC_VOICE_NOTICE = "Version audio lue par une voix de synthèse."

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
#: Blocks are parsed in batches of about this many characters, cut only between top-level blocks.
_BATCH_CHARS = 8192
_FENCE_RE = re.compile(r"^\s*(`{3,}|~{3,})")
_OWN_LABEL_RE = re.compile(
    r"^(partie|chapitre|étape|annexe|section|introduction|conclusion|préambule|avant-propos)\b",
    re.IGNORECASE,
)
_OWN_NUMBER_RE = re.compile(r"^(\d+|[IVXLC]+)\s*[.)\-–:]\s+(?=\S)")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+")
_NO_BREAK_AFTER_RE = re.compile(
    r"(?:\b(?:M|MM|Mme|Mmes|Dr|St|Ste|cf|env|ex|p|pp|vol|chap|fig|art|al|av|apr|n°|No)\.|"
    r"\b[A-Z]\.)$"
)
_REFERENCE_LINK_RE = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_DROPPED_CATEGORIES = {"So", "Sk", "Cs", "Co", "Cn", "Cc"}
_KEPT_SYMBOLS = set("°©®™№^`")
_JOINERS = {"\u200d", "\ufe0f", "\ufe0e"}
_TAG_RE = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)


class EmptyGuide(SentenceError, ValueError):
    """The guide has no text that could be read aloud."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a sentence short enough for one transcript cue."""

    written: str  #: as the author wrote it (for transcripts)
    spoken: str  #: as the engine must read it


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A block of a section: announcement, heading, text, list item or notice."""

    kind: str
    chunks: tuple[Chunk, ...]

    @property
    def written(self) -> str:
        """Return the written text of the paragraph."""
        return " ".join(chunk.written for chunk in self.chunks)


@dataclass(frozen=True, slots=True)
class Section:
    """One chapter of the audio edition."""

    index: int
    heading: str  #: chapter title, as written
    text_to_speak: str
    content_hash: str  #: sha256 of engine id, voice and spoken text: the audio cache key
    paragraphs: tuple[Paragraph, ...] = ()

    @property
    def chunks(self) -> list[Chunk]:
        """Return every chunk of the section in reading order."""
        return [chunk for paragraph in self.paragraphs for chunk in paragraph.chunks]


def content_hash(engine_id: str, voice: str, text_to_speak: str) -> str:
    """Return the cache key of a section's audio for one engine and voice."""
    payload = "\n".join((engine_id, voice, text_to_speak)).encode()
    return hashlib.sha256(payload).hexdigest()


def prepare_guide(
    markdown: str | Iterable[str],
    title: str,
    *,
    engine_id: str = DEFAULT_ENGINE_ID,
    voice: str = DEFAULT_VOICE,
) -> list[Section]:
    """Split a guide into speakable sections, or raise EmptyGuide."""
    return list(iter_sections(markdown, title, engine_id=engine_id, voice=voice))


def iter_sections(
    markdown: str | Iterable[str],
    title: str,
    *,
    engine_id: str = DEFAULT_ENGINE_ID,
    voice: str = DEFAULT_VOICE,
) -> Iterator[Section]:
    """Yield a guide's sections in order as each completes; raise EmptyGuide if none can be read."""
    lines = markdown.splitlines(keepends=True) if isinstance(markdown, str) else markdown
    reader = _GuideReader(title, engine_id, voice)
    for batch in _batches(lines):
        yield from reader.feed(_MARKDOWN.parse(batch))
    yield from reader.finish()


def _batches(lines: Iterable[str]) -> Iterator[str]:
    """Group lines into Markdown batches that end between two top-level blocks."""
    buffer: list[str] = []
    size = 0
    fence = ""
    in_comment = after_blank = False
    for line in lines:
        if not line.endswith("\n"):
            line += "\n"
        if fence:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
        elif in_comment:
            in_comment = "-->" not in line
        elif match := _FENCE_RE.match(line):
            fence = match.group(1)
        elif "<!--" in line and "-->" not in line.split("<!--", 1)[1]:
            in_comment = True
        elif not line.strip():
            after_blank = True
        else:
            # A non-indented line after a blank line starts a new top-level block: a safe cut.
            if after_blank and size >= _BATCH_CHARS and not line[0].isspace():
                yield "".join(buffer)
                buffer, size = [], 0
            after_blank = False
        buffer.append(line)
        size += len(line)
    if buffer:
        yield "".join(buffer)


def _same_text(a: str, b: str) -> bool:
    def simplify(text: str) -> str:
        return "".join(c for c in text.casefold() if c.isalnum())

    return simplify(a) == simplify(b)


class _GuideReader:
    """Walk markdown-it tokens batch by batch and build sections."""

    def __init__(self, title: str, engine_id: str, voice: str) -> None:
        self.title = " ".join(title.split())
        self.engine_id = engine_id
        self.voice = voice
        self.chapter_level: int | None = None
        self.parts = 0
        self.has_content = False
        self.title_heading_seen = False
        self.index = 0
        self.heading = self.title or "Introduction"
        # The opening says what the guide is and that a synthetic voice reads it.
        self.paragraphs: list[Paragraph] = [
            paragraph
            for paragraph in (
                _paragraph("announcement", [self.title]),
                _paragraph("announcement", [SYNTHETIC_VOICE_NOTICE]),
            )
            if paragraph.chunks
        ]

    def feed(self, tokens: list[Token]) -> Iterator[Section]:
        position = 0
        list_stack: list[str] = []
        while position < len(tokens):
            token = tokens[position]
            kind = token.type
            if kind == "heading_open":
                text = _inline_text(tokens[position + 1])[0]
                yield from self._heading(int(token.tag[1]), text)
                position += 3
                continue
            if kind in ("bullet_list_open", "ordered_list_open"):
                list_stack.append(kind)
            elif kind in ("bullet_list_close", "ordered_list_close"):
                list_stack.pop()
            elif kind == "list_item_open":
                self._list_item(tokens, position, ordered=list_stack[-1] == "ordered_list_open")
                inline = _item_inline(tokens, position)
                if inline is not None:
                    position = inline + 1
                    continue
            elif kind == "inline":
                self._text(tokens[position], "text")
            elif kind in ("fence", "code_block"):
                self._notice(NOTICE_CODE)
            elif kind == "table_open":
                self._notice(NOTICE_TABLE)
                while tokens[position].type != "table_close":
                    position += 1
            elif kind == "html_block":
                self._html(token.content)
            position += 1

    def finish(self) -> Iterator[Section]:
        if not self.has_content:
            raise EmptyGuide(
                N_(
                    "Ce guide ne contient aucun texte à lire à voix haute : ajoutez du contenu "
                    "avant de demander sa version audio."
                )
            )
        yield self._close()

    def _heading(self, level: int, text: str) -> Iterator[Section]:
        if not text.strip():
            return
        if (
            self.chapter_level is None
            and level == 1
            and not self.title_heading_seen
            and all(p.kind == "announcement" for p in self.paragraphs)
        ):
            self.title_heading_seen = True
            # A first-level heading before any text is the guide's own title, not a chapter:
            # chapters are the next level down. Read it unless it repeats the announced title.
            if not _same_text(text, self.title):
                self.has_content = True
                self._add(_paragraph("announcement", [text]))
            return
        if self.chapter_level is None or level <= self.chapter_level:
            self.chapter_level = self.chapter_level or level
            self.has_content = True
            section = self._close()
            self.index += 1
            self.heading = text
            self.paragraphs = [self._announcement(text)]
            yield section
        else:
            self._add(_paragraph("heading", [text]))

    def _announcement(self, heading: str) -> Paragraph:
        if _OWN_LABEL_RE.match(heading):
            return _paragraph("announcement", [heading])
        own_number = _OWN_NUMBER_RE.match(heading)
        if own_number:
            label, heading = own_number.group(1), heading[own_number.end():]
        else:
            self.parts += 1
            label = str(self.parts)
        return _paragraph("announcement", [f"Partie {label} : {heading}"])

    def _list_item(self, tokens: list[Token], position: int, *, ordered: bool) -> None:
        inline = _item_inline(tokens, position)
        if inline is None:
            return
        marker = spoken_marker = ""
        number = tokens[position].info
        if ordered and number.isdigit():
            marker, spoken_marker = number + ". ", cardinal(int(number)) + ", "
        self._text(tokens[inline], "item", marker=marker, spoken_marker=spoken_marker)

    def _text(self, inline: Token, kind: str, *, marker: str = "", spoken_marker: str = "") -> None:
        text, images = _inline_text(inline)
        paragraph = _paragraph(kind, [text], marker=marker, spoken_marker=spoken_marker)
        if paragraph.chunks:
            self.has_content = True
            self._add(paragraph)
        for alt in images:
            self._notice(NOTICE_IMAGE[:-1] + f" : {alt}." if alt else NOTICE_IMAGE)

    def _html(self, html: str) -> None:
        if re.search(r"<table\b", html, re.IGNORECASE):
            self._notice(NOTICE_TABLE)
        elif re.search(r"<(img|svg|picture)\b", html, re.IGNORECASE):
            self._notice(NOTICE_IMAGE)
        paragraph = _paragraph("text", [_TAG_RE.sub(" ", html)])
        if paragraph.chunks and not re.search(r"<table\b", html, re.IGNORECASE):
            self.has_content = True
            self._add(paragraph)

    def _notice(self, text: str) -> None:
        self._add(_paragraph("notice", [text]))

    def _add(self, paragraph: Paragraph) -> None:
        if paragraph.chunks:
            self.paragraphs.append(paragraph)

    def _close(self) -> Section:
        spoken = "\n".join(
            " ".join(chunk.spoken for chunk in paragraph.chunks) for paragraph in self.paragraphs
        )
        return Section(
            index=self.index,
            heading=self.heading,
            text_to_speak=spoken,
            content_hash=content_hash(self.engine_id, self.voice, spoken),
            paragraphs=tuple(self.paragraphs),
        )


def _item_inline(tokens: list[Token], position: int) -> int | None:
    """Return the position of a list item's own first line, if it has one."""
    for offset in range(position + 1, len(tokens)):
        kind = tokens[offset].type
        if kind == "inline":
            return offset
        if kind in ("list_item_close", "bullet_list_open", "ordered_list_open", "fence",
                    "code_block", "table_open", "html_block", "heading_open"):
            return None
    return None


def _inline_text(inline: Token) -> tuple[str, list[str]]:
    """Return the visible text of an inline token and the alt texts of its images."""
    parts: list[str] = []
    images: list[str] = []
    struck = 0
    for child in inline.children or ():
        if child.type == "s_open":
            struck += 1
        elif child.type == "s_close":
            struck -= 1
        elif struck:
            continue  # struck-through text is what the author withdrew
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            images.append(" ".join(child.content.split()))
    text = _REFERENCE_LINK_RE.sub(r"\1", "".join(parts))
    return " ".join(text.split()), images


def _paragraph(
    kind: str, texts: list[str], *, marker: str = "", spoken_marker: str = ""
) -> Paragraph:
    """Split texts into sentence chunks and pair each with its spoken form."""
    chunks: list[Chunk] = []
    for text in texts:
        start = len(chunks)
        for sentence in _sentences(" ".join(_strip_symbols(text).split())):
            for piece in _split_long(sentence):
                spoken = speakable(piece)
                if spoken:
                    chunks.append(Chunk(piece, spoken))
        last = chunks[-1] if len(chunks) > start else None
        if last and not last.spoken.endswith((".", "!", "?", ":", ";")):
            # Every text ends with a full stop, which the engines read as a sentence pause.
            chunks[-1] = Chunk(last.written, last.spoken.rstrip(",") + ".")
    if not chunks:
        return Paragraph(kind, ())
    if marker:
        chunks[0] = Chunk(marker + chunks[0].written, spoken_marker + chunks[0].spoken)
    return Paragraph(kind, tuple(chunks))


def _strip_symbols(text: str) -> str:
    """Drop emoji and other pictographs, which are neither read nor useful in a transcript."""
    return "".join(
        " " if unicodedata.category(c) in _DROPPED_CATEGORIES and c not in _KEPT_SYMBOLS
        else "" if c in _JOINERS else c
        for c in text
    )


def _sentences(text: str) -> list[str]:
    sentences: list[str] = []
    for piece in _SENTENCE_END_RE.split(text):
        if sentences and (_NO_BREAK_AFTER_RE.search(sentences[-1]) or piece[:1].islower()):
            sentences[-1] += " " + piece
        elif piece:
            sentences.append(piece)
    return sentences


def _split_long(sentence: str) -> list[str]:
    """Cut a long sentence into caption-sized pieces, preferring punctuation, never inside a
    number with its unit."""
    pieces: list[str] = []
    while len(sentence) > MAX_CHUNK_CHARS:
        cut = _best_cut(sentence)
        if cut is None:
            break
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        pieces.append(sentence)
    return pieces


def _best_cut(sentence: str) -> int | None:
    spaces = [
        i for i, c in enumerate(sentence)
        if c == " " and 0 < i < len(sentence) - 1
        and not sentence[i - 1].isdigit() and not sentence[i + 1].isdigit()
        and sentence[i + 1] not in "€%:;!?»"
    ]
    if not spaces:
        return None
    within = [i for i in spaces if i <= MAX_CHUNK_CHARS] or spaces[:1]
    after_punctuation = [
        i for i in within if sentence[i - 1] in ",;:" and i >= MAX_CHUNK_CHARS // 3
    ]
    return (after_punctuation or within)[-1]
