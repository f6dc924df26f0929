"""reports/index.html: what a student controls (their id, a reason quoting their file
name, a finding quoting their code) reaches the instructor's page as text only."""

from __future__ import annotations

import re

from autograde.report import render_html

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<a href='javascript:alert(3)'>x</a>",
    "</td></tr></table><iframe src=//evil></iframe>",
    "<svg onload=alert(4)>",
]


def _report(text: str) -> dict:
    student = {"student": "s-" + text, "score": 1.0, "max_score": 2.0, "status": "graded",
               "reason": "reason " + text, "seconds": 1.5,
               "findings": [{"check": "ast-scan", "notebook": "neurons",
                             "message": "found " + text}],
               "cells": {"c1": 1.0}}
    return {"assignment": "a1-neurons", "max_score": 2.0, "students": [student],
            "cells": {"c1": 1.0}}


def test_the_report_page_carries_a_students_markup_as_text_only():
    page = render_html([_report(t) for t in HOSTILE])
    body = page[page.index("</head>"):]
    tags = re.findall(r"<[^>]*>", body.lower())
    for tag in tags:
        assert not re.match(r"<(script|iframe|svg|object|embed)\b", tag), tag
        assert not re.search(r"\son\w+\s*=", tag), f"an event attribute reached the page: {tag}"
        assert "javascript:" not in tag, tag
    # the text itself is still there, for the instructor to read
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "found &lt;img src=x onerror=alert(2)&gt;" in body
    # the report's own page survives the sanitiser: its CSS, anchors, tables and plots
    assert "<style>" in page[:page.index("</head>")]
    assert re.search(r"<a href=\"#a1-neurons\">a1-neurons</a>", body)
    assert body.count("<img") == 3 and body.count("data:image/png;base64,") == 3
    assert "<td class=\"graded\">graded</td>" in body


def test_a_report_with_no_assignment_is_still_a_page():
    page = render_html([])
    assert page.startswith("<!doctype html>") and "Grading report" in page
