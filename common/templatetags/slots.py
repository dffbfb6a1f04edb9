"""``{% section section %}``: include a page slot's section with its own context (common/slots.py)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def section(context, section):
    """Render ``section.template`` with the page's context plus ``section.context``."""
    included = context.template.engine.get_template(section.template)
    with context.push(**section.context):
        return included.render(context)
