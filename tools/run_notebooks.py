"""Run the project's notebooks with nbclient: ``python -m tools.run_notebooks FILES``.

Each notebook runs in a fresh kernel of *this* Python interpreter (so the
virtual environment's ``sim`` is the one imported, whatever kernels are
registered on the machine), with the notebook's folder as working directory.

- ``python -m tools.run_notebooks notebooks/*.ipynb``: execute and save the outputs in place;
- ``--check``: execute without writing (what the tests do);
- ``--clear``: strip outputs and execution counts without executing (notebooks
  are committed that way).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat

#: Seconds a single cell may run.
CELL_TIMEOUT_S = 600


def _kernel_manager():
    """A kernel manager whose kernel is this interpreter running ipykernel."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = KernelSpec(
        # log_level: no warning that local TCP is unencrypted on every start.
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--log-level=ERROR"],
        display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} ({sys.prefix})",
        language="python",
        resource_dir="",
    )

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return spec

    return KernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())


def execute(path: str | Path, write: bool = True, timeout: int = CELL_TIMEOUT_S) -> float:
    """Execute the notebook at ``path`` top to bottom; return the seconds it took.

    Raises :class:`nbclient.exceptions.CellExecutionError` on the first failing
    cell. With ``write``, the executed notebook (with outputs) replaces the file.
    """
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        km=_kernel_manager(),
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    t0 = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - t0
    if write:
        nbformat.write(nb, path)
    return elapsed


def clear(path: str | Path) -> bool:
    """Strip outputs, execution counts, execution metadata and the Python version
    the kernel reported; return whether the file changed."""
    path = Path(path)
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    after = nbformat.writes(nb) + "\n"
    if after != before:
        path.write_text(after, encoding="utf-8")
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    """Command line: execute (or clear) notebooks; exit 1 if any fails."""
    summary = __doc__.splitlines()[0]
    parser = argparse.ArgumentParser(prog="python -m tools.run_notebooks", description=summary)
    parser.add_argument("files", nargs="+", type=Path, help="notebooks (.ipynb)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="execute without writing outputs")
    mode.add_argument("--clear", action="store_true", help="strip outputs, do not execute")
    args = parser.parse_args(argv)
    failed = 0
    total = 0.0
    for f in args.files:
        if args.clear:
            print(f"{f}: {'cleared' if clear(f) else 'already clear'}")
            continue
        try:
            seconds = execute(f, write=not args.check)
        except Exception as exc:  # report every notebook, then fail
            failed += 1
            print(f"{f}: FAILED\n{exc}", file=sys.stderr)
            continue
        total += seconds
        print(f"{f}: ok, {seconds:.1f} s")
    if not args.clear and len(args.files) > 1:
        print(f"{len(args.files) - failed}/{len(args.files)} notebooks ran, {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
