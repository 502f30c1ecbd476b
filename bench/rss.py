"""Run one command, wait for it, and record its wall time and the peak memory of its process tree.

    python bench/rss.py RESULT.json -- COMMAND [ARGS...]

RESULT.json gets {"seconds", "maxrss_kb", "returncode", "user_s", "sys_s", "machine_busy_s"}. maxrss_kb is
getrusage(RUSAGE_CHILDREN).ru_maxrss of this wrapper, read after the command has been waited
for: the largest resident set of any single process in the command's tree (every process that
was waited for by its parent), in KiB. It is not the sum over processes running at once.
machine_busy_s is the CPU time every process on the machine used meanwhile (/proc/stat), so the
caller can tell how busy other processes kept the machine. The wrapper's own start-up is outside
the measured interval.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time


def machine_busy_seconds() -> float:
    """CPU seconds all processes have used since boot: every state of /proc/stat's cpu line but idle and iowait."""
    with open("/proc/stat", encoding="ascii") as fh:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fh.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    out, cmd = argv[0], argv[2:]
    busy0 = machine_busy_seconds()
    t0 = time.perf_counter()
    rc = subprocess.call(cmd)
    seconds = time.perf_counter() - t0
    busy = machine_busy_seconds() - busy0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"seconds": seconds, "maxrss_kb": ru.ru_maxrss, "returncode": rc,
                   "user_s": ru.ru_utime, "sys_s": ru.ru_stime, "machine_busy_s": busy}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
