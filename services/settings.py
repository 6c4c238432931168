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
    # --- projections (issue 5) ----------------------------------------------------------------
    projection_batch_size: int = Field(
        default=500, ge=1, description="Events applied per projection transaction"
    )
    sla_victim_details_days: int = Field(
        default=2, ge=0, description="Victims' Code: days from crime report to details passed"
    )
    sla_victim_update_days: int = Field(
        default=28, ge=1, description="Longest a victim may go without an update on an open case"
    )
    sla_prison_access_days: int = Field(
        default=14, ge=1, description="Longest a prison access request may stay undecided"
    )
