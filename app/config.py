"""Every setting of the service, read from the environment or a `.env` file.

Each one is documented in `.env.example`; this module is the one place where defaults live.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_AUTH_SECRET = "change-me-in-production"
DEFAULT_MODEL = "standard"


class ConfigurationError(RuntimeError):
    """The service cannot start as configured; the message says what to fix."""


class Plan(BaseModel):
    """Something a person can buy (or ask for); BILLING_PLANS replaces the list."""

    id: str
    name: str
    kind: Literal["subscription", "one_time", "contact"]
    price_cents: int | None = None
    currency: str = "usd"
    interval: Literal["month"] | None = None
    credits: int = 0
    # Queued generations of active subscribers to a plan with priority start first when the model is busy.
    priority: bool = False
    contact_url: str | None = None


class ModelChoice(BaseModel):
    """An image model a person can choose, at its own price; MODELS replaces the list."""

    id: str
    name: str
    description: str
    credits: int
    # The model's id at OpenRouter (the offline provider renders every model alike).
    openrouter_model: str


DEFAULT_PLANS = [
    Plan(id="basic", name="Basic", kind="subscription", price_cents=999, interval="month", credits=100),
    Plan(id="pro", name="Pro", kind="subscription", price_cents=2999, interval="month", credits=300, priority=True),
    Plan(id="pack-50", name="50 credits", kind="one_time", price_cents=599, credits=50),
    Plan(id="enterprise", name="Enterprise", kind="contact", contact_url="mailto:sales@aivenger.example"),
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    app_env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./data/aivenger.db"
    # Connections each process keeps open to PostgreSQL (up to 10 more are opened for a burst, then closed): at least
    # the requests a process serves at once, or each burst pays for new connections. Processes x (size + 10) must
    # stay below the server's max_connections (100 by default).
    database_pool_size: int = Field(default=20, ge=1, le=200)
    auth_secret: SecretStr = SecretStr(DEFAULT_AUTH_SECRET)
    public_url: str = "http://localhost:8000"
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses, or * behind a proxy that always sets it).
    forwarded_allow_ips: str = "127.0.0.1"
    cors_origins: list[str] = Field(default_factory=list)
    # Cookie settings for the SPA's session. A SPA hosted on another site needs SameSite=None and Secure.
    cookie_secure: bool = False
    cookie_samesite: Literal["lax", "strict", "none"] = "lax"
    access_token_lifetime_seconds: int = 60 * 60 * 24 * 7
    # After this many wrong passwords in a row, an account refuses logins until LOGIN_LOCKOUT_SECONDS have passed
    # since the last one (a password reset ends it at once).
    login_max_failures: int = 10
    login_lockout_seconds: int = 15 * 60
    # Per client address, so one stranger can neither farm free credits nor lock out many accounts.
    signup_limit_per_ip_per_hour: int = 5
    login_limit_per_ip_per_hour: int = 30
    # Where people open the SPA, for the links in emails; PUBLIC_URL when the API serves the SPA itself.
    app_url: str | None = None
    smtp_url: SecretStr | None = None
    mail_from: str = "AIVenger <no-reply@localhost>"
    password_reset_token_lifetime_seconds: int = 60 * 60
    account_email_cooldown_seconds: int = 60

    storage_backend: Literal["local", "s3"] = "local"
    storage_dir: Path = Path("./data/media")
    s3_bucket: str = "aivenger"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    media_url_lifetime_seconds: int = 3600

    ai_provider: Literal["local", "openrouter"] | None = None
    openrouter_api_key: SecretStr | None = None
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    openrouter_model: str = "google/gemini-2.5-flash-image"
    openrouter_max_tokens: int = 4096
    openrouter_image_hosts: list[str] = Field(
        default_factory=lambda: ["storage.googleapis.com", "openrouter.ai"],
    )
    generation_deadline_seconds: float = 120.0
    breaker_failure_threshold: int = 5
    breaker_reset_seconds: float = 60.0

    task_broker_url: str | None = None
    model_concurrency: int = 32
    # A claimed generation whose worker has been silent this long is taken to have crashed.
    generation_lease_seconds: int = 30
    generation_max_attempts: int = 3
    # How long queued work may wait for its first claim before it is presumed lost and queued again.
    generation_unclaimed_grace_seconds: int = 60
    recovery_interval_seconds: float = 15.0

    signup_credits: int = 30
    # Grant the free credits when the account confirms its email address, not at sign-up (needs SMTP_URL).
    signup_credits_require_verified: bool = False
    generation_cost: int = 10
    # The models to choose from; empty: one, `standard`, the OPENROUTER_MODEL at GENERATION_COST credits.
    models: list[ModelChoice] = Field(default_factory=list)
    refund_model_failures: bool = False

    max_upload_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    model_image_max_side: int = 2048
    thumbnail_size: int = 320

    rate_limit_per_minute: int = 5

    # Buying credits. `local` is the offline checkout (no money moves), the default without a Polar token.
    payments_provider: Literal["polar", "local"] | None = None
    polar_access_token: SecretStr | None = None
    polar_webhook_secret: SecretStr | None = None
    polar_server: Literal["sandbox", "production"] = "sandbox"
    polar_api_url: str | None = None
    # Plan id -> Polar product id, e.g. {"basic": "8f0c...", "pro": "...", "pack-50": "..."}.
    polar_products: dict[str, str] = Field(default_factory=dict)
    billing_plans: list[Plan] = Field(default_factory=lambda: list(DEFAULT_PLANS))

    frontend_dist: Path = Path("./frontend/dist")

    # GET /metrics (Prometheus) answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, the route is absent (404).
    metrics_token: SecretStr | None = None

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_is_usable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parts = urlsplit(value.get_secret_value())
            if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or smtps://...@host:465")
        return value

    @model_validator(mode="after")
    def _choose_provider(self) -> Settings:
        if self.ai_provider is None:
            self.ai_provider = "openrouter" if self.openrouter_api_key else "local"
        if self.payments_provider is None:
            self.payments_provider = "polar" if self.polar_access_token else "local"
        if not self.models:
            self.models = [ModelChoice(
                id=DEFAULT_MODEL, name="Gemini 2.5 Flash Image",
                description="Google's image model: fast, keeps the face recognisable, strong comic-book colours.",
                credits=self.generation_cost, openrouter_model=self.openrouter_model,
            )]
        return self

    def model(self, model_id: str) -> ModelChoice | None:
        return next((m for m in self.models if m.id == model_id), None)

    @property
    def sends_email(self) -> bool:
        return self.smtp_url is not None

    @property
    def spa_url(self) -> str:
        return (self.app_url or self.public_url).rstrip("/")

    @property
    def provider(self) -> Literal["local", "openrouter"]:
        assert self.ai_provider is not None
        return self.ai_provider

    @property
    def payments(self) -> Literal["polar", "local"]:
        assert self.payments_provider is not None
        return self.payments_provider

    def check_startable(self) -> None:
        """Refuse to run with settings that would be unsafe or cannot work."""
        if self.app_env == "production":
            secret = self.auth_secret.get_secret_value()
            if secret == DEFAULT_AUTH_SECRET or len(secret) < 32:
                raise ConfigurationError(
                    "AUTH_SECRET must be set to a random value of at least 32 characters when "
                    "APP_ENV=production (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
                )
        if self.payments == "local" and self.app_env == "production":
            raise ConfigurationError(
                "PAYMENTS_PROVIDER=local is an offline stand-in where no money moves: set POLAR_ACCESS_TOKEN, "
                "POLAR_WEBHOOK_SECRET and POLAR_PRODUCTS to sell credits with APP_ENV=production."
            )
        if self.payments == "polar":
            sold = {plan.id for plan in self.billing_plans if plan.kind != "contact"}
            missing = [name for name, value in (("POLAR_ACCESS_TOKEN", self.polar_access_token),
                                                ("POLAR_WEBHOOK_SECRET", self.polar_webhook_secret)) if not value]
            missing += [f"POLAR_PRODUCTS[{plan}]" for plan in sorted(sold) if not self.polar_products.get(plan)]
            if missing:
                raise ConfigurationError(f"PAYMENTS_PROVIDER=polar needs {', '.join(missing)}.")
        if self.signup_credits_require_verified and not self.sends_email:
            raise ConfigurationError(
                "SIGNUP_CREDITS_REQUIRE_VERIFIED=true needs SMTP_URL: without email nobody could confirm an address."
            )
        if self.provider == "openrouter" and not self.openrouter_api_key:
            raise ConfigurationError(
                "AI_PROVIDER=openrouter needs OPENROUTER_API_KEY (https://openrouter.ai/settings/keys)."
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
