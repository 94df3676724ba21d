"""`novatrace practice list|show|quiz`: the command group, attached to the main app in cli.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from analyzer.errors import NovatraceError

app = typer.Typer(name="practice", help="Practise reading Nova's logs: exercises, walkthroughs, a quiz.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

LangOption = Annotated[str, typer.Option("--lang", help="Language of the texts: en or zh.")]
StyleOption = Annotated[str, typer.Option("--log-style", help="Log wording: 2016 (Mitaka) or current.")]
DriverOption = Annotated[str, typer.Option("--driver", help="Compute driver of mini-Nova: fake or libvirt.")]


def _fail(error: NovatraceError) -> None:
    typer.echo(f"novatrace: error: {error}", err=True)
    raise typer.Exit(error.exit_code)


@app.command("list")
def list_exercises(lang: LangOption = "en") -> None:
    """Every exercise with a one-line description, your list first.

    Example: novatrace practice list --lang zh
    """
    from analyzer import practice  # noqa: PLC0415

    try:
        typer.echo(practice.list_text(lang))
    except NovatraceError as error:
        _fail(error)


@app.command()
def show(
    operation: Annotated[str, typer.Argument(help="The exercise, e.g. unrescue, lock, pause-vs-suspend.")],
    driver: DriverOption = "fake",
    log_style: StyleOption = "2016",
    lang: LangOption = "en",
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the logs and the page.")] =
    Path("practice"),
) -> None:
    """Run OPERATION on a fresh mini-Nova and walk through its flow beside the log lines.

    Writes the raw service logs to DIR/logs and the walkthrough to DIR/walkthrough.html.
    Example: novatrace practice show unrescue -o practice/unrescue
    """
    from analyzer import practice  # noqa: PLC0415

    try:
        shown = practice.show(operation, output, driver=driver, style=log_style, lang=lang)
    except NovatraceError as error:
        _fail(error)
    text = practice.messages(lang)
    typer.echo(shown.text)
    typer.echo("")
    typer.echo(text("ui", "logs_in", dir=shown.run.log_dir))
    typer.echo(text("ui", "page_in", path=shown.page))
    typer.echo(text("ui", "run_hint", dir=shown.run.log_dir))


@app.command()
def quiz(
    seed: Annotated[int, typer.Option("--seed", help="Seed: the same seed asks the same questions.")] = 1,
    count: Annotated[int, typer.Option("--count", help="Number of questions.", min=1, max=16)] = 3,
    answer: Annotated[
        list[str] | None,
        typer.Option("--answer", help="OPERATION:LETTERS for a question (repeat, in order); no prompt."),
    ] = None,
    log_style: StyleOption = "2016",
    driver: DriverOption = "fake",
    lang: LangOption = "en",
) -> None:
    """Name the hidden operation of a generated log and order its steps; graded, with a score.

    Example: novatrace practice quiz --seed 7 --count 2 --answer pause:b,a,c --answer lock:a,b,c
    """
    from analyzer import practice  # noqa: PLC0415
    from analyzer.practice.catalog import catalogue  # noqa: PLC0415

    try:
        text = practice.messages(lang)
        if answer is not None and len(answer) != count:
            raise _input_error(f"--answer given {len(answer)} times for {count} questions")
        questions = practice.make_quiz(seed, count, style=log_style, driver=driver)
    except NovatraceError as error:
        _fail(error)
    choices = ", ".join(e.name for e in catalogue().exercises if not e.is_comparison)
    score = 0
    for question in questions:
        typer.echo(f"\n{text('quiz', 'question', number=question.number, count=len(questions))}")
        for line in question.lines:
            typer.echo(f"{line.number:>3} {line.service:<15} {line.text}")
        typer.echo(text("quiz", "which", choices=choices))
        if answer is not None:
            _show_steps(question, text)
            try:
                result = practice.grade(question, answer[question.number - 1])
            except NovatraceError as error:
                _fail(error)
        else:  # the operation first, then its steps are shown and put in order
            operation = _ask_until(text("quiz", "ask_operation"), lambda given: catalogue().find(given).name)
            _show_steps(question, text)
            letters = {step.letter for step in question.steps}
            order = _ask_until(text("quiz", "ask_order"),
                               lambda given, letters=letters: _letters(given, letters, text))
            result = practice.grade(question, f"{operation}:{order}")
        score += result.points
        typer.echo(practice.explain(question, result, text))
    typer.echo("\n" + text("quiz", "score", score=score, total=2 * len(questions)))


def _show_steps(question, text) -> None:
    typer.echo(text("quiz", "order", example="c,a,b"))
    for step in question.steps:
        typer.echo(f"  {step.letter}) {step.service}: {step.step}")


def _letters(given: str, letters: set[str], text) -> str:
    """The letters of an order answer; InputError unless each offered letter is there once."""
    order = "".join(ch for ch in given.lower() if ch.isalpha())
    if sorted(order) != sorted(letters):
        raise _input_error(text("quiz", "bad_order", letters=",".join(sorted(letters))))
    return order


def _ask_until(prompt: str, read):  # type: ignore[no-untyped-def]
    """Ask until ``read`` accepts the answer (it raises NovatraceError to ask again)."""
    while True:
        given = _ask(prompt)
        try:
            return read(given)
        except NovatraceError as error:
            typer.echo(str(error))


def _ask(prompt: str) -> str:
    if sys.stdin.isatty():
        return typer.prompt(prompt)
    line = sys.stdin.readline()  # answers piped in, one a line
    if not line:
        typer.echo("novatrace: error: no answer given (use --answer OPERATION:LETTERS)", err=True)
        raise typer.Exit(2)
    typer.echo(f"{prompt}: {line.strip()}")
    return line.strip()


def _input_error(message: str) -> NovatraceError:
    from analyzer.errors import InputError  # noqa: PLC0415

    return InputError(message)
