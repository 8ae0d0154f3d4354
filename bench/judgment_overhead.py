"""What judging an action costs a Check (issue #4): 50 enforced CEL policies for the
tenant (most scoped to other actions, three to the checked one, two unscoped, one shadow
policy that matches) plus a 2,000-character reasoning text (scored by the deliberation
guard when that plugin is installed), against the same Check without policies and
without reasoning, on the same server process in the same run, SQLite and PostgreSQL.

    python bench/judgment_overhead.py [--duration 5] [--concurrency 8,64]
                                      [--backends sqlite,postgresql] [--rounds 3] [--split]

Each point is ``--rounds`` plain/judged pairs measured back to back, judged on the median
ratio (the machine's speed drifts over minutes).

Both tenants live on one server (built-in plugins, so the semantic guard runs for both):
``bench`` has no policies, ``judged`` has the 50. Issue #4's target: ratio >= 0.70.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import pathlib
import statistics
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from check_throughput import (  # noqa: E402
    bastion,
    bastion_cli,
    builtin_plugins,
    machine,
    measure,
    print_point,
)

TARGET = 0.70
CHECKED = "tool.shell.exec"  # the load generator's action


def policies() -> list[tuple[str, str, str, str]]:
    """(id, effect, mode, expression): 50 enforced plus one shadow policy."""
    out = []
    for n in range(40):
        out.append((f"svc-{n}", "deny", "enforce",
                    f'action == "svc{n}.write" && attributes.size > {n * 10}'))
    for n in range(5):
        out.append((f"family-{n}", "review", "enforce",
                    f'action.startsWith("family{n}.") && agent == "intern-{n}"'))
    out += [
        ("shell-retries", "review", "enforce",
         f'action == "{CHECKED}" && has(attributes.attempt) && attributes.attempt > 10'),
        ("shell-rm", "deny", "enforce",
         f'action in ["{CHECKED}", "tool.shell.spawn"] && has(attributes.cmd) '
         '&& attributes.cmd.contains("rm -rf")'),
        ("shell-root", "deny", "enforce", f'action == "{CHECKED}" && resource == "/"'),
        ("blocked-agents", "deny", "enforce", 'agent in ["agent-666", "agent-667"]'),
        ("huge-requests", "review", "enforce", "usage.exists(k, usage[k] > 1e9)"),
        ("watch-deploys", "review", "shadow",
         f'action == "{CHECKED}" && has(attributes.cmd) && attributes.cmd.startsWith("make")'),
    ]
    return out


def add_policies(env: dict[str, str]) -> None:
    """Through the CLI, in this process (one interpreter start for all 51)."""
    from bastion.runtime import cli

    os.environ.update(env)
    for policy_id, effect, mode, expression in policies():
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["policy", "add", "--tenant", "judged", "--id", policy_id,
                             "--effect", effect, "--mode", mode, "--expression", expression])
        if code != 0:
            raise SystemExit(f"could not add policy {policy_id}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--concurrency", default="8,64")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3,
                        help="plain/judged pairs per point, back to back; the verdict is on "
                             "their median ratio")
    parser.add_argument("--split", action="store_true",
                        help="also measure each half alone: the policies (judged tenant, no "
                             "reasoning) and the scoring (policy-free tenant, reasoning)")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    print(f"machine: {machine()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            with bastion(backend, pathlib.Path(tmp), None,
                         [["tenant", "create", "judged"]]) as (pid, target, token, info):
                # The server's plugins (an installed example plugin would want its tables).
                env = dict(info["env"],
                           BASTION_PLUGINS=",".join(builtin_plugins()))
                judged = bastion_cli(env, "key", "create", "--tenant", "judged",
                                     "--role", "agent")["token"]
                add_policies(env)
                for c in levels:
                    pairs = []
                    for _ in range(args.rounds):
                        without = measure(f"{backend}-plain", pid, target, token, c,
                                          args.warmup, args.duration, "plain")
                        with_ = measure(f"{backend}-judged", pid, target, judged, c,
                                        args.warmup, args.duration, "judgment")
                        print_point(without)
                        print_point(with_)
                        pairs.append((without, with_))
                    rows.append((backend, c, pairs))
                    if args.split:
                        for name, key, request in (("policies-only", judged, "plain"),
                                                   ("reasoning-only", token, "judgment")):
                            half = measure(f"{backend}-{name}", pid, target, key, c,
                                           args.warmup, args.duration, request)
                            print_point(half)
                            print(f"    {name}: ratio {half.rps / without.rps:.2f}, "
                                  f"+{half.cpu_us - without.cpu_us:.0f} µs CPU per Check",
                                  flush=True)
    print("\n| backend | c | rps without | rps with | ratio (target >= 0.70) | "
          "CPU µs without | CPU µs with |")
    print("|---|---|---|---|---|---|---|")
    for backend, c, pairs in rows:
        for without, with_ in pairs:
            ratio = with_.rps / without.rps if without.rps else 0.0
            print(f"| {backend} | {c} | {without.rps:.0f} | {with_.rps:.0f} | {ratio:.2f} | "
                  f"{without.cpu_us:.0f} | {with_.cpu_us:.0f} |")
    print()
    for backend, c, pairs in rows:
        ratio = statistics.median(w.rps / o.rps if o.rps else 0.0 for o, w in pairs)
        print(f"{backend} c={c}: ratio {ratio:.2f} (median of {len(pairs)}; target >= "
              f"{TARGET:.2f}) {'ok' if ratio >= TARGET else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
