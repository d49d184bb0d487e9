"""Run gridshed command lines in child processes under limits of memory and time.

``python tests/limited.py`` is a small server: it imports gridshed once, then
for every JSON line on its standard input (``{"args": [...], "cwd": ...,
"timeout": s}``) it forks a child that limits its address space
(``RLIMIT_AS``) to what the server had mapped plus :data:`MEMORY`, arms an alarm
of ``timeout`` seconds, runs the command line as the ``gridshed`` program does
and exits with its status. The server answers one JSON line per command:
``status`` (negative: killed by that signal), ``seconds``, ``memory``
(peak resident bytes beyond the server's), ``stdout`` and ``stderr``.

Forking from a process that has imported everything makes each hostile case
cost its own work only (not a second of imports), so the corpus runs fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Memory a command may use beyond the imported program, bytes.
MEMORY = 500 * 2**20
#: Seconds a command may take unless its case says otherwise.
TIMEOUT_S = 5.0

ROOT = Path(__file__).resolve().parents[1]


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _child(args: list[str], cwd: str, timeout: float, out: str, err: str) -> None:
    code = 1
    try:
        os.chdir(cwd)
        for fd, path in ((1, out), (2, err)):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        limit = _vm("VmSize") + MEMORY
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        signal.setitimer(signal.ITIMER_REAL, timeout)
        from sim.cli import main

        main.main(args=args, prog_name="gridshed", standalone_mode=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # a crash: its traceback is what the tests look for
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def serve() -> None:
    import sim.cli
    import sim.cli.compare
    import sim.cli.plot
    import sim.cli.run
    import sim.cli.sweep
    import sim.cli.validate
    import sim.experiments.ensemble
    import sim.report.figures
    import sim.report.readback
    import sim.report.runfolder  # noqa: F401  (imported before forking)

    base_rss = _vm("VmRSS")
    work = tempfile.mkdtemp(prefix="gridshed-limited.")
    out, err = os.path.join(work, "out"), os.path.join(work, "err")
    for line in sys.stdin:
        job = json.loads(line)
        sys.stdout.flush()
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            _child(job["args"], job.get("cwd", "."), job.get("timeout", TIMEOUT_S), out, err)
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        answer = {
            "status": code,
            "seconds": seconds,
            "memory": usage.ru_maxrss * 1024 - base_rss,
            "stdout": Path(out).read_text(errors="replace"),
            "stderr": Path(err).read_text(errors="replace"),
        }
        print(json.dumps(answer), flush=True)


class Limited:
    """A client of the server: ``run(args, cwd, timeout) -> dict``."""

    def __init__(self) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
        self.proc = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )

    def run(self, args: list[str], cwd: str | Path = ROOT, timeout: float = TIMEOUT_S) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        job = {"args": [str(a) for a in args], "cwd": str(cwd), "timeout": timeout}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    serve()
