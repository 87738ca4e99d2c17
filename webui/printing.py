"""Printed forms (engine.paperwork pages) in the browser and as PDF downloads.

A paperwork page is a complete HTML document carrying its own <style> (page size A5/A4); it is
served as is, with a toolbar (print, PDF, back) added after <body>, and a CSP that allows exactly
that style by its SHA-256 hash — no 'unsafe-inline'.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Response, render_template

from engine import paperwork
from webui.security import CSP

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def csp_for(html: str) -> str:
    """The app's CSP with the page's own <style> blocks allowed by hash."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode() + "'"
                      for m in _STYLE.finditer(html))
    return CSP.replace("style-src 'self'", f"style-src 'self' {hashes}" if hashes else "style-src 'self'")


def printable(html: str, *, pdf_url: str, back_url: str, **toolbar: object) -> Response:
    """The form page with the toolbar (no-print) and its hash-based CSP."""
    bar = render_template("print/_toolbar.html", pdf_url=pdf_url, back_url=back_url, **toolbar)
    head = render_template("print/_head.html")
    page = html.replace("</head>", head + "</head>", 1).replace("<body>", "<body>\n" + bar, 1)
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = csp_for(html)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def pdf(html: str, filename: str) -> Response:
    """The form as a PDF attachment."""
    name = _UNSAFE_NAME.sub("_", filename).strip("_") or "form"
    response = Response(paperwork.render_pdf(html), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
