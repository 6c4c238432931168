"""All configuration in one pydantic-settings model, read from ``RJB_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RJB_", env_file=".env", extra="ignore")

    store: Literal["sqlite", "postgres"] = Field(
        default="sqlite", description="Event store: embedded SQLite or PostgreSQL"
    )
    sqlite_path: Path = Field(default=Path("var/rjb.sqlite3"), description="SQLite file")
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_dbname: str = "rjb"
    postgres_user: str = "postgres"
    postgres_password: SecretStr = SecretStr("")
    postgres_schema: str = Field(default="", description="Schema for the tables (default: public)")
    postgres_pool_size: int = 5
    command_retries: int = Field(
        default=8, ge=1, description="Attempts when a concurrent writer moved the aggregate on"
    )

    # --- auditors and privacy (issue 6) ---
    audit_user: str = Field(
        default="", description="Who is reading, for the audit read log (or `--as USER`)"
    )
    encrypt_personal: bool = Field(
        default=True, description="Encrypt personal fields with a key per person (erasable)"
    )
