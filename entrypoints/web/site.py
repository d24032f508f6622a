"""What every handler of the web page shares: the configuration, the log, the templates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from lukas.application.context import ContextBuilder
from lukas.domain.context_window import ContextLimits
from lukas.domain.persona import PERSONA_SYSTEM_PROMPT
from lukas.entrypoints.config import LoadedConfig
from lukas.entrypoints.web.auth import Session, SignInThrottle
from lukas.entrypoints.web.team_log import TeamLog

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@attrs.define
class Site:
    loaded: LoadedConfig
    log: TeamLog
    zone: dt.tzinfo
    token: str | None
    throttle: SignInThrottle
    templates: Jinja2Templates = attrs.field(
        factory=lambda: Jinja2Templates(directory=str(TEMPLATES))
    )
    _builder: ContextBuilder | None = None

    def builder(self) -> ContextBuilder:
        """Context windows as `lukas context` builds them; tiktoken loads at the first."""
        if self._builder is None:
            from lukas.entrypoints.store_and_tokens import token_counter

            config = self.loaded.config
            self._builder = ContextBuilder.counted_by(
                PERSONA_SYSTEM_PROMPT,
                token_counter(config),
                ContextLimits(max_pairs=config.history_pairs, max_tokens=config.context_tokens),
            )
        return self._builder

    def page(
        self,
        request: Request,
        name: str,
        session: Session | None,
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        return self.templates.TemplateResponse(
            request,
            name,
            {
                "session": session,
                "signin_configured": self.token is not None,
                "db": str(self.log.db),
                **context,
            },
            status_code=status_code,
        )


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site
