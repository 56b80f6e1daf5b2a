"""Piccolo's entry point: the database engine and the apps whose tables it manages."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from domain.core.settings import get_settings

DB = PostgresEngine(config={"dsn": get_settings().database_url})

APP_REGISTRY = AppRegistry(apps=["domain.piccolo_app"])
