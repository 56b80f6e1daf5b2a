"""The Jinja environment every page and fragment is rendered with."""

from __future__ import annotations

from pathlib import Path

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from domain.core import visibility
from domain.media import shown as shown_image
from domain.media import upload_limit
from domain.posts import MAX_POST_LENGTH, URL_LENGTH
from web.auth import current_user
from web.components import avatar, icon, timestamp, visibility_badge
from web.flash import take_flash
from web.htmx import is_htmx
from web.static_assets import static_url
from web.submissions import new_submission_token

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def _add_globals(engine: JinjaTemplateEngine) -> None:
    # Templates change only with a deploy (a restart); checking each file's time on every
    # render is a stat() per template per page.
    engine.engine.auto_reload = False
    engine.engine.globals.update(
        static_url=static_url,
        current_user=current_user,
        shown_image=shown_image,
        upload_limit=upload_limit,
        visibility_labels=visibility.LABELS,
        take_flash=take_flash,
        max_post_length=MAX_POST_LENGTH,
        url_length=URL_LENGTH,
        is_htmx=is_htmx,
        submission_token=new_submission_token,
        icon=icon,
        avatar=avatar,
        timestamp=timestamp,
        visibility_badge=visibility_badge,
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=_add_globals
    )
