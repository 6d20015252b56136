"""`bookwell serve` as a real process, for the tests of the command and of its shutdown."""

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

BOOKWELL = str(Path(sys.executable).with_name("bookwell"))


class Serve:
    def __init__(self, args: list[str], env: dict[str, str]):
        self.process = subprocess.Popen(
            [BOOKWELL, "serve", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            bufsize=0,  # unbuffered: what select() says is waiting is all there is
        )
        self.output = ""

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            # readline alone would wait for ever on a server that prints nothing more
            if not select.select([self.process.stdout], [], [], left)[0]:
                break
            line = self.process.stdout.readline().decode(errors="replace")
            if not line and self.process.poll() is not None:
                break
            self.output += line
            if found := re.search(pattern, self.output):
                return found
        raise AssertionError(f"never printed {pattern!r}:\n{self.output}")

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.finish(timeout=60)

    def finish(self, timeout: float) -> int:
        """Waits for the process to end, its last output read; its exit code."""
        rest, _ = self.process.communicate(timeout=timeout)
        self.output += rest.decode(errors="replace")
        return self.process.returncode


def serve_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | extra
