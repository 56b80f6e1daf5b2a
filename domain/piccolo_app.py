"""Registers Agora's tables with Piccolo; migrations live in the top-level `migrations/`."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from domain.api_tables import API_TABLES
from domain.notification_tables import NOTIFICATION_TABLES
from domain.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="agora",
    migrations_folder_path=str(Path(__file__).resolve().parent.parent / "migrations"),
    table_classes=[*ALL_TABLES, *API_TABLES, *NOTIFICATION_TABLES],
    migration_dependencies=[],
    commands=[],
)
