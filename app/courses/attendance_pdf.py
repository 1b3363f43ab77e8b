"""The attendance sheet ("feuille d'émargement") as a PDF, with fpdf2."""

from datetime import datetime

from fpdf import FPDF
from fpdf.fonts import FontFace

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _font(pdf: FPDF) -> str:
    """Use DejaVu (full Unicode) when installed, else the core font (Latin-1 only)."""
    from pathlib import Path

    if Path(DEJAVU).exists() and Path(DEJAVU_BOLD).exists():
        pdf.add_font("DejaVu", "", DEJAVU)
        pdf.add_font("DejaVu", "B", DEJAVU_BOLD)
        return "DejaVu"
    return "helvetica"


def build_attendance_pdf(title: str, header: list[str], rows: list[list[str]]) -> bytes:
    """Render a landscape A4 table: one line per learner, one column per session, plus signature."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(f"Feuille d'émargement – {title}")
    pdf.set_creator("La Boîte à outils des circuits courts")
    font = _font(pdf)
    pdf.add_page()
    pdf.set_font(font, "B", 14)
    pdf.multi_cell(0, 8, f"Feuille d'émargement – {title}")
    pdf.set_font(font, "", 9)
    pdf.cell(0, 6, f"Éditée le {datetime.now():%d/%m/%Y %H:%M}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    columns = [*header, "Signature"]
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
