"""``{% load djcache %}``

    {% tagged_cache 500 "sidebar" depends_on="shop.Product shop.Category" %}...{% endtagged_cache %}
    {% tagged_cache "auto" "sidebar" request.user.pk depends_on="auto" %}...{% endtagged_cache %}

Arguments: timeout (number, "auto" or a variable), fragment name, then optional vary-on
values, then keyword options ``depends_on="app.Model app.Other"`` (space-separated labels,
or "auto") and ``using="db alias"``.
"""
import hashlib

from django import template
from django.template.base import token_kwargs

from ..core import Tagged

register = template.Library()


class TaggedCacheNode(template.Node):
    def __init__(self, nodelist, timeout, name, vary_on, options):
        self.nodelist = nodelist
        self.timeout = timeout
        self.name = name
        self.vary_on = vary_on
        self.options = options

    def render(self, context):
        timeout = self.timeout.resolve(context)
        if timeout not in ("auto", None):
            try:
                timeout = int(timeout)
            except (TypeError, ValueError) as exc:
                raise template.TemplateSyntaxError(
                    f"tagged_cache timeout {timeout!r} is not a number or 'auto'") from exc
        depends = (str(self.options["depends_on"].resolve(context))
                   if "depends_on" in self.options else "")
        using = self.options["using"].resolve(context) if "using" in self.options else None
        deps = depends.split()
        vary = [str(v.resolve(context)) for v in self.vary_on]
        key = f"tpl:{self.name}:{hashlib.md5('|'.join(vary).encode()).hexdigest()}"
        handle = Tagged(*deps, using=using)
        return handle.get_or_set(key, lambda: self.nodelist.render(context), timeout,
                                 family=f"tpl:{self.name}")


@register.tag("tagged_cache")
def do_tagged_cache(parser, token):
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError(
            "'tagged_cache' takes at least a timeout and a fragment name")
    nodelist = parser.parse(("endtagged_cache",))
    parser.delete_first_token()
    rest = bits[3:]
    positional = [b for b in rest if "=" not in b]
    kw_bits = [b for b in rest if "=" in b]
    options = token_kwargs(kw_bits, parser) if kw_bits else {}
    if kw_bits and len(options) != len(kw_bits):
        raise template.TemplateSyntaxError("bad keyword argument in 'tagged_cache'")
    unknown = set(options) - {"depends_on", "using"}
    if unknown:
        raise template.TemplateSyntaxError(f"unknown 'tagged_cache' options: {sorted(unknown)}")
    name = bits[2]
    if name[:1] in "'\"" and name[-1:] == name[:1]:
        name = name[1:-1]
    return TaggedCacheNode(nodelist, parser.compile_filter(bits[1]), name,
                           [parser.compile_filter(b) for b in positional], options)
