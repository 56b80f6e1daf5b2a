"""The front page: a welcome for visitors, the member's start page once logged in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template


class HomeController(Controller):
    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        return Template("home.html")
