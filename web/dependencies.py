"""Application-wide objects handed to handlers by Litestar's dependency injection."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import State
from litestar.di import Provide

# Built once in the app's lifespan (or at construction, for settings) and kept on app.state.
SHARED_OBJECTS = ("settings", "redis", "queue", "rate_limiter")


def _from_state(name: str) -> Provide:
    def provide(state: State) -> Any:
        return state[name]

    return Provide(provide, sync_to_thread=False)


def shared_dependencies() -> dict[str, Provide]:
    return {name: _from_state(name) for name in SHARED_OBJECTS}
