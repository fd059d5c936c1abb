"""Run one command and print what it used: `python bench/rusage.py CMD...` prints
`wall cpu peak` (seconds, seconds, bytes) on a line, or exits with the command's code and its
error output.

The bench starts every command it times through this small process, not directly. On Linux a
program started by a process takes, as its own peak memory, the peak of the process that
started it (exec records the peak of the address space it replaces): a build started by the
bench itself would show the bench's memory, which holds the largest site's content once it is
generated, however little the build used.
"""

import os
import subprocess
import sys
import time


def main(cmd: list[str]) -> int:
    started = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
        assert proc.stderr is not None, "opened with stderr=PIPE"
        stderr = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own use, and its own children's
        proc.returncode = os.waitstatus_to_exitcode(status)  # tells Popen the child is reaped
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.buffer.write(stderr)
        return proc.returncode if proc.returncode > 0 else 1
    print(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
