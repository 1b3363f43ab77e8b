"""The attendance sheet ("feuille d'émargement") as a PDF, with fpdf2.

A pure builder: the caller passes every word in the reader's language (see ``SheetLabels``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class SheetLabels:
    """The sheet's words, already translated."""

    #: Heading and document title ("Feuille d'émargement – <course>").
    heading: str
    #: The line under the heading ("Éditée le 12/03/2027 09:00").
    printed: str
    #: The last column's heading ("Signature").
    signature: str
    #: The PDF's creator field (the site's name).
    creator: str


def _font(pdf: FPDF) -> str:
    """Use DejaVu (full Unicode) when installed, else the core font (Latin-1 only)."""
    if Path(DEJAVU).exists() and Path(DEJAVU_BOLD).exists():
        pdf.add_font("DejaVu", "", DEJAVU)
        pdf.add_font("DejaVu", "B", DEJAVU_BOLD)
        return "DejaVu"
    return "helvetica"


def build_attendance_pdf(labels: SheetLabels, header: list[str], rows: list[list[str]]) -> bytes:
    """Render a landscape A4 table: one line per learner, one column per session, plus signature."""
    # fpdf2 and fontTools weigh 50 MB: loaded on the first sheet, not in every web process.
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(labels.heading)
    pdf.set_creator(labels.creator)
    font = _font(pdf)
    pdf.add_page()
    pdf.set_font(font, "B", 14)
    pdf.multi_cell(0, 8, labels.heading)
    pdf.set_font(font, "", 9)
    pdf.cell(0, 6, labels.printed, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    columns = [*header, labels.signature]
    session_count = len(header) - 2
    widths = [45, 60, *([22] * session_count), 30]
    scale = (pdf.epw) / sum(widths)
    widths = [w * scale for w in widths]
    with pdf.table(
        col_widths=widths,
        headings_style=FontFace(emphasis="BOLD", fill_color=(232, 242, 234)),
        line_height=6,
        text_align="LEFT",
    ) as table:
        head = table.row()
        for label in columns:
            head.cell(label)
        for values in rows:
            line = table.row()
            for value in [*values, ""]:
                line.cell(value)
    return bytes(pdf.output())
