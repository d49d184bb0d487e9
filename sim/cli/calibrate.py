"""``gridshed calibrate`` and ``gridshed sensitivity``: infer a scenario's unknowns
from reported figures by ABC-SMC, and rank them by what they do to the answer."""

from __future__ import annotations

import contextlib
import functools
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sim.cli import options as opt
from sim.cli.progress import GUESS_S
from sim.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from sim.cli.progress import CommandBar
    from sim.report.outfolder import Reservation

#: Estimated seconds of the prior sample, per particle of the inference, and of
#: writing the folder and its figures (estimates, from the example's calibration
#: on the 2-core development machine; the bar corrects them as it goes).
PRIOR_SAMPLE_S, PARTICLE_S, WRITE_S, FIGURES_S = 5.0, 0.2, 1.0, 3.0


@dataclass(frozen=True)
class Job:
    """What both commands take: the two files, where to write, where to run, the seed."""

    scenario: Path
    calibration: Path
    out: Path
    name: str | None
    executor: str
    workers: int | None
    scheduler: str | None
    seed: int | None
    overwrite: bool

    def pool(self) -> dict[str, Any]:
        """Keyword arguments of :class:`~sim.experiments.inference.pool.Pool`."""
        return {"executor": self.executor, "workers": self.workers, "scheduler": self.scheduler}

    def reserve(
        self, kind: str, scenario: str, quiet: bool
    ) -> contextlib.AbstractContextManager[Reservation]:
        """Reserve ``OUT/NAME`` (default ``OUT/<kind>_<scenario>``) before the run,
        as ``run`` does: an existing folder is replaced only with ``--overwrite``,
        else the results go to ``NAME-2``, ``NAME-3`` ..."""
        return opt.output_folder(self.out, self.name or f"{kind}_{scenario}", self.overwrite, quiet)


def _needs(kind: str) -> None:
    """Raise a clear error if pyabc or SALib is not installed."""
    import importlib.util

    if any(importlib.util.find_spec(m) is None for m in ("pyabc", "SALib")):
        hint = "needs pyabc and SALib: pip install -e '.[calibrate]' (make test installs them)"
        raise ScenarioError(Problem(hint, f"gridshed {kind}"))


def job(kind: str, seed_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the :class:`Job` arguments and options to a command; it receives them as ``job``."""

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def command(**kwargs: Any) -> Any:
            _needs(kind)
            given = Job(**{k.name: kwargs.pop(k.name) for k in fields(Job)})
            if given.name is not None:
                opt.check_folder_name(given.name)
            return f(job=given, **kwargs)

        path = click.Path(dir_okay=False, path_type=Path)
        return opt.stack(
            click.argument("scenario", type=path),
            click.argument("calibration", type=path),
            opt.out(),
            click.option("--name", help=f"Name of the output folder in --out (default: {kind}_<scenario>)."),
            opt.EXECUTOR,
            opt.WORKERS,
            opt.SCHEDULER,
            opt.seed(seed_help),
            opt.OVERWRITE,
        )(command)

    return wrap


def _count(*names: str, least: int, what: str) -> Callable[..., Any]:
    """An optional whole-number option whose default is the calibration file's."""
    return click.option(*names, type=click.IntRange(min=least), help=f"{what} (default: the file's).")


def _quiet_pyabc() -> None:
    """pyabc logs every generation at INFO; the progress bar says enough."""
    for name in ("ABC", "pyabc", "Epsilon", "History", "Sampler", "Distance", "Acceptor", "Transition"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _counter(bar: CommandBar, generations: int) -> Callable[[int, int | None], None]:
    """The inference's ``progress(k, t)`` on the command's bar: the prior sample
    (``t`` = -1, which sets the first epsilon and is not counted), then ``k`` more
    particles accepted in generation ``t``."""

    def update(k: int, t: int | None = None) -> None:
        if t is not None and t < 0:
            if bar.current is None or bar.current.name != "prior sample":
                bar.start("prior sample")
            return
        if bar.current is None or bar.current.name != "inference":
            bar.start("inference")
        if t is not None:
            bar.note(f"generation {t + 1}/{generations}")
        bar.advance(k)

    return update


@click.command("calibrate")
@job("calibration", "Root seed of the inference (default: the scenario's).")
@_count("--population", least=10, what="Particles per generation")
@_count("--generations", least=1, what="Most generations")
@_count("--draws", least=10, what="Posterior predictive draws")
@opt.figures("Write figures/ (marginal and pairwise posteriors, held-out records).")
@opt.quiet()
@opt.PROGRESS
def calibrate_command(
    job: Job,
    population: int | None,
    generations: int | None,
    draws: int | None,
    figures: bool,
    quiet: bool,
    progress: bool | None,
) -> None:
    """Infer SCENARIO's unknowns from the records in CALIBRATION (ABC-SMC with pyabc).

    CALIBRATION declares priors over scenario keys, the records to fit with their
    uncertainty, the records held out and the verdicts. Writes OUT/NAME/ whole:
    summary.json, calibration.md, posterior.parquet, predictive.parquet,
    prior_predictive.parquet, history.db (pyabc), posterior.yaml (extends SCENARIO
    with the posterior medians) and figures/. The same seed gives the same
    posterior with any executor and number of workers.
    """
    guesses = {"prior sample": PRIOR_SAMPLE_S, "inference": GUESS_S, "writing": WRITE_S}
    bar = opt.command_bar(quiet, progress, guesses)
    with bar:
        folder, s = _calibrate(job, population, generations, draws, figures, bar, quiet)

    def text() -> str:
        from sim.report.inference_tables import heldout_block, posterior_table

        return f"{posterior_table(s)}\n\n{heldout_block(s)}\n\n{bar.elapsed:.0f} s; written to {folder}"

    opt.finish(bar, folder, quiet, text)


def _calibrate(
    job: Job,
    population: int | None,
    generations: int | None,
    draws: int | None,
    figures: bool,
    bar: CommandBar,
    quiet: bool,
) -> tuple[Path, dict[str, Any]]:
    """Run the inference and write its folder; returns the folder and the summary."""
    from sim.experiments.inference.calibrate import calibrate, load
    from sim.report.figures import posterior as pf
    from sim.report.inference_folder import posterior_yaml, write_calibration

    _quiet_pyabc()
    scenario, calibration = job.scenario, job.calibration
    pmap, cal = load(scenario, calibration)  # bad files fail here, before any run
    n = population or cal.inference.population
    g = generations or cal.inference.generations
    bar.plan("prior sample", PRIOR_SAMPLE_S)
    bar.plan("inference", PARTICLE_S, items=n * g, unit="particles")
    bar.plan("writing", WRITE_S + (FIGURES_S if figures else 0.0))
    with (
        job.reserve("calibration", pmap.scenario_.name, quiet) as target,
        tempfile.TemporaryDirectory() as tmp,
    ):
        db = Path(tmp) / "history.db"
        sizes = {"population": population, "generations": generations, "draws": draws}
        update = _counter(bar, g)
        run = calibrate(scenario, calibration, db, **job.pool(), seed=job.seed, **sizes, progress=update)
        bar.start("writing")
        s = run.summary
        folder = target.path
        header = (
            f"Posterior of {s['scenario']}: written by `gridshed calibrate {scenario} {calibration}`\n"
            f"(seed {s['seed']}). Values are posterior medians; integers rounded; derived keys\n"
            "computed from the medians. See calibration.md beside this file."
        )
        yaml_text = posterior_yaml(
            scenario, folder, cal.set, s["posterior_scenario"], f"{s['scenario']}_posterior", header
        )
        labels = {k: u.label for k, u in cal.unknowns.items()}
        figs = {
            "posterior_marginals": lambda: pf.marginals(run.posterior.particles, pmap.priors, labels),
            "posterior_pairs": lambda: pf.pairs(run.posterior.particles, list(pmap.names), labels),
            "held_out": lambda: pf.held_out(run.draws, s["held_out"]),
        }
        tables = {
            "posterior": run.posterior.particles,
            "predictive": run.draws,
            "prior_predictive": run.prior_draws,
        }
        folder = write_calibration(target, s, tables, db, yaml_text, figs if figures else None)
    return folder, s


@click.command("sensitivity")
@job("sensitivity", "Seed of SALib's sample and bootstrap (default: the scenario's).")
@click.option(
    "--method",
    type=click.Choice(["sobol", "morris"]),
    help="Sobol' indices (variance-based) or Morris elementary effects (screening); default: the file's.",
)
@_count("--samples", least=4, what="Sobol' N or Morris trajectories")
@_count("-n", "--replications", least=1, what="Replications per point")
@opt.figures("Write figures/sensitivity.png.")
@opt.quiet()
def sensitivity_command(
    job: Job,
    method: str | None,
    samples: int | None,
    replications: int | None,
    figures: bool,
    quiet: bool,
) -> None:
    """Global sensitivity of SCENARIO's outputs to the unknowns of CALIBRATION (SALib).

    The unknowns vary over their priors; the outputs (the file's sensitivity.outputs:
    columns, averaged over the replications, or verdicts, as probabilities) are run
    at every point with common random numbers. Writes OUT/NAME/ whole:
    summary.json, sensitivity.md, points.parquet, indices.parquet, figures/.
    """
    from sim.experiments.inference.calibrate import load
    from sim.experiments.inference.pool import Pool
    from sim.experiments.inference.sensitivity import run_sensitivity
    from sim.experiments.inference.spec import with_settings

    pmap, cal = load(job.scenario, job.calibration)
    cal = with_settings(cal, "sensitivity", method=method, samples=samples, replications=replications)
    seed = pmap.scenario_.seed if job.seed is None else job.seed
    with job.reserve("sensitivity", pmap.scenario_.name, quiet) as target:
        with Pool(**job.pool()) as pool:
            res = run_sensitivity(pmap, cal, pool, seed)
        _write_sensitivity(target, pmap.scenario_.name, job, res, cal, figures, quiet)


def _write_sensitivity(
    target: Reservation, name: str, job: Job, res: Any, cal: Any, figures: bool, quiet: bool
) -> None:
    """Write the sensitivity folder and print what it says (or, ``quiet``, where it is)."""
    from sim.report.figures import posterior as pf
    from sim.report.inference_folder import write_sensitivity
    from sim.report.inference_tables import sensitivity_block
    from sim.vocab import label

    labels = {k: u.label for k, u in cal.unknowns.items()}
    outputs = {o: cal.verdicts[o].label if o in cal.verdicts else label(o) for o in res.outputs}
    summary = {
        "scenario": name,
        "calibration_file": str(job.calibration),
        "method": res.method,
        "outputs": list(res.outputs),
        "output_labels": outputs,
        "labels": labels,
        "settings": res.settings,
        "elapsed_s": res.elapsed_s,
        "indices": res.indices.to_dict("records"),
    }
    figs = {"sensitivity": lambda: pf.indices(res.indices, labels, outputs)}
    tables = {"points": res.points, "indices": res.indices}
    folder = write_sensitivity(target, summary, tables, figs if figures else None)
    click.echo(
        str(folder)
        if quiet
        else f"{sensitivity_block(summary)}\n\n{res.elapsed_s:.0f} s; written to {folder}"
    )
