"""The quiz: a generated Nova log with its operation hidden; name the operation and order its steps.

Questions are replayed on mini-Nova (one instance each, its prerequisites first), so the
lines are the ones Nova writes; each question shows the lines of its hidden operation's
request and the instance's lifecycle events, merged by time from all services, with
periodic-task noise (noise.yaml) mixed in.  A seed picks the exercises, the steps asked
about, their letters, the noise, a new instance id and request ids, and stretches the
timings, all through one random.Random(seed).  The answer key comes from `novatrace
check` on the replayed logs: the steps as their lines show them.
"""

from __future__ import annotations

import random
import re
import tempfile
import uuid as uuidlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml

import analyzer
from analyzer.errors import InputError
from analyzer.lifecycle import check
from analyzer.practice.catalog import Exercise, Messages, catalogue
from analyzer.practice.runner import STYLE_CHOICES, _driver, run_operations

__all__ = ["Grade", "Question", "QuizLine", "QuizStep", "explain", "grade", "make_quiz"]

# mini-Nova's state directory (a temporary one) where a compute host keeps its instances
_STATE_DIR = re.compile(r"/[^\s'\"]*?/mini-nova-[^/\s]+/[^/\s]+/")
_REQUEST = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HOST = "compute1"  # mini-Nova's one compute host: the noise speaks of the host the log is from
_SERVICES = ("nova-api", "nova-conductor", "nova-scheduler", "nova-compute")
_PERIODIC_TASKS = ("_sync_power_states", "_poll_rebooting_instances", "_instance_usage_audit",
                   "_poll_volume_usage", "_heal_instance_info_cache", "update_available_resource",
                   "_cleanup_running_deleted_instances", "_poll_unconfirmed_resizes")


@dataclass(frozen=True)
class QuizLine:
    number: int
    service: str
    text: str
    noise: bool = False


@dataclass(frozen=True)
class QuizStep:
    letter: str
    step: str
    service: str
    line: int  # the first displayed line that shows it


@dataclass
class Question:
    number: int
    exercise: str
    flow: str
    lines: list[QuizLine]
    steps: list[QuizStep]  # in letter order (a, b, c …), i.e. shuffled
    order: str  # the letters in the order the steps happen

    @property
    def answer(self) -> str:
        """The right answer, as `--answer` takes it."""
        return f"{self.exercise}:{','.join(self.order)}"


@dataclass(frozen=True)
class Grade:
    operation_right: bool
    order_right: bool
    given_operation: str
    given_order: str

    @property
    def points(self) -> int:
        return int(self.operation_right) + int(self.order_right)


@lru_cache(maxsize=1)
def _noise() -> list[dict[str, str]]:
    path = Path(__file__).parent / "noise.yaml"
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def _uuid(rng: random.Random) -> str:
    return str(uuidlib.UUID(int=rng.getrandbits(128), version=4))


def make_quiz(seed: int, count: int = 3, style: str = "2016", driver: str = "fake",
              work_dir: str | Path | None = None) -> list[Question]:
    """``count`` questions for ``seed``: the same seed asks the same things."""
    if count < 1:
        raise InputError("--count must be at least 1")
    if style not in STYLE_CHOICES:
        raise InputError(f"unknown log style {style!r}; choose one of {', '.join(STYLE_CHOICES)}")
    driver = _driver(driver)
    rng = random.Random(seed)
    pool = [exercise for exercise in catalogue().exercises if not exercise.is_comparison]
    picks = rng.sample(pool, min(count, len(pool))) + [rng.choice(pool) for _ in range(count - len(pool))]
    steps = [(op, f"q{number}", None) for number, exercise in enumerate(picks, 1) for op in exercise.scenario]
    with tempfile.TemporaryDirectory(prefix="novatrace-quiz-", dir=work_dir) as tmp:
        log_dir = Path(tmp) / "logs"
        _, servers, _ = run_operations(steps, log_dir, style, driver, f"quiz-{seed}")
        result = check([log_dir])
        frame = analyzer.parse_logs([log_dir])
        files = {path: path.read_text(encoding="utf-8").splitlines() for path in log_dir.glob("*.log")}
        seeds = [rng.getrandbits(64) for _ in picks]
        return [_question(number, exercise, servers[f"q{number}"], result, frame, files, style, seed)
                for number, (exercise, seed) in enumerate(zip(picks, seeds, strict=True), 1)]


def _question(number: int, exercise: Exercise, server: str, result, frame, files, style: str,
              seed: int) -> Question:
    """One question; what is asked comes from one generator, how the log looks from another."""
    ask, look = random.Random(seed), random.Random(seed + 1)
    flow = catalogue().flow_name(exercise.practise[-1], style)
    checked = [c for c in result.checked if c.operation.instance == server and c.flow.name == flow][-1]
    # the steps asked about: a seeded choice among the steps seen, taken in the flow's order
    # (not the log's: two replays may log concurrent lines either way round) and lettered in a
    # seeded order, so the same seed asks the same of every replay.  The API's async steps (its
    # access line, written as the response goes out while compute is already at work) are left
    # out: their place among compute's lines is a race, not something to learn.
    names: list[tuple[str, str]] = []
    first: dict[str, tuple[str, int]] = {}
    for seen in sorted(checked.steps, key=lambda s: s.record.order):
        if seen.step.name not in first:
            first[seen.step.name] = (seen.record.source, seen.record.line)
    for step in checked.flow.steps:
        racing = step.unordered and step.service == "nova-api"
        if step.name in first and not racing and (step.name, step.service) not in names:
            names.append((step.name, step.service))
    size = min(len(names), ask.randint(3, 5))
    chosen = [names[i] for i in sorted(ask.sample(range(len(names)), size))]
    ask.shuffle(chosen)
    # the lines: the request's own and the steps' (lifecycle events carry no request id)
    wanted = set(first.values()) | {(r.source, r.line) for r in (seen.record for seen in checked.steps)}
    if checked.operation.request_id:
        rows = frame[frame.request_id == checked.operation.request_id]
        wanted |= set(zip(rows.source, rows.line.astype(int), strict=True))
    picked = frame[[(s, int(n)) in wanted for s, n in zip(frame.source, frame.line, strict=True)]]
    # a new instance, new request ids, and timings stretched by the seed
    instance = _uuid(look)
    requests: dict[str, str] = {}
    start = picked.time.iloc[0].to_pydatetime()
    year = 2016 if style == "2016" else 2024
    base = datetime(year, look.randint(1, 12), look.randint(1, 28), look.randint(0, 23), look.randint(0, 59),
                    look.randint(0, 59), look.randint(0, 999) * 1000, UTC)
    stretch = look.uniform(3.0, 25.0)

    def new_request(match: re.Match[str]) -> str:
        if match.group(0) not in requests:
            requests[match.group(0)] = f"req-{_uuid(look)}"
        return requests[match.group(0)]

    def renamed(text: str) -> str:
        text = _STATE_DIR.sub("/opt/stack/data/nova/", text.replace(server, instance))
        return _REQUEST.sub(new_request, text)

    pids = {service: str(look.randint(2000, 40000)) for service in _SERVICES}
    entries: list[tuple[datetime, str, str, tuple[str, int] | None]] = []
    for row in picked.itertuples():  # in the parse's merge order: by time
        raw = files[Path(row.source)][int(row.line) - 1]
        moment = base + (row.time.to_pydatetime() - start) * stretch
        _, rest = raw[24:].split(" ", 1)  # after the time: pid, then level, logger, context, message
        text = f"{_stamp(moment)} {pids.get(row.service, '1')} {renamed(rest)}"
        entries.append((moment, row.service, text, (row.source, int(row.line))))
    span = (entries[-1][0] - entries[0][0]).total_seconds()
    for _ in range(look.randint(3, 7)):
        template = look.choice(_noise())
        moment = base + timedelta(seconds=look.uniform(-2.0, span + 2.0))
        entries.append((moment, template["service"], _noise_line(template, moment, style, pids, look), None))
    entries.sort(key=lambda entry: entry[0])  # stable: the log's own lines keep their order
    lines = [QuizLine(n, service, text, origin is None)
             for n, (_, service, text, origin) in enumerate(entries, 1)]
    shown = {origin: n for n, (_, _, _, origin) in enumerate(entries, 1) if origin is not None}
    letters = "abcdefgh"
    steps = [QuizStep(letters[i], name, service, shown[first[name]])
             for i, (name, service) in enumerate(chosen)]
    truth = "".join(step.letter for step in sorted(steps, key=lambda step: step.line))
    return Question(number, exercise.name, flow, lines, steps, truth)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:23]


def _noise_line(template: dict[str, str], moment: datetime, style: str, pids: dict[str, str],
                rng: random.Random) -> str:
    vcpus = rng.choice((4, 8, 16, 32))
    ram = rng.choice((8192, 16048, 32110, 64302))
    image = _uuid(rng)
    values = {"node": _HOST, "image": image,
              "base": f"/opt/stack/data/nova/instances/_base/{rng.getrandbits(160):040x}",
              "vcpus": vcpus, "used_vcpus": rng.randint(0, vcpus), "ram": ram,
              "used_ram": rng.randint(512, ram // 2), "disk": rng.choice((40, 200, 450)),
              "used_disk": rng.randint(0, 40), "task": rng.choice(_PERIODIC_TASKS)}
    context = f"[req-{_uuid(rng)} - - - - -]" if style == "2016" else f"[None req-{_uuid(rng)} - - - - - -]"
    pid = pids[template["service"]]
    return (f"{_stamp(moment)} {pid} {template['level']} {template['logger']} {context} "
            f"{template['text'].format(**values)}")


def grade(question: Question, answer: str) -> Grade:
    """Grade ``answer`` ("OPERATION:LETTERS", e.g. "pause:b,a,c"); InputError when it cannot be read."""
    if ":" not in answer:
        raise InputError(f"cannot read the answer {answer!r}; expected OPERATION:LETTERS, e.g. pause:b,a,c")
    given, _, letters = answer.partition(":")
    try:
        operation = catalogue().find(given).name
    except InputError as error:
        raise InputError(f"cannot read the answer {answer!r}: {error}") from None
    order = "".join(ch for ch in letters.lower() if ch.isalpha())
    return Grade(operation == question.exercise, order == question.order, operation, order)


def explain(question: Question, result: Grade, text: Messages) -> str:
    """Why the answer is right or wrong: the operation, and the steps with their lines."""
    out = [text("quiz", "right_operation" if result.operation_right else "wrong_operation",
                operation=question.exercise, given=result.given_operation),
           text("quiz", "right_order" if result.order_right else "wrong_order",
                order=",".join(question.order), given=",".join(result.given_order) or "-"),
           text("quiz", "explain")]
    by_letter = {step.letter: step for step in question.steps}
    for letter in question.order:
        step = by_letter[letter]
        explanation = text.step(question.flow, step.step) or step.step
        out.append(f"  {letter}) {step.step} ({step.service}), #{step.line}: {explanation}")
    return "\n".join(out)
