"""Reads requests and never answers; ignores SIGTERM and EOF, and starts a helper process.

The worst case for a client: only killing the whole process group with SIGKILL stops it.
"""

import signal
import subprocess
import sys
import time

from _rpc import record_pid

signal.signal(signal.SIGTERM, signal.SIG_IGN)
helper = subprocess.Popen(
    [
        sys.executable,
        "-c",
        "import time, signal; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)",
    ]
)
record_pid([helper.pid])
print("server started, waiting", file=sys.stderr, flush=True)
for _line in sys.stdin:
    pass  # swallow everything
while True:  # and ignore EOF too
    time.sleep(1)
