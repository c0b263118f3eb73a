"""Rendering of user-written text (product descriptions, review bodies)."""
import hashlib
import re

from django.core.cache import cache
from django.utils.html import escape, linebreaks, urlize
from django.utils.safestring import mark_safe

_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<!\*)\*(?!\*)(.+?)(?<!\*)\*(?!\*)")


def _render(text):
    html = escape(text)
    html = _STRONG.sub(r"<strong>\1</strong>", html)
    html = _EM.sub(r"<em>\1</em>", html)
    return linebreaks(urlize(html, nofollow=True, autoescape=False))


def render_markdown(text):
    """Render the small markdown subset we allow; the output depends on the text alone."""
    key = "md:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    html = cache.get(key)
    if html is None:
        html = _render(text)
        cache.set(key, html, 60 * 60 * 24 * 7)
    return mark_safe(html)
