"""``detente dialogue``: zones of agreement, forecasts, acceptance and a mediator's roadmap.

A thin layer over ``detente.dialogue``; SCENARIO is a bundled scenario id (``korea-2018``), a
YAML scenario file, or a CSV in the Bueno de Mesquita/Scholz or KTAB format.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from detente.cli import forecasting
from detente.cli.common import (
    DefaultCommandGroup,
    FormatOption,
    JsonOption,
    OutOption,
    console,
    emit_json,
    emit_result,
    output_format,
)
from detente.dialogue import (
    acceptance,
    analysis,
    catalog,
    decisions,
    outcomes,
    probability,
    roadmap,
    sensitivity,
)
from detente.dialogue.solvers import MODELS, bdm
from detente.dialogue.solvers import names as solver_names
from detente.dialogue.verifiability import preset_resolver
from detente.errors import ParameterError

app = typer.Typer(
    name="dialogue", cls=DefaultCommandGroup, no_args_is_help=True, rich_markup_mode="rich",
    help="Multi-party bargaining over a scenario: forecasts, zones of agreement, package deals, "
         "acceptance of a proposal and a mediator's roadmap. [bold]detente dialogue SCENARIO[/] "
         "runs the analysis; the commands below do the rest.")

ScenarioArg = Annotated[str, typer.Argument(
    metavar="SCENARIO", help="Bundled scenario id (see `detente dialogue list`), a .yaml "
                             "scenario, or a .csv in the Bueno de Mesquita/Scholz or KTAB "
                             "format.")]


class Disagreement(StrEnum):
    status_quo = "status_quo"
    reservation = "reservation"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@app.command("run")
def run(
    scenario: ScenarioArg,
    model: Annotated[str, typer.Option(
        "--model", "-m", help=f"Model(s): {'|'.join(MODELS)}|all, or a comma-separated list.")]
        = "all",
    samples: Annotated[int, typer.Option(
        help="Also run a sensitivity analysis of the expected-utility model with this many "
             "perturbed scenarios (0: skip; else at least 3 x actors + 62).", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the sensitivity analysis, a non-negative "
                                           "integer.")] = 0,
    disagreement: Annotated[Disagreement, typer.Option(
        help="Disagreement point of the Nash model: the status quo, or each party's reservation "
             "point where it declared one.")] = Disagreement.status_quo,
    as_json: JsonOption = False,
    fmt: FormatOption = None,
    out: OutOption = None,
) -> None:
    """Forecasts, zones of agreement, package deals and model spread (the default command).

    --format csv prints one row per issue; --out FILE.csv|.json|.parquet writes the result.

    Example: [bold]detente dialogue korea-2018 --model all --json[/]
    """
    from detente import results

    fmt = output_format(fmt, as_json)
    if out is not None:
        results.check_path(out)
    sc = catalog.load(scenario)
    result = analysis.analyse(sc, model, samples=samples, seed=seed,
                              disagreement=disagreement.value)
    if emit_result(result, fmt, out):
        return
    names = list(result.forecasts)
    console.print(f"[bold]{sc.title or sc.id}[/]" + (f" (as of {sc.as_of})" if sc.as_of else ""))
    if sc.disclaimer:
        console.print(f"[dim]{sc.disclaimer}[/]", highlight=False)
    table = Table(title="Forecasts by issue (0-100 unless stated)", show_lines=False)
    for col in ("issue", "status quo", *names, "zone of agreement", "spread"):
        table.add_column(col, justify="left" if col in ("issue", "zone of agreement") else "right")
    for d, issue in enumerate(sc.issues):
        z, s = result.zones[d], result.spread[d]
        zone_text = (f"{z.low:g}-{z.high:g}" if z.agreement else "needs new discussion")
        table.add_row(issue.id, _fmt(issue.status_quo),
                      *[_fmt(result.forecasts[n].position[d]) for n in names], zone_text,
                      f"{s.range:.1f} ({s.label})")
    console.print(table)
    for z in result.zones:
        console.print(f"  {z.issue}: {z.reason}", highlight=False)
    packages = Table(title="Package deals (viable: every party with a veto accepts)")
    for col in ("package", "positions, in the issue order above", "verdict"):
        packages.add_column(col)
    for p in result.packages:
        packages.add_row(p.name, " / ".join(f"{v:.0f}" for v in p.positions), p.verdict)
    console.print(packages)
    for n, f in result.forecasts.items():
        for note in f.notes:
            console.print(f"[dim]{n}: {note}[/]", highlight=False)
    if result.sensitivity:
        _print_sensitivity(result.sensitivity)


@app.command("accept")
def accept(
    scenario: ScenarioArg,
    proposal: Annotated[str, typer.Option(
        "--proposal", "-p", help="Proposal YAML file, or a bundled proposal id "
                                 "(see `detente dialogue list`).")],
    samples: Annotated[int, typer.Option(
        help="Draws from the scenario's priors over positions and saliences.", min=1)]
        = probability.SAMPLES,
    seed: Annotated[int, typer.Option(help="Seed of the draws, a non-negative integer (the "
                                           "result is reproducible bit for bit).")] = 0,
    as_json: JsonOption = False,
    fmt: FormatOption = None,
    out: OutOption = None,
) -> None:
    """How likely each party is to accept a proposal, and the proposal to be made.

    Only the proposal's signatories and consent holders hold a veto (without names: the
    scenario's parties); the others' support or opposition is reported. P(accept) comes from
    draws over the scenario's documented uncertainty; the verdict is likely, unlikely or
    uncertain with P(viable) and the issue that drives it.

    --format csv prints one row per actor; --out FILE.csv|.json|.parquet writes the result.

    Example: [bold]detente dialogue accept korea-2018 --proposal post-olympic-pause[/]
    """
    from detente import results

    fmt = output_format(fmt, as_json)
    if out is not None:
        results.check_path(out)
    sc = catalog.load(scenario)
    prop = acceptance.load_proposal(proposal, sc)
    outcome = prop.outcome(sc.inputs)
    verdict = prop.verdict(sc, samples=samples, seed=seed)
    result = verdict.outlook
    if emit_result(verdict, fmt, out):
        return
    moved = [f"{i} {v:g}" for i, v, q in zip(sc.issue_ids, outcome, sc.inputs.status_quo,
                                              strict=True) if v != q]
    console.print(f"[bold]{prop.name}[/]: " + ", ".join(moved) +
                  " (every other issue stays at the status quo)", highlight=False)
    holders = ", ".join(result.signatories)
    console.print(f"Veto: {holders}; {result.samples} draws from the scenario's priors, seed "
                  f"{result.seed}; third-party weight {result.third_party_weight:g}",
                  highlight=False)
    table = Table(title="Acceptance (gains in salience-weighted points over the status quo)")
    for col in ("actor", "role", "P(accept)", "gain", "90% of draws", "costliest issue"):
        table.add_column(col, justify="right" if col in ("P(accept)", "gain") else "left")
    for c in result.chances:
        colour = "green" if c.accepts else "red"
        worst = (f"red line on {c.red_lines[0]}" if c.red_lines else
                 f"{c.costliest_issue} (-{c.cost:.1f})" if c.costliest_issue else "-")
        table.add_row(c.actor, c.role, f"[{colour}]{c.p_accept:.2f}[/]", f"{c.gain:+.1f}",
                      f"{c.gain_low:+.1f} to {c.gain_high:+.1f}", worst)
    console.print(table)
    colour = {"likely": "green", "unlikely": "red"}.get(result.label, "yellow")
    console.print(f"[{colour}]{result.sentence}[/]", highlight=False)


@app.command("roadmap")
def roadmap_command(
    scenario: ScenarioArg,
    to: Annotated[str, typer.Option(
        "--to", help="Target package: a proposal YAML file or a bundled proposal id.")],
    step: Annotated[float | None, typer.Option(
        help="Largest move per issue and step, in points per 100 of scale (default: the finest "
             "of 10, 20, 25, 50, 100 that admits a path).")] = None,
    as_json: JsonOption = False,
) -> None:
    """A mediator's roadmap: small reciprocal steps from the status quo to a target package.

    Each step is accepted at its time by every party holding a veto over the target (its
    signatories and consent holders, or the scenario's parties) and carries a verification score
    from the agreement specs' commitments that implement it.

    Example: [bold]detente dialogue roadmap korea-2018 --to action-for-action[/]
    """
    sc = catalog.load(scenario)
    catalog.check_commitments(scenario, sc)
    prop = acceptance.load_proposal(to, sc, resolver=preset_resolver)
    refs = {issue.id: list(issue.commitments) for issue in sc.issues} | prop.commitments
    inputs = prop.inputs(sc)  # the target's signatories hold the veto at every step
    result = roadmap.roadmap(inputs, prop.outcome(inputs), refs, step=step, name=prop.name)
    if as_json:
        emit_json(result.to_json_dict(inputs))
        return
    console.print(f"[bold]Roadmap to {prop.name}[/]: {result.reason}", highlight=False)
    for note in result.notes:
        console.print(f"[dim]{note}[/]", highlight=False)
    if result.steps:
        table = Table()
        for col in ("step", "moves (issue from -> to; gives)", "smallest gain", "verification"):
            table.add_column(col)
        for s in result.steps:
            moves = "\n".join(f"{m.issue} {m.start:g} -> {m.end:g}" +
                              (f" (gives: {', '.join(m.gives)})" if m.gives else "")
                              for m in s.moves)
            low = min(s.gains, key=lambda actor: s.gains[actor])
            verification = f"{s.verification:.2f}"
            if s.unverified:
                verified = ("" if s.weakest_verified is None else
                            f"verified parts >= {s.weakest_verified:.2f}; ")
                verification += f" ({verified}unverified: {', '.join(s.unverified)})"
            if s.asymmetry is not None:
                verification += f"\nasymmetry {s.asymmetry:.2f}"
            table.add_row(str(s.number), moves, f"{low} {s.gains[low]:+.1f}", verification)
        console.print(table)
    elif result.blockers:
        console.print(f"[red]blocked by: {', '.join(result.blockers)}[/]", highlight=False)


@app.command("sensitivity")
def sensitivity_command(
    scenario: ScenarioArg,
    model: Annotated[str, typer.Option(
        "--model", "-m", help=f"Model whose forecast is studied: {'|'.join(MODELS)}, a "
                              "comma-separated list or all (one table each; compromise, median "
                              "and bdm are fast, nash and smp run copy by copy).")] = "bdm",
    samples: Annotated[int, typer.Option(
        help="Perturbed scenarios; at least 3 x actors + 62, so that an actor with no "
             "influence gets on average at most 5% of the variance by chance.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed, a non-negative integer (the result is "
                                           "reproducible bit for bit).")] = 0,
    position_sd: Annotated[float, typer.Option(help="Position error, points per 100 of "
                                                    "scale.")] = 5.0,
    capability_sd: Annotated[float, typer.Option(help="Log-normal capability error.")] = 0.2,
    salience_sd: Annotated[float, typer.Option(help="Salience error.")] = 0.1,
    as_json: JsonOption = False,
) -> None:
    """Which actor's inputs move a model's forecast most (perturbed copies of the scenario).

    With several models, each gets its own table (--json: a list of the one-model objects).

    Example: [bold]detente dialogue sensitivity korea-2018 --model bdm --samples 1000[/]
    """
    sc = catalog.load(scenario)
    results = [sensitivity.sensitivity(sc.inputs, name, samples, seed, position_sd,
                                       capability_sd, salience_sd)
               for name in solver_names(model)]
    if as_json:
        emit_json(results[0].to_json_dict() if len(results) == 1
                  else [r.to_json_dict() for r in results])
        return
    for result in results:
        _print_sensitivity(result)


def _print_sensitivity(result: sensitivity.Sensitivity) -> None:
    table = Table(title=f"Sensitivity of the {result.model} forecast ({result.samples} perturbed "
                        f"scenarios, seed {result.seed})")
    for col in ("issue", "baseline", "5%-95%", "std", "most influential (variance share)", "r2"):
        table.add_column(col)
    for s in result.issues:
        top = ", ".join(f"{a} {share:.0%}" for a, share in s.top())
        table.add_row(s.issue, f"{s.baseline:.1f}", f"{s.p05:.1f}-{s.p95:.1f}", f"{s.std:.1f}",
                      top, f"{s.r2:.2f}")
    console.print(table)
    actor, share = result.most_influential
    console.print(f"Most influential inputs overall: {actor} (mean variance share {share:.0%})",
                  highlight=False)
    console.print(f"[dim]By chance alone, with {result.samples} samples and "
                  f"{result.regressors} regressors: an actor with no influence gets on average "
                  f"up to {result.share_noise:.1%}, a fit to noise r2 about "
                  f"{result.r2_noise:.2f}.[/]", highlight=False)


@app.command("log")
def log(
    scenario: ScenarioArg,
    issue: Annotated[str | None, typer.Option(help="Issue id (default: the first).")] = None,
    rounds: Annotated[int, typer.Option(help="Rounds of the expected-utility model.", min=1)]
        = 10,
    median_line_bug: Annotated[bool, typer.Option(
        help="Print the weighted mean on the 'Median position' line after each round, as the "
             "reference implementation's log does.")] = False,
) -> None:
    """The expected-utility model's round-by-round log (offers, positions, mean, median).

    The file in the example is korea-2018's sanctions issue in the Bueno de
    Mesquita/Scholz format, shipped in the repository (run the example from its root).

    Example: [bold]detente dialogue log examples/data/korea-sanctions.csv[/]
    """
    sc = catalog.load(scenario)
    inputs = sc.inputs
    if issue is not None and issue not in inputs.issues:
        raise ParameterError.single(f"unknown issue; issues: {', '.join(inputs.issues)}",
                                    field="issue", value=issue)
    d = inputs.issue_index(issue) if issue else 0
    _, trace, _ = bdm.run(inputs.position.T[d:d + 1], inputs.capability,
                          inputs.salience.T[d:d + 1], rounds=rounds)
    typer.echo(bdm.render_log(trace, list(inputs.actors), median_line_bug=median_line_bug),
               nl=False)


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Bundled scenarios, proposals, coded decisions and known outcomes.

    Example: [bold]detente dialogue list[/]
    """
    data = {"scenarios": catalog.ids(), "proposals": acceptance.proposal_ids(),
            "decisions": decisions.ids(), "outcomes": outcomes.OUTCOMES.ids()}
    if as_json:
        emit_json(data)
        return
    for key, names in data.items():
        console.print(f"{key}: " + ", ".join(names), highlight=False)


@app.command("export")
def export(scenario: ScenarioArg) -> None:
    """Print a scenario as YAML (bundled, YAML file or imported CSV), to copy and edit.

    Example: [bold]detente dialogue export korea-2018 > mine.yaml[/]
    """
    typer.echo(catalog.load(scenario).to_yaml(), nl=False)


forecasting.register(app, ScenarioArg)
