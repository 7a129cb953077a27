"""Template text that reads the same on every page, made once per language.

Most of a page's chrome is fixed: text, ``{% translate "…" %}`` of a literal, ``{% url 'name' %}``
without arguments, ``{% static '…' %}``. Rendering each as a node costs little, but a list page
has about 150 of them (99 translations, 32 URLs reversed, 18 static paths) and they made 1–2 ms
of every page. :class:`Loader` (Django's cached loader) replaces each unbroken run of such nodes,
once per compiled template, by a :class:`ConstantRun` that renders the run the first time and
then returns the same text for the same language, script prefix, URL configuration, application
namespace and autoescaping: everything those nodes' output can depend on.

Nodes are never changed in place: each folded node list is a new list put where the old one was,
so a page rendering the template in another thread at that moment reads one list or the other,
both complete.
"""

from __future__ import annotations

from typing import Any

from django.template import Context, Node, NodeList, Template
from django.template.base import FilterExpression, TextNode, Variable
from django.template.defaulttags import CommentNode, IfNode, LoadNode, URLNode
from django.template.loaders import cached
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language


def _literal(expression: FilterExpression | None) -> bool:
    """A filter expression that is a quoted string with no filters."""
    if expression is None:
        return True
    if expression.filters:
        return False
    var = expression.var
    if isinstance(var, Variable):
        return var.literal is not None and not var.lookups
    return not expression.is_var and isinstance(var, str)  # type: ignore[attr-defined]


def constant(node: Node) -> bool:
    """``node`` renders the same text whatever the context holds (see the module)."""
    if isinstance(node, TextNode | LoadNode | CommentNode):
        return True
    if isinstance(node, TranslateNode):
        return (
            node.asvar is None
            and _literal(node.filter_expression)
            and _literal(node.message_context)
        )
    if isinstance(node, URLNode):
        return node.asvar is None and not node.args and not node.kwargs and _literal(node.view_name)
    if isinstance(node, StaticNode):
        return node.varname is None and _literal(node.path)
    return False


#: where a rendering context keeps what its request fixes for :meth:`ConstantRun.key`
_FIXED = "_constant_run_key"


class ConstantRun(Node):
    """Consecutive constant nodes, rendered once per :meth:`key`."""

    child_nodelists = ()

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.token = nodes[0].token
        self.origin = nodes[0].origin
        self.made: dict[tuple[Any, ...], str] = {}

    @staticmethod
    def key(context: Context) -> tuple[Any, ...]:
        # What a request fixes is read once per rendering context; the language and the
        # autoescaping may change inside a template ({% language %}, {% autoescape %}).
        fixed = context.__dict__.get(_FIXED)
        if fixed is None:
            request = getattr(context, "request", None)
            match = getattr(request, "resolver_match", None)
            current_app = getattr(request, "current_app", getattr(match, "namespace", None))
            fixed = (get_script_prefix(), get_urlconf(), current_app)
            context.__dict__[_FIXED] = fixed
        return (get_language(), context.autoescape, fixed)

    def render(self, context: Context) -> str:
        key = self.key(context)
        text = self.made.get(key)
        if text is None:
            text = "".join(str(node.render_annotated(context)) for node in self.nodes)
            self.made[key] = text
        return text

    def __repr__(self) -> str:
        return f"<{self.__class__.__qualname__}: {len(self.nodes)} nodes>"


def folded(nodelist: NodeList) -> NodeList:
    """A new node list with ``nodelist``'s runs of constant nodes (two or more, or one that
    is not plain text) made :class:`ConstantRun`; nested lists folded likewise."""
    result = NodeList()
    run: list[Node] = []

    def close_run() -> None:
        if len(run) > 1 or (run and not isinstance(run[0], TextNode)):
            result.append(ConstantRun(list(run)))
        else:
            result.extend(run)
        run.clear()

    for node in nodelist:
        if constant(node):
            run.append(node)
            continue
        close_run()
        fold_inside(node)
        result.append(node)
    close_run()
    result.contains_nontext = any(not isinstance(node, TextNode) for node in result)
    return result


def fold_inside(node: Node) -> None:
    """Fold the node lists ``node`` holds (a block's, a loop's, each branch of an ``if``)."""
    if isinstance(node, IfNode):
        node.conditions_nodelists = [
            (condition, folded(nodelist)) for condition, nodelist in node.conditions_nodelists
        ]
        return
    for attr in node.child_nodelists:
        inner = getattr(node, attr, None)
        if isinstance(inner, NodeList):
            setattr(node, attr, folded(inner))


class Loader(cached.Loader):
    """Django's cached template loader, folding each template's constants once it is compiled."""

    def get_template(self, template_name: str, skip: list[Any] | None = None) -> Template:
        template = super().get_template(template_name, skip)
        if not getattr(template, "constants_folded", False):
            template.nodelist = folded(template.nodelist)
            template.constants_folded = True  # type: ignore[attr-defined]
        return template
