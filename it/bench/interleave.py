#!/usr/bin/env python3
"""Times commands interleaved: round after round, every variant once per round, in a shuffled order.

On a shared machine the load changes from second to second; interleaving gives every variant the same
share of it, so their figures compare even when the absolute numbers drift. For each run it records the
wall-clock time and the CPU time of the process tree (user + sys, from wait4), and prints per variant
the median, the 10th and 90th percentiles, the minimum (closest to an idle machine) and the median CPU
time.

Usage: interleave.py SPEC.json RUNS WARMUP
SPEC.json: [{"name": "...", "argv": [...], "cwd": "...", "env": {...}, "stdin": "path or null",
             "ok_exit": [0, 1]}, ...]
"""
import json
import os
import random
import statistics
import sys
import time


def run_once(v):
    stdin = os.open(v["stdin"] or os.devnull, os.O_RDONLY)
    devnull = os.open(os.devnull, os.O_WRONLY)
    start = time.perf_counter_ns()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(v.get("cwd") or ".")
            os.dup2(stdin, 0)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.execve(v["argv"][0], v["argv"], v["env"])
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = (time.perf_counter_ns() - start) / 1e6
    os.close(stdin)
    os.close(devnull)
    code = os.waitstatus_to_exitcode(status)
    if code not in v.get("ok_exit", [0]):
        sys.exit(f"interleave: {v['name']} exited {code}: {v['argv']}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def main():
    spec = json.load(open(sys.argv[1]))
    runs, warmup = int(sys.argv[2]), int(sys.argv[3])
    wall = {v["name"]: [] for v in spec}
    cpu = {v["name"]: [] for v in spec}
    for r in range(warmup + runs):
        order = list(spec)
        random.shuffle(order)
        for v in order:
            w, c = run_once(v)
            if r >= warmup:
                wall[v["name"]].append(w)
                cpu[v["name"]].append(c)
    print(f"| {'variant':<44} | {'median ms':>9} | {'p10 ms':>7} | {'p90 ms':>7} | {'min ms':>7} | "
          f"{'CPU median ms':>13} |")
    print(f"|{'-' * 46}|{'-' * 11}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 15}|")
    for v in spec:
        n = v["name"]
        xs = sorted(wall[n])
        p10 = xs[max(0, int(len(xs) * 0.1) - 1)]
        p90 = xs[min(len(xs) - 1, int(len(xs) * 0.9))]
        print(f"| {n:<44} | {statistics.median(xs):9.1f} | {p10:7.1f} | {p90:7.1f} | {xs[0]:7.1f} | "
              f"{statistics.median(cpu[n]):13.1f} |")


if __name__ == "__main__":
    main()
