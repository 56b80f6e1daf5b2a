"""The smallest pieces of markup, drawn in Python rather than as Jinja macros: a feed page
draws an icon, an avatar and a timestamp for every post (over a hundred pieces a page), and a
Jinja macro call costs several times what a function does. Templates call these as globals
(web/templating.py); each returns Markup, its variable parts escaped.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Final

from markupsafe import Markup, escape

from domain.core.visibility import LABELS, Visibility
from domain.media import shown as shown_image
from web.avatars import avatar_hue, initials
from web.static_assets import static_url
from web.times import absolute_time, relative_time

# The avatar sizes the stylesheet draws (static/css/people.css), in CSS pixels.
AVATAR_PIXELS: Final = {"sm": 32, "md": 48, "lg": 96}


@cache
def icon(name: str) -> Markup:
    """One icon from the sprite (static/icons/sprite.svg), 20 px. Decorative: the control it
    sits in carries the name, as visible text or a visually hidden label beside it."""
    name, sprite = escape(name), escape(static_url("icons/sprite.svg"))
    return Markup(
        f'<svg class="icon icon--{name}" aria-hidden="true" focusable="false" width="20"'
        f' height="20"><use href="{sprite}#{name}"></use></svg>'
    )


def avatar(username: str, display_name: str, image: str | None, size: str = "md") -> Markup:
    """A person's picture (`image`: the stored avatar's name, or None), or a placeholder with
    their initials on a colour of their own. `size` is "sm", "md" or "lg" (AVATAR_PIXELS).
    Decorative: the name always sits beside it. KeyError for another size."""
    pixels = AVATAR_PIXELS[size]
    shown = shown_image(image, "avatar") if image else None
    if shown is not None:
        lazy = "" if size == "lg" else ' loading="lazy"'
        return Markup(
            f'<img class="avatar avatar--{size}" src="{escape(shown.url)}" alt=""'
            f' width="{pixels}" height="{pixels}"{lazy} decoding="async">'
        )
    letters = escape(initials(display_name, username))
    return Markup(
        f'<span class="avatar avatar--{size} avatar--placeholder'
        f' avatar--hue-{avatar_hue(username)}" aria-hidden="true">{letters}</span>'
    )


def timestamp(moment: datetime) -> Markup:
    """When something was posted: the short relative time ("5m", "3h", "2d", then a date)
    shown, the full time in the title (hover) and in text for screen readers. Drawn per
    request, never inside a cached post body (it would go stale there); agora.js refreshes
    both every minute in the reader's own time zone and language."""
    full, short = escape(absolute_time(moment)), escape(relative_time(moment))
    return Markup(
        f'<time datetime="{moment.isoformat()}" title="{full}" data-relative>'
        f'<span class="time-short" aria-hidden="true">{short}</span>'
        f'<span class="visually-hidden time-full">{full}</span></time>'
    )


@cache
def visibility_badge(visibility: Visibility) -> Markup:
    """Who may see a post (domain.core.visibility): its icon and its name."""
    return Markup(
        f'<span class="visibility-badge">{icon(visibility)}'
        f'<span class="visually-hidden">Visibility: </span>{escape(LABELS[visibility])}</span>'
    )
