"""The tests' OpenAI stand-in in a process of its own, driven over a pipe.

In the tests the stand-in runs in a thread of the test's process, which is right for
checking behaviour but wrong for timing it: its request handling would compete for the
same interpreter lock as the code being measured, where a real provider costs the local
machine nothing. Here it gets its own interpreter (and, on two cores, its own core).

Protocol, one line each way: the child prints its base URL when it listens; then each
command line (JSON) gets one JSON line back.
    {"script": [[seconds, text], ...]}  scripts Delay(seconds, Reply(text)) steps
    {"reset": true}                      forgets the script and the requests
    {"requests": true}                   the chat requests' message lists so far
"""

from __future__ import annotations

import json
import subprocess
import sys
from types import TracebackType
from typing import Any, Self

from bench import REPOSITORY


class StandInProcess:
    def __init__(self) -> None:
        self._child: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> Self:
        self._child = subprocess.Popen(
            [sys.executable, "-m", "bench.standin_process"],
            cwd=REPOSITORY,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url = self._line()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        child, self._child = self._child, None
        if child is not None:
            assert child.stdin is not None
            child.stdin.close()  # end of input stops the child
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            if child.stdout is not None:
                child.stdout.close()

    def script(self, steps: list[tuple[float, str]]) -> None:
        self._ask({"script": steps})

    def reset(self) -> None:
        self._ask({"reset": True})

    def chat_messages(self) -> list[list[dict[str, Any]]]:
        found: list[list[dict[str, Any]]] = self._ask({"requests": True})
        return found

    def _ask(self, command: dict[str, Any]) -> Any:
        assert self._child is not None
        assert self._child.stdin is not None
        self._child.stdin.write(json.dumps(command) + "\n")
        self._child.stdin.flush()
        return json.loads(self._line())

    def _line(self) -> str:
        assert self._child is not None
        assert self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError("the stand-in process ended")
        return line.strip()


def _serve() -> None:
    from standins.openai_server import Delay, OpenAIStandIn, Reply

    with OpenAIStandIn() as standin:
        print(standin.base_url, flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            answer: Any = True
            if "script" in command:
                standin.script(
                    *[Delay(seconds, Reply(text)) for seconds, text in command["script"]]
                )
            elif "reset" in command:
                standin.reset()
            elif "requests" in command:
                answer = [request.messages for request in standin.chat_requests()]
            print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    _serve()
