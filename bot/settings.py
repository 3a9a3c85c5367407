"""Settings from the environment and `.env` (pydantic-settings).

Flat, conventional variable names (SLACK_BOT_TOKEN, OPENAI_API_KEY, DATABASE_URL, ...) are what
operators expect; they are grouped here into nested models for the code's sake.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.delivery.pacing import TIER_PER_MINUTE, PacingLimits
from bot.secret_shapes import app_token_problem, bot_token_problem, signing_secret_problem
from bot.working_hours import WorkingHours

# What production checks each Slack credential with (bot.secret_shapes); None means optional.
SLACK_CREDENTIALS = (
    ("SLACK_BOT_TOKEN", "slack_bot_token", bot_token_problem, True),
    ("SLACK_SIGNING_SECRET", "slack_signing_secret", signing_secret_problem, True),
    ("SLACK_APP_TOKEN", "slack_app_token", app_token_problem, False),
)


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None  # xapp-...: Socket Mode when set
    api_url: str | None = None  # base URL for every Web API client (tests: a local stand-in)
    sales_channel: str | None = None  # where expansion hand-offs point CSMs to


class LLMSettings(BaseModel):
    api_key: SecretStr | None = None
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    timeout_seconds: float = 30.0
    max_retries: int = 2
    max_concurrency: int = 4  # LLM calls in flight at once, across the whole process
    breaker_failures: int = 3  # consecutive failed model calls that open the breaker (0: never)
    breaker_cooldown_seconds: float = 600.0  # then templates only, until one trial call
    input_price_per_mtok: float | None = None  # USD per million prompt tokens (default: known list price)
    output_price_per_mtok: float | None = None


class SchedulerSettings(BaseModel):
    enabled: bool = True
    cycle_time_utc: str = "06:00"  # HH:MM (or HH:MM:SS): the daily cycle
    default_digest_time: str = "08:30"  # HH:MM local, for users without their own
    outbox_interval_seconds: int = 60
    delivery_sweep_seconds: int = 60  # how often owed Slack messages (and stale claims) are swept


class DeliverySettings(BaseModel):
    """How Slack messages Tandem owes are retried: exponential backoff, then failed visibly."""

    max_attempts: int = 10  # 30 s, 1 min, 2, 4, … capped at an hour: about 3.5 hours in all
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    stale_claim_seconds: float = 120.0  # a post claimed longer ago than this was interrupted
    post_workers: int = 8  # threads posting to Slack at once (only they wait on Slack; one writes)
    batch_size: int = 200  # rows claimed, posted and settled together (one transaction each way)
    batch_per_channel: int = 3  # a recipient's rows in one batch: ~3 s of posting at 1 a second


class HttpSettings(BaseModel):
    """HTTP mode's server (waitress): how much it takes on, and for how long."""

    threads: int = 8  # requests handled at once; the rest wait their turn in a queue
    connection_limit: int = 500  # open connections; beyond it new ones wait in the listen backlog
    backlog: int = 2048  # connections the kernel queues for accept (capped by net.core.somaxconn)
    timeout_seconds: float = 75.0  # a connection silent this long is closed (mid-request or idle)
    max_body_bytes: int = 1_000_000  # Slack's payloads are a few kB; larger bodies get 413 unread
    shutdown_grace_seconds: float = 20.0  # on SIGTERM, how long requests in flight may take to finish
    health_timeout_seconds: float = 2.0  # /healthz's query may run this long before the answer is 503


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting is named, but no value (a token, a password in
    # DATABASE_URL or SMTP_URL) is ever echoed into a log or a terminal.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", env_nested_delimiter="__", hide_input_in_errors=True
    )

    environment: str = Field(default="development", alias="TANDEM_ENV")
    database_url: str = Field(default="sqlite:///tandem.db", alias="DATABASE_URL")
    port: int = Field(default=3000, alias="PORT")
    http_threads: int = Field(default=8, ge=1, le=256, alias="TANDEM_HTTP_THREADS")
    # Bolt runs every listener, ack included, on one pool (5 threads unless told): a click's ack
    # waits for a free thread while earlier clicks do their work after their ack. Sized so a
    # burst of clicks is acked at once; their work then shares the database pool.
    listener_threads: int = Field(default=32, ge=1, le=512, alias="TANDEM_LISTENER_THREADS")
    # Approve and Take over: a click is stored, acked, then decided on one of these few threads
    # (bot.workflows.click_inbox). Few, so a burst of decisions leaves the CPU and the database
    # pool to the acks behind them. The ack may wait for its decision up to `click_ack_wait_ms`
    # (0: not at all; the tests wait, to read a decision as soon as a click is answered).
    decision_workers: int = Field(default=4, ge=1, le=64, alias="TANDEM_DECISION_WORKERS")
    click_ack_wait_ms: int = Field(default=0, ge=0, le=2500, alias="TANDEM_CLICK_ACK_WAIT_MS")
    # A stored click still undecided this long was left by a listener that is gone (its replica
    # died): the delivery sweep, on any replica, decides it.
    click_stale_seconds: int = Field(default=30, ge=1, alias="TANDEM_CLICK_STALE_SECONDS")
    http_connection_limit: int = Field(default=500, ge=1, alias="TANDEM_HTTP_CONNECTION_LIMIT")
    http_backlog: int = Field(default=2048, ge=1, alias="TANDEM_HTTP_BACKLOG")
    http_timeout_seconds: float = Field(default=75.0, gt=0, alias="TANDEM_HTTP_TIMEOUT_SECONDS")
    http_max_body_bytes: int = Field(default=1_000_000, ge=1024, alias="TANDEM_HTTP_MAX_BODY_BYTES")
    http_shutdown_grace_seconds: float = Field(default=20.0, ge=0, alias="TANDEM_HTTP_SHUTDOWN_SECONDS")
    health_timeout_seconds: float = Field(default=2.0, gt=0, alias="TANDEM_HEALTH_TIMEOUT_SECONDS")
    db_connect_timeout_seconds: int = Field(default=5, ge=1, alias="TANDEM_DB_CONNECT_TIMEOUT_SECONDS")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: Literal["plain", "json"] = Field(
        default="plain", alias="LOG_FORMAT"
    )  # json: one object a line
    # Socket Mode's side port for GET /metrics and /healthz (HTTP mode serves them on PORT).
    metrics_port: int = Field(default=9102, ge=1, le=65535, alias="TANDEM_METRICS_PORT")
    smtp_url: str | None = Field(default=None, alias="SMTP_URL")
    outreach_from: str = Field(default="tandem@localhost", alias="OUTREACH_FROM")

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str | None = Field(default=None, alias="SLACK_API_URL")
    sales_channel: str | None = Field(default=None, alias="TANDEM_SALES_CHANNEL")
    # An escalate card nobody answers climbs here after a day (scoring.config.Attention).
    escalation_channel: str | None = Field(default=None, alias="TANDEM_ESCALATION_CHANNEL")
    currency_symbol: str = Field(default="$", min_length=1, max_length=4, alias="TANDEM_CURRENCY_SYMBOL")
    # Slack Connect channels: a message's text is kept this many days, then only its signals
    # (a channel's own retention_days overrides it; bot.conversations.retention purges daily).
    conversation_retention_days: int = Field(
        default=90, ge=1, le=3650, alias="TANDEM_CONVERSATION_RETENTION_DAYS"
    )

    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    openai_model: str = Field(default="gpt-4o-mini", alias="OPENAI_MODEL")
    openai_timeout_seconds: float = Field(default=30.0, alias="OPENAI_TIMEOUT_SECONDS")
    openai_max_retries: int = Field(default=2, ge=0, le=10, alias="OPENAI_MAX_RETRIES")
    openai_max_concurrency: int = Field(default=4, ge=1, le=64, alias="OPENAI_MAX_CONCURRENCY")
    openai_breaker_failures: int = Field(default=3, ge=0, le=1000, alias="OPENAI_BREAKER_FAILURES")
    openai_breaker_cooldown_seconds: float = Field(
        default=600.0, ge=0, alias="OPENAI_BREAKER_COOLDOWN_SECONDS"
    )
    openai_price_input_per_mtok: float | None = Field(default=None, ge=0, alias="OPENAI_PRICE_INPUT_PER_MTOK")
    openai_price_output_per_mtok: float | None = Field(
        default=None, ge=0, alias="OPENAI_PRICE_OUTPUT_PER_MTOK"
    )
    # Customer messages from linked Slack Connect channels reach the LLM (the topic classifier)
    # only when this is true; within a daily token budget. Off: keyword topics only.
    llm_reads_conversations: bool = Field(default=False, alias="TANDEM_LLM_READS_CONVERSATIONS")
    conversation_llm_daily_tokens: int = Field(
        default=200_000, ge=0, alias="TANDEM_CONVERSATION_LLM_DAILY_TOKENS"
    )

    scheduler_enabled: bool = Field(default=True, alias="TANDEM_SCHEDULER")
    cycle_time_utc: str = Field(default="06:00", alias="TANDEM_CYCLE_TIME_UTC")
    default_digest_time: str = Field(default="08:30", alias="TANDEM_DIGEST_TIME")
    outbox_interval_seconds: int = Field(default=60, alias="TANDEM_OUTBOX_INTERVAL_SECONDS")
    delivery_sweep_seconds: int = Field(default=60, ge=1, alias="TANDEM_DELIVERY_SWEEP_SECONDS")
    auto_send_hold_minutes: int = Field(default=120, alias="TANDEM_AUTO_HOLD_MINUTES")
    working_hours: str = Field(default="08:00-18:00", alias="TANDEM_WORKING_HOURS")
    working_days: str = Field(default="mon-fri", alias="TANDEM_WORKING_DAYS")

    outbox_max_attempts: int = Field(default=12, ge=1, le=50, alias="TANDEM_OUTBOX_MAX_ATTEMPTS")
    outbox_retry_base_seconds: float = Field(default=60.0, gt=0, alias="TANDEM_OUTBOX_RETRY_SECONDS")
    outbox_retry_max_seconds: float = Field(default=3600.0, gt=0, alias="TANDEM_OUTBOX_RETRY_MAX_SECONDS")
    outbox_stale_seconds: float = Field(default=600.0, ge=0, alias="TANDEM_OUTBOX_STALE_SECONDS")

    delivery_max_attempts: int = Field(default=10, ge=1, le=50, alias="TANDEM_DELIVERY_MAX_ATTEMPTS")
    delivery_retry_base_seconds: float = Field(default=30.0, gt=0, alias="TANDEM_DELIVERY_RETRY_SECONDS")
    delivery_retry_max_seconds: float = Field(default=3600.0, gt=0, alias="TANDEM_DELIVERY_RETRY_MAX_SECONDS")
    delivery_stale_claim_seconds: float = Field(default=120.0, ge=0, alias="TANDEM_DELIVERY_STALE_SECONDS")
    delivery_post_workers: int = Field(default=8, ge=1, le=64, alias="TANDEM_DELIVERY_WORKERS")
    delivery_batch_size: int = Field(default=200, ge=1, le=5000, alias="TANDEM_DELIVERY_BATCH")
    # Slack's limits the posting pool keeps to (bot.delivery.pacing); raise them only for a
    # stand-in that is not Slack. Interval 0 turns per-channel pacing off.
    slack_channel_interval_seconds: float = Field(
        default=1.0, ge=0, alias="TANDEM_SLACK_CHANNEL_INTERVAL_SECONDS"
    )
    slack_channel_burst: int = Field(default=3, ge=1, alias="TANDEM_SLACK_CHANNEL_BURST")
    slack_posts_per_minute: float | None = Field(default=None, gt=0, alias="TANDEM_SLACK_POSTS_PER_MINUTE")
    slack_tier3_per_minute: float = Field(default=50.0, gt=0, alias="TANDEM_SLACK_TIER3_PER_MINUTE")
    slack_tier4_per_minute: float = Field(default=100.0, gt=0, alias="TANDEM_SLACK_TIER4_PER_MINUTE")

    @model_validator(mode="after")
    def _working_hours_parse(self) -> Settings:
        WorkingHours.parse(self.working_hours, self.working_days)  # a clear error at start-up
        return self

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> Settings:
        """Production starts only with Slack credentials of the shape Slack issues (never echoed)."""
        if self.environment != "production":
            return self
        for variable, attribute, problem_of, required in SLACK_CREDENTIALS:
            value = getattr(self, attribute)
            if value is None or not value.get_secret_value().strip():
                if required:
                    raise ValueError(f"{variable} must be set in production")
                continue
            problem = problem_of(value.get_secret_value())
            if problem is not None:
                raise ValueError(f"{variable} {problem}; refusing to start in production")
        return self

    @property
    def slack(self) -> SlackSettings:
        return SlackSettings(
            bot_token=self.slack_bot_token,
            signing_secret=self.slack_signing_secret,
            app_token=self.slack_app_token,
            api_url=self.slack_api_url,
            sales_channel=self.sales_channel,
        )

    @property
    def llm(self) -> LLMSettings:
        return LLMSettings(
            api_key=self.openai_api_key,
            base_url=self.openai_base_url,
            model=self.openai_model,
            timeout_seconds=self.openai_timeout_seconds,
            max_retries=self.openai_max_retries,
            max_concurrency=self.openai_max_concurrency,
            breaker_failures=self.openai_breaker_failures,
            breaker_cooldown_seconds=self.openai_breaker_cooldown_seconds,
            input_price_per_mtok=self.openai_price_input_per_mtok,
            output_price_per_mtok=self.openai_price_output_per_mtok,
        )

    @property
    def http(self) -> HttpSettings:
        return HttpSettings(
            threads=self.http_threads,
            connection_limit=self.http_connection_limit,
            backlog=self.http_backlog,
            timeout_seconds=self.http_timeout_seconds,
            max_body_bytes=self.http_max_body_bytes,
            shutdown_grace_seconds=self.http_shutdown_grace_seconds,
            health_timeout_seconds=self.health_timeout_seconds,
        )

    @property
    def delivery(self) -> DeliverySettings:
        return DeliverySettings(
            max_attempts=self.delivery_max_attempts,
            retry_base_seconds=self.delivery_retry_base_seconds,
            retry_max_seconds=self.delivery_retry_max_seconds,
            stale_claim_seconds=self.delivery_stale_claim_seconds,
            post_workers=self.delivery_post_workers,
            batch_size=self.delivery_batch_size,
        )

    @property
    def pacing(self) -> PacingLimits:
        return PacingLimits(
            channel_interval_seconds=self.slack_channel_interval_seconds,
            channel_burst=self.slack_channel_burst,
            tier_per_minute={
                **TIER_PER_MINUTE,
                3: self.slack_tier3_per_minute,
                4: self.slack_tier4_per_minute,
            },
            posts_per_minute=self.slack_posts_per_minute,
        )

    @property
    def hours(self) -> WorkingHours:
        return WorkingHours.parse(self.working_hours, self.working_days)

    @property
    def scheduler(self) -> SchedulerSettings:
        return SchedulerSettings(
            enabled=self.scheduler_enabled,
            cycle_time_utc=self.cycle_time_utc,
            default_digest_time=self.default_digest_time,
            outbox_interval_seconds=self.outbox_interval_seconds,
            delivery_sweep_seconds=self.delivery_sweep_seconds,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
