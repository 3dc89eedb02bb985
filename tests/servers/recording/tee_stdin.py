"""Runs a server with its standard input copied, byte for byte, to a file first.

    python tee_stdin.py RECEIVED_FILE -- COMMAND [ARGS...]

What the file holds is exactly what the server read: the tests use it to prove from the
server's side what a gateway forwarded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading


def main() -> int:
    received, command = sys.argv[1], sys.argv[3:]
    child = subprocess.Popen(command, stdin=subprocess.PIPE)
    assert child.stdin is not None
    log = os.open(received, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def copy() -> None:
        assert child.stdin is not None
        try:
            while chunk := os.read(0, 1 << 16):
                os.write(log, chunk)
                child.stdin.write(chunk)
                child.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        finally:
            try:
                child.stdin.close()
            except OSError:
                pass

    threading.Thread(target=copy, daemon=True).start()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
