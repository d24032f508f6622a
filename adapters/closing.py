"""`async with` for the adapters that hold a connection: leaving the block closes them."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class ClosedOnExit:
    """A base for classes with `async def close()`; `async with` closes on the way out."""

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
