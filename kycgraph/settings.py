"""Settings read from the environment (``KYCGRAPH_*`` and ``NEO4J_*``) and a ``.env`` file.

Unknown ``KYCGRAPH_*`` keys in a ``.env`` file are rejected, and the
development Neo4j password is refused outside development.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_NEO4J_PASSWORD = "kycgraph-dev"

# Placeholder phone numbers seen on many unrelated records. Compared after
# normalisation to digits; a number made of one repeated digit is always a
# placeholder as well.
DEFAULT_PHONE_DENYLIST: tuple[str, ...] = (
    "00000000000",
    "11111111111",
    "13800138000",
    "13888888888",
    "12345678901",
    "4008888888",
)

StoreName = Literal["networkx", "neo4j"]
Language = Literal["zh", "en"]


class Settings(BaseSettings):
    """Run-time configuration with typed defaults."""

    model_config = SettingsConfigDict(
        env_prefix="KYCGRAPH_",
        env_file=".env",
        extra="forbid",
        populate_by_name=True,
    )

    environment: Literal["development", "production"] = "development"
    lang: Language = "zh"
    store: StoreName = "networkx"

    neo4j_uri: str = Field(
        "bolt://127.0.0.1:7687", validation_alias=AliasChoices("NEO4J_URI", "KYCGRAPH_NEO4J_URI")
    )
    neo4j_user: str = Field("neo4j", validation_alias=AliasChoices("NEO4J_USER", "KYCGRAPH_NEO4J_USER"))
    neo4j_password: str = Field(
        DEV_NEO4J_PASSWORD,
        validation_alias=AliasChoices("NEO4J_PASSWORD", "KYCGRAPH_NEO4J_PASSWORD"),
    )
    neo4j_database: str = Field(
        "neo4j", validation_alias=AliasChoices("NEO4J_DATABASE", "KYCGRAPH_NEO4J_DATABASE")
    )
    # Rows per UNWIND batch sent to Neo4j.
    neo4j_batch_size: int = Field(5000, ge=1, le=100_000)

    # Region used to read phone numbers written without a country code (ISO 3166 alpha-2).
    default_region: str = "CN"
    # Identifier kinds that join customers into shared-contact clusters.
    link_kinds: tuple[str, ...] = ("phone", "bank_account")
    # An identifier carried by more than this many different customers is a hub value.
    hub_threshold: int = Field(20, ge=2)
    phone_denylist: tuple[str, ...] = DEFAULT_PHONE_DENYLIST

    # Cooling-off period in calendar days from the day the customer signed for the policy.
    cooling_off_days: int = Field(15, ge=15)
    # Optional holiday file (CSV: date,kind with kind holiday or workday) for years
    # that the chinesecalendar package does not know yet.
    holiday_file: str | None = None

    # HTTP API (``kycgraph serve``). The state directory holds state.db: API
    # keys, the audit log and the results registry.
    state_dir: Path = Path(".kycgraph")
    # Items per page of a list route when the request gives no limit, and the largest limit accepted.
    api_page_size: int = Field(100, ge=1, le=1000)
    api_max_page_size: int = Field(1000, ge=1, le=10_000)
    # Largest request body accepted, in bytes; larger bodies get 413.
    api_max_body_bytes: int = Field(65_536, ge=1024)
    # Seconds the Neo4j driver retries a read for an API request before the request gets 503.
    api_neo4j_retry_seconds: float = Field(2.0, ge=0)

    @model_validator(mode="after")
    def _reject_default_secret(self) -> Settings:
        if self.environment != "development" and self.neo4j_password == DEV_NEO4J_PASSWORD:
            raise ValueError(
                "NEO4J_PASSWORD is the development default; set a real password "
                "outside development (KYCGRAPH_ENVIRONMENT=production)."
            )
        return self
