"""``detente dialogue fit | backtest | outcomes``: the dialogue model against what the parties
actually chose and reached. Registered on the dialogue group by ``register``."""


import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from detente import yamlio
from detente.cli.common import JsonOption, console, emit_json, err_console, output_file
from detente.dialogue import backtest, catalog, decisions, fit, outcomes, probability
from detente.errors import ParameterError, ScenarioError

DecisionsOption = Annotated[str | None, typer.Option(
    "--decisions", "-d", help="Decisions file: a bundled id (see `detente dialogue list`) or a "
                              "path; default: the bundled file written for the scenario.")]


def _date(value: str | None, field: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return yamlio.as_date(value)
    except ValueError:
        raise ParameterError.single("expected a date YYYY-MM-DD", field=field,
                                    value=value) from None


def _ci(ci: tuple[float, float] | None) -> str:
    return "-" if ci is None else f"{ci[0]:.2f}-{ci[1]:.2f}"


def register(app: typer.Typer, scenario_arg) -> None:
    """Add the three commands to the dialogue group."""

    @app.command("fit")
    def fit_command(
        scenario: scenario_arg,
        decisions_ref: DecisionsOption = None,
        before: Annotated[str | None, typer.Option(
            help="Fit only on the decisions dated before this day (YYYY-MM-DD); without it "
                 "every decision must be dated no later than the scenario's as_of.")] = None,
        output: Annotated[Path | None, typer.Option(
            "--output", "-o", help="Write the fitted scenario here (default: print it).")]
            = None,
        prior_weight: Annotated[float, typer.Option(
            help="Weight of the analyst's inputs against the choices (0: plain maximum "
                 "likelihood within the documented ranges).", min=0.0)] = 1.0,
        samples: Annotated[int, typer.Option(help="Draws from the priors in the likelihood.",
                                             min=1)] = fit.FIT_SAMPLES,
        seed: Annotated[int, typer.Option(help="Seed of the draws.")] = 0,
        max_iterations: Annotated[int, typer.Option(help="Iterations of the optimiser.",
                                                    min=1)] = 500,
        as_json: JsonOption = False,
    ) -> None:
        """Fit positions and saliences to the choices the parties actually made.

        Maximises the likelihood of the coded choices (times the analyst's inputs as a prior)
        within each number's documented range with scipy's L-BFGS-B, and writes the fitted
        scenario with a fit block listing every number that moved and by how much. A fit that
        does not converge says so, keeps the unfitted inputs and writes nothing (exit code 1).

        Example: [bold]detente dialogue fit korea-2018 --before 2018-01-01 > fitted.yaml[/]
        """
        sc = catalog.load(scenario)
        ref = decisions_ref or decisions.default_for(sc)
        found = decisions.load(ref, sc)
        target = output_file(output, "--output") if output else None
        result = fit.fit(sc, found, before=_date(before, "before"), prior_weight=prior_weight,
                         samples=samples, seed=seed, max_iterations=max_iterations)
        out = console if target else err_console
        if as_json:
            emit_json(result.to_json_dict())
        if not result.converged:
            err_console.print(f"[red]{result.message}[/]; nothing written", highlight=False)
            raise typer.Exit(1)
        text = fit.fitted_yaml(scenario, result)
        if target:
            target.write_text(text, encoding="utf-8")
        elif not as_json:
            typer.echo(text, nl=False)
        if not as_json:
            _print_moves(result, out)
            if target:
                console.print(f"wrote {target}", highlight=False)

    @app.command("backtest")
    def backtest_command(
        scenario: scenario_arg = catalog.DEFAULT,
        decisions_ref: DecisionsOption = None,
        cutoff: Annotated[str | None, typer.Option(
            help="Fit on the decisions before this day, forecast those on or after it "
                 "(default: the day the scenario's own fit stopped at).")] = None,
        samples: Annotated[int, typer.Option(help="Draws from the priors per forecast.",
                                             min=1)] = probability.SAMPLES,
        seed: Annotated[int, typer.Option(help="Seed of the draws and the bootstrap.")] = 0,
        as_json: JsonOption = False,
    ) -> None:
        """Forecast the choices made after a cut-off with the model fitted only before it.

        Reports accuracy and Brier score, with 95% intervals, beside the baselines: the
        unfitted scenario, everyone accepts, the status quo (nobody accepts) and the base rate
        of acceptance before the cut-off; then every forecast, misses included.

        Example: [bold]detente dialogue backtest korea-2018 --cutoff 2018-01-01[/]
        """
        sc = catalog.load(scenario)
        ref = decisions_ref or decisions.default_for(sc)
        found = decisions.load(ref, sc)
        day = _date(cutoff, "cutoff") or (sc.fit.before if sc.fit else None)
        if day is None:
            raise ScenarioError.single("give the cut-off (the scenario records no fit to take "
                                       "it from)", field="cutoff")
        result = backtest.backtest(sc, found, day, samples=samples, seed=seed)
        if as_json:
            emit_json(result.to_json_dict())
            return
        print_backtest(result)

    @app.command("outcomes")
    def outcomes_command(
        scenario: scenario_arg = catalog.DEFAULT,
        file: Annotated[str | None, typer.Option(
            "--file", help="Outcomes file: a bundled id or a path (default: the scenario's "
                           "bundled outcomes).")] = None,
        model: Annotated[str, typer.Option("--model", "-m", help="Models to score, or all.")]
            = "all",
        as_json: JsonOption = False,
    ) -> None:
        """Forecast error of the bargaining models against outcomes the parties reached.

        Mean absolute error per episode and per issue (points per 100 of scale), beside the
        forecast that nothing changes; a model that cannot beat the status quo is labelled so.

        Example: [bold]detente dialogue outcomes korea-2018[/]
        """
        sc = catalog.load(scenario)
        ref = file or outcomes.for_scenario(sc.id)
        if ref is None:
            raise ScenarioError.single(f"no bundled outcomes for scenario {sc.id!r}; give one "
                                       "with --file", field="file")
        card = outcomes.scorecard(sc, outcomes.load(ref, sc), model)
        if as_json:
            emit_json(card.to_json_dict())
            return
        print_scorecard(card, sc)


def _print_moves(result: fit.Fit, out) -> None:
    out.print(result.message, highlight=False)
    table = Table(title="What moved (largest first, in prior standard deviations)")
    for col in ("actor", "issue", "field", "before", "after", "moved (sd)"):
        table.add_column(col, justify="right" if col in ("before", "after", "moved (sd)")
                         else "left")
    for m in result.record.moves:
        sd = f"{(m.after - m.before) / m.prior_sd:+.2f}" if m.prior_sd else "-"
        table.add_row(m.actor or "-", m.issue or "-", m.field, f"{m.before:g}", f"{m.after:g}",
                      sd)
    out.print(table)


def print_backtest(result: backtest.Backtest) -> None:
    console.print(f"Fitted on {result.trained_on} decisions ({result.trained_choices} choices) "
                  f"dated before {result.cutoff}; {result.fit.message}", highlight=False)
    for title, scores in (("Choices after the cut-off (P(accept) per signatory)",
                           result.choice_scores),
                          ("Deals after the cut-off (P(viable), deals whose outcome is known)",
                           result.deal_scores)):
        table = Table(title=title)
        for col in ("forecaster", "n", "accuracy", "95% CI", "Brier", "95% CI"):
            table.add_column(col, justify="left" if col == "forecaster" else "right")
        for s in scores:
            table.add_row(s.name, str(s.n), f"{s.accuracy:.2f}", _ci(s.accuracy_ci),
                          f"{s.brier:.3f}", _ci(s.brier_ci))
        console.print(table)
        console.print("Against the fitted model (95% intervals overlap: no clear difference):",
                      highlight=False)
        for name, verdict in result.comparisons(scores).items():
            console.print(f"  {name}: Brier {verdict['brier']}; accuracy "
                          f"{verdict['accuracy']}", highlight=False)
    table = Table(title="Every forecast choice (a miss: the fitted model put P on the wrong side "
                        "of 0.5)")
    for col in ("date", "decision", "party", "choice", "fitted", "unfitted", ""):
        table.add_column(col)
    for f in result.choices:
        miss = (f.p[backtest.MODEL] >= 0.5) != f.outcome
        table.add_row(str(f.date), f.decision, f.actor, f.choice,
                      f"{f.p[backtest.MODEL]:.2f}", f"{f.p[backtest.UNFITTED]:.2f}",
                      "[red]miss[/]" if miss else "hit")
    console.print(table)


def print_scorecard(card: outcomes.Scorecard, sc) -> None:
    names = [outcomes.STATUS_QUO, *card.models]
    table = Table(title="Mean absolute error against known outcomes (points per 100 of scale)")
    for col in ("model", *[e.id for e in card.episodes], "mean", "verdict"):
        table.add_column(col, justify="left" if col in ("model", "verdict") else "right")
    for name in names:
        errs = {e.episode: e.mae for e in card.errors if e.model == name}
        table.add_row(name, *[f"{errs[e.id]:.1f}" for e in card.episodes],
                      f"{card.mean_error(name):.1f}", card.verdict(name))
    console.print(table)
    for episode in card.episodes:
        table = Table(title=f"{episode.title} ({episode.date}): error per issue")
        for col in ("issue", "reached", *names):
            table.add_column(col, justify="left" if col == "issue" else "right")
        for d, issue in enumerate(sc.issue_ids):
            row = [issue, f"{episode.outcome[issue].value:g}"]
            for name in names:
                err = next(e for e in card.errors if e.model == name and e.episode == episode.id)
                row.append(f"{card.forecasts[name][d]:.0f} ({err.by_issue[issue]:.0f})")
            table.add_row(*row)
        console.print(table)
    crossing = {e.model: e.crosses for e in card.errors if e.crosses}
    for name, parties in crossing.items():
        console.print(f"[dim]{name}: the forecast crosses declared red lines of "
                      f"{', '.join(parties)}[/]", highlight=False)
