"""Product descriptions: a small, safe subset of HTML.

What an administrator writes (or an API client sends) is cleaned with nh3 before it is
stored, and again before it is shown, so a row written any other way is safe too. Kept:
paragraphs, line breaks, strong and em, lists, h3 and h4 headings, simple tables and links
to http, https or mailto addresses (opened with rel="noopener"). Everything else goes:
scripts and styles with their content, other tags (their text stays), every other
attribute (on* handlers, style, class) and links of any other kind (javascript:, data:,
relative).
"""

import nh3
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
# Removed with everything inside them, not only the tags.
REMOVED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript"})
LINK_SCHEMES = ("http://", "https://", "mailto:")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Only absolute http(s) and mailto links; nh3 has decoded entities in `value`. The
    other attributes reaching here are the allowed ones (and the rel nh3 adds)."""
    if tag == "a" and attribute == "href":
        return value if value.strip().lower().startswith(LINK_SCHEMES) else None
    return value


_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(REMOVED_WITH_CONTENT),
    attributes={"*": set(), "a": {"href"}},
    attribute_filter=_keep_attribute,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener",
    strip_comments=True,
)


def sanitize_description(html: str | None) -> str:
    """The description as it is stored: only the allowed tags, attributes and links."""
    return _cleaner.clean(html or "").strip()


def description_html(text: str | None) -> SafeString:
    """The description ready for a page: sanitised HTML, or plain text with its line
    breaks kept as paragraphs (a description typed without any tag)."""
    text = text or ""
    if "<" not in text:
        return mark_safe(linebreaks(escape(text)))  # noqa: S308  (escaped above)
    return mark_safe(sanitize_description(text))  # noqa: S308  (sanitised above)
