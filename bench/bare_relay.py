"""The floor for any process in the middle: a minimal asyncio relay that starts the command
given as its arguments and copies lines both ways, deciding nothing, auditing nothing.

`bench_gateway.py` runs it as the "bare relay" layout, so the gateway's added latency can be
read against what one more Python process between client and server costs on the same
machine in the same run.
"""

import asyncio
import os
import sys


async def main() -> None:
    loop = asyncio.get_running_loop()
    server = await asyncio.create_subprocess_exec(
        *sys.argv[1:], stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 24
    )
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", buffering=0))
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(1, "wb", buffering=0)
    )
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    assert server.stdin is not None and server.stdout is not None

    async def upward() -> None:
        while line := await reader.readline():
            server.stdin.write(line)
        server.stdin.close()

    async def downward() -> None:
        while line := await server.stdout.readline():
            writer.write(line)

    await asyncio.gather(upward(), downward())


if __name__ == "__main__":
    asyncio.run(main())
