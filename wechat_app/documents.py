"""A4 PDFs with Chinese text (reportlab): the built-in CID font STSong-Light, which every PDF reader
shows without the font being embedded, so no font file ships with the service."""
from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
WIDTH, HEIGHT = A4


def a4(title: str, pagesize: tuple[float, float] = A4) -> tuple[canvas.Canvas, io.BytesIO]:
    """A new document titled `title` (A4 unless another page size is given), and the buffer it is
    saved into."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=pagesize, pageCompression=1)
    page.setTitle(title)
    return page, buffer
