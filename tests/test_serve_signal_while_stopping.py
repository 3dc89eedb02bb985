"""A stop signal that lands while the editor's browser driver is stopping still ends it.

`policytui serve` killed outright ends each editor's input and sends it SIGTERM (the parent's
death signal) at the same moment. The input's end starts the app stopping, and the driver then
holds its deadline lock (`SessionDriver.stop_application_mode`); Python runs a signal handler on
the main thread between any two bytecodes, so the SIGTERM's handler could run right there and
wait for that same lock for ever. Seen twice in full test runs on a loaded machine: the editor
process lived on after serve, asleep, kept no unsaved edit and never ended. The window is a few
bytecodes wide, so here the signal is raised inside it: with the real driver started on pipes as
serve starts it, the lock held as stopping holds it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from policytui.tui.web_driver import EXIT_STUCK

INSIDE_THE_STOP = textwrap.dedent("""
    import asyncio, signal
    from textual.app import App
    from policytui.tui.web_driver import SessionDriver

    async def main():
        driver = SessionDriver(App())
        driver.start_application_mode()
        with driver._deadline_lock:  # as stop_application_mode holds it
            signal.raise_signal(signal.SIGTERM)
        print("handled", flush=True)
        await asyncio.sleep(60)  # an app that never stops: the deadline ends the process

    asyncio.run(main())
""")


def test_a_sigterm_landing_while_the_driver_holds_its_lock_still_ends_the_editor() -> None:
    # Standard input stays open (serve alive, as far as the input thread knows): only the
    # signal can arm the deadline.
    process = subprocess.Popen([sys.executable, "-c", INSIDE_THE_STOP], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        status = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        status = None
        process.kill()
    out, err = process.communicate()
    assert status is not None, f"the editor's driver hung on a SIGTERM raised while it held its lock: {err[-2000:]!r}"
    assert b"handled" in out, (out[-500:], err[-2000:])
    assert status == EXIT_STUCK, (status, err[-2000:])
    assert b"asked to stop (SIGTERM) and had not stopped after 3 seconds" in err, err[-2000:]
