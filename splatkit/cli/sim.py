"""``splatkit sim``: run a lockdep exercise (:mod:`splatkit.sim`) and print the report the kernel
would print, or with ``--selftest`` run the kernel's lockdep self-test cases and print its table."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import ParseError
from .io import read_input, say, write_stdout

HELP = "run a lockdep exercise (FILE, '-' for stdin) and print the kernel's report, or 'no report'"

#: The eras ``sim --era`` offers (splatkit.sim.ERAS, listed here to keep the import lazy).
ERA_NAMES = ("3.10", "4.19", "5.10", "6.9", "6.13")

#: Where ``sim --selftest`` looks for the self-test spec when --spec is not given.
SELFTEST_SPEC = Path("spec") / "locking-selftest.md"


def register(add) -> None:
    p = add("sim", HELP, cmd_sim, file_optional=True, seed_default=False)
    p.add_argument("--selftest", action="store_true",
                   help="run every case of the kernel's lockdep self-test and print its table (exit 1 on a "
                   "disagreement)")
    p.add_argument("--spec", metavar="PATH", help="the self-test spec (default: ../shared/spec/locking-selftest.md)")
    p.add_argument("--era", choices=ERA_NAMES, help="the kernel era to print the report in (default: the newest)")
    p.add_argument("--raw-lock-nesting", choices=("on", "off"),
                   help="CONFIG_PROVE_RAW_LOCK_NESTING (default: the era's; on for --selftest)")
    p.add_argument("--preempt-rt", action="store_true", help="CONFIG_PREEMPT_RT")


def selftest_spec(given: str | None) -> Path:
    """The self-test spec: --spec, else ``$SPLATKIT_SHARED/spec/``, else ``../shared/spec/`` beside
    the repository or the current directory."""
    if given:
        return Path(given)
    roots = [Path(os.environ["SPLATKIT_SHARED"])] if os.environ.get("SPLATKIT_SHARED") else []
    # (this file is splatkit/cli/sim.py: parents[2] is the repository, parents[3] beside it)
    roots += [Path(__file__).resolve().parents[3] / "shared", Path.cwd().parent / "shared",
              Path.cwd() / "shared"]
    for root in roots:
        if (root / SELFTEST_SPEC).is_file():
            return root / SELFTEST_SPEC
    raise ParseError("the self-test spec is not in ../shared/spec/ nor in $SPLATKIT_SHARED/spec/; "
                     "give it with --spec PATH/locking-selftest.md", source=str(SELFTEST_SPEC))


def _config(args: argparse.Namespace, era_name: str | None):
    from ..sim import ERAS, Config

    era = ERAS[era_name] if era_name else None
    raw = era.raw_lock_nesting if era else True
    if args.raw_lock_nesting is not None:
        raw = args.raw_lock_nesting == "on"
    return Config(raw_lock_nesting=raw, preempt_rt=args.preempt_rt)


def cmd_sim(args: argparse.Namespace) -> int:
    """Run an exercise and print the first report (or ``no report``); or run the self-test."""
    from ..sim import cases_for, read_cases, render_table, run, run_cases

    if args.selftest:
        config = _config(args, None)
        outcomes = run_cases(cases_for(read_cases(selftest_spec(args.spec)), config), config)
        write_stdout(render_table(outcomes))
        for outcome in outcomes:
            if not outcome.agrees:
                say(f"{args.spec or 'locking-selftest.md'}:{outcome.case.line_no}: disagrees: {outcome.why}")
        return 0 if all(o.agrees for o in outcomes) else 1
    if args.file is None:
        raise ParseError("give an exercise FILE ('-' for standard input), or --selftest", source="splatkit sim")
    name, text = read_input(args.file, args.max_mb)
    result = run(text, era=args.era, config=_config(args, args.era), source=name)
    for note in result.notes:
        say(f"{name}: note: {note}")
    write_stdout(result.text if result.text is not None else "no report\n")
    return 0
