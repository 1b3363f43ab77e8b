"""Text clean-up shared by the XML builders: XML-safe characters and Apple's size limits."""

import re

import nh3

# Characters XML 1.0 cannot carry at all, even escaped; one of them makes lxml refuse the
# document and strict parsers (AntennaPod, gPodder) reject the whole feed.
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ELLIPSIS = "…"


def xml_safe(text: str) -> str:
    """Drop characters XML cannot carry and surrounding whitespace (Apple rejects both)."""
    return _XML_INVALID.sub("", text).strip()


def truncate_text(text: str, max_chars: int) -> str:
    """Return one line of XML-safe text of at most max_chars characters, with "…" if cut."""
    # Titles and names are single-line values: clients collapse whitespace anyway.
    text = " ".join(xml_safe(text).split())
    if len(text) <= max_chars:
        return text
    return text[: max_chars - 1].rstrip() + ELLIPSIS


def truncate_html(html: str, max_bytes: int) -> str:
    """Return XML-safe HTML of at most max_bytes UTF-8 bytes, still balanced if it was cut."""
    html = xml_safe(html)
    if len(html.encode()) <= max_bytes:
        return html
    cut = html.encode()[: max_bytes - len(ELLIPSIS.encode())].decode("utf-8", "ignore")
    while cut:
        # Never end inside a tag or an entity: nh3 would drop or mangle the fragment.
        if cut.rfind("<") > cut.rfind(">"):
            cut = cut[: cut.rfind("<")]
        amp = cut.rfind("&")
        if amp > cut.rfind(";") and len(cut) - amp <= 10:
            cut = cut[:amp]
        # nh3 closes the elements the cut left open; closing tags cost bytes, so shrink until
        # the repaired fragment fits.
        repaired = nh3.clean(cut.rstrip() + ELLIPSIS, link_rel=None)
        overshoot = len(repaired.encode()) - max_bytes
        if overshoot <= 0:
            return repaired
        cut = cut.encode()[: -(overshoot + 8)].decode("utf-8", "ignore")
    return ELLIPSIS
