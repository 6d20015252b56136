"""Reports rendered for people: HTML (a printable page), TEXT (an aligned table) and CSV
(a spreadsheet). JSON is the structured report itself (GraphQL, or `as_json` over HTTP)."""

import enum

from bookwell.services.reports.figures import Report
from bookwell.services.reports.render.csv import render_csv
from bookwell.services.reports.render.html import render_html
from bookwell.services.reports.render.text import render_text


class ReportFormat(enum.StrEnum):
    JSON = "JSON"
    HTML = "HTML"
    TEXT = "TEXT"
    CSV = "CSV"


def render(report: Report, format: ReportFormat) -> str | None:
    """The report as text in `format`; None for JSON, which is the structure itself."""
    if format is ReportFormat.HTML:
        return render_html(report)
    if format is ReportFormat.TEXT:
        return render_text(report)
    if format is ReportFormat.CSV:
        return render_csv(report)
    return None
