"""Run the project's notebooks with papermill: ``python -m tools.run_notebooks FILES``.

The notebooks are parameterised (a cell tagged ``parameters``: the scenario
file, the replications); papermill injects the values given with ``-p NAME
VALUE`` after that cell. Each notebook runs in a fresh kernel of *this* Python
interpreter (so the virtual environment's ``sim`` is the one imported, whatever
kernels are registered on the machine), with the notebook's folder as working
directory.

- ``python -m tools.run_notebooks notebooks/*.ipynb``: execute and save the outputs in place;
- ``--check``: execute without writing (what the tests do);
- ``--clear``: strip outputs, execution counts, papermill's metadata and any
  injected parameters without executing (notebooks are committed that way).

The same works with papermill's own command, e.g. ``.venv/bin/papermill
notebooks/02_crackdown_relief.ipynb out.ipynb -p replications 400``.
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path
from typing import Any

import nbformat

#: Seconds a single cell may run.
CELL_TIMEOUT_S = 600
#: Tag of the cell papermill adds with the parameters given.
INJECTED = "injected-parameters"


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


def execute(
    path: str | Path,
    write: bool = True,
    parameters: dict[str, Any] | None = None,
    output: str | Path | None = None,
    cwd: str | Path | None = None,
    timeout: int = CELL_TIMEOUT_S,
) -> float:
    """Execute the notebook at ``path`` top to bottom with papermill; return the
    seconds it took.

    ``parameters`` are injected after the cell tagged ``parameters``. The
    executed notebook is written to ``output`` if given, else (with ``write``)
    over ``path``. ``cwd``: the kernel's working directory (default: the
    notebook's folder). Raises :class:`papermill.PapermillExecutionError` on the
    first failing cell.
    """
    import papermill

    path = Path(path)
    target = output if output is not None else (path if write else None)
    t0 = time.perf_counter()
    papermill.execute_notebook(
        str(path),
        None if target is None else str(target),
        parameters=parameters or {},
        cwd=str(Path(cwd or path.parent).resolve()),
        progress_bar=False,
        km=_kernel_manager(),
        execution_timeout=timeout,
    )
    return time.perf_counter() - t0


def clear(path: str | Path) -> bool:
    """Strip outputs, execution counts, execution and papermill metadata, cells
    of injected parameters and the Python version the kernel reported; return
    whether the file changed."""
    path = Path(path)
    before = path.read_text(encoding="utf-8")
    nb = nbformat.reads(before, as_version=4)
    nb.cells = [c for c in nb.cells if INJECTED not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in ("execution", "papermill"):
            cell.metadata.pop(key, None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    nb.metadata.pop("papermill", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    after = nbformat.writes(nb) + "\n"
    if after != before:
        path.write_text(after, encoding="utf-8")
        return True
    return False


def parameter(text: str) -> Any:
    """A parameter's value from the command line: a Python literal (number,
    string in quotes, list ...) or else the text itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main(argv: list[str] | None = None) -> int:
    """Command line: execute (or clear) notebooks; exit 1 if any fails."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.run_notebooks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("files", nargs="+", type=Path, help="notebooks (.ipynb)")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter of the notebooks, e.g. -p replications 400 -p scenario path/to.yaml",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="execute without writing outputs")
    mode.add_argument("--clear", action="store_true", help="strip outputs, do not execute")
    args = parser.parse_args(argv)
    params = {name: parameter(value) for name, value in args.parameter}
    failed = 0
    total = 0.0
    for f in args.files:
        if args.clear:
            print(f"{f}: {'cleared' if clear(f) else 'already clear'}")
            continue
        try:
            seconds = execute(f, write=not args.check, parameters=params)
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
