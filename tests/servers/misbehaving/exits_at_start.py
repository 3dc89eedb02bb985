"""Dies before answering anything, explaining itself on stderr like a real server would."""

import sys

from _rpc import record_pid

record_pid()
print("Loading configuration...", file=sys.stderr)
print("fatal: KESTRA_BASE_URL is not set; cannot start", file=sys.stderr)
sys.exit(3)
