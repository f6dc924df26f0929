"""HTML a student's work can put on a page, made safe to open: one allow-list, bleach's.

Everything a student controls ends up in the feedback HTML (their markdown
answers, the outputs of their cells: ``text/html``, SVG, images, text) and
some of it in the instructor's report. :func:`sanitize` keeps the markup that
notebooks, nbconvert and nbgrader's feedback template use (text, headings,
lists, tables, code, the panels and score boxes by their classes, links to
web pages and to anchors of the page, images as ``data:`` URIs of image
types) and removes everything else: scripts, event attributes, ``style``
elements, ``iframe``/``object``/``embed``, forms, inline SVG and MathML,
``javascript:`` and other URLs. It is `bleach <https://github.com/mozilla/bleach>`_
(html5lib's parser, the sanitiser nbconvert itself uses for
``HTMLExporter.sanitize_html``) with this module's allow-list; nothing here
parses HTML with a regular expression.

:func:`sanitize_page` keeps a page's own ``<head>`` (the caller's template:
nbgrader's CSS, MathJax and its configuration) and sanitises its body.
MathJax still typesets the TeX in the text; nbconvert loads it with its
``Safe`` extension, which refuses ``\\href{javascript:...}`` and friends.
"""

from __future__ import annotations

import re
from functools import lru_cache

import bleach
from bleach.css_sanitizer import CSSSanitizer

TAGS = frozenset({
    "a", "abbr", "acronym", "address", "b", "bdi", "bdo", "blockquote", "br", "caption",
    "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "main", "mark", "ol", "p", "pre", "q", "s", "samp", "section", "small",
    "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
})
#: attributes any allowed tag may have (no event handlers, no ``style`` elements)
COMMON = ("class", "id", "title", "lang", "dir", "style", "tabindex", "align")
ATTRIBUTES = {
    "a": ["href", "name", "rel", "target"],
    "img": ["src", "alt", "width", "height"],
    "td": ["colspan", "rowspan"], "th": ["colspan", "rowspan", "scope"],
    "col": ["span"], "colgroup": ["span"],
    "ol": ["start", "type", "reversed"], "li": ["value"],
    "details": ["open"], "time": ["datetime"],
    "q": ["cite"], "blockquote": ["cite"], "del": ["cite", "datetime"],
    "ins": ["cite", "datetime"],
}
#: what inline ``style`` may set: colours and the look of text and tables
CSS_PROPERTIES = frozenset({
    "background-color", "border-collapse", "color", "font-style", "font-weight",
    "text-align", "text-decoration", "vertical-align", "white-space", "width", "height",
})
PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
#: the only ``data:`` URLs allowed, and only as an image's ``src``
IMAGE_DATA = re.compile(r"data:image/(png|jpeg|jpg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]*",
                        re.IGNORECASE)
_SPACE = re.compile(r"[\x00-\x20\x7f]+")


def _allowed(tag: str, name: str, value: str) -> bool:
    """bleach's attribute filter: the allow-list, and ``data:`` only for images."""
    if name in COMMON or name in ATTRIBUTES.get(tag, ()):
        if name in ("href", "src", "cite"):
            url = _SPACE.sub("", value).lower()
            if url.startswith("data:"):
                return tag == "img" and name == "src" and IMAGE_DATA.fullmatch(value.strip()) \
                    is not None
        if name == "target":
            return value in ("_blank", "_self", "_top")
        return True
    return False


@lru_cache(maxsize=1)
def _cleaner() -> bleach.sanitizer.Cleaner:
    return bleach.sanitizer.Cleaner(
        tags=TAGS, attributes=_allowed, protocols=PROTOCOLS, strip=True, strip_comments=True,
        css_sanitizer=CSSSanitizer(allowed_css_properties=CSS_PROPERTIES))


def sanitize(html: str) -> str:
    """``html`` (a fragment: a page's body, a cell's output, a report's table) made safe."""
    if not html:
        return ""
    return _cleaner().clean(html)


class UnsafePage(ValueError):
    """A page whose head is not the template's own (it cannot be kept as it is)."""


def sanitize_page(page: str, *, scripts: int | None = None) -> str:
    """A whole page: its ``<head>`` kept, its body sanitised.

    The head is everything before the first ``</head>``; it must hold only
    the caller's template (nothing a student wrote), and ``scripts`` says how
    many ``<script`` tags it has (MathJax's two in nbgrader's feedback), as a
    check of that: a head with a ``<body`` or another number of scripts
    raises :class:`UnsafePage` rather than being kept.
    """
    cut = page.find("</head>")
    if cut < 0:
        return "<!DOCTYPE html>\n<html>\n<body>\n" + sanitize(page) + "\n</body>\n</html>\n"
    head, body = page[: cut + len("</head>")], page[cut + len("</head>"):]
    lowered = head.lower()
    if "<body" in lowered or (scripts is not None and lowered.count("<script") != scripts):
        raise UnsafePage("the page's head is not the template's")
    return head + "\n<body>\n" + sanitize(body) + "\n</body>\n</html>\n"
