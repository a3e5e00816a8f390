#!/usr/bin/env python3
"""Instruction counts for the benchmark workloads, on machines without hardware counters.

The benchmark target measures instructions through perf events; a VM without a PMU (the
project's own) reports none. This runs the same workloads (Benchmarks/Workloads) in the
InstructionCounts executable under callgrind, which counts every user-space instruction the
workload executes, and holds each count to the baseline in Benchmarks/instructions.json.

  bench/instructions.py            check: fails on a rise beyond the tolerance
  bench/instructions.py --update   record the counts as the new baseline
  bench/instructions.py REGEX...   only the workloads whose names match

Counts are callgrind's Ir per iteration of the measured function only (set-up and one warm-up
run are not counted), with deterministic hashing so runs repeat to within a few instructions.
They are not the same figure as a hardware counter (callgrind counts each `rep movsb` step,
and valgrind hides CPU features such as AVX-512 from libc and libcrypto), so compare them only
with counts from this script. valgrind 3.20 or newer is needed (3.19 cannot read DWARF 5);
dev/fetch-valgrind.sh puts Debian 13's in .tools/ when the system's is older.
"""
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(ROOT, "Benchmarks", "instructions.json")
SCRATCH = os.path.join(ROOT, ".build-bench")
# The Swift function InstructionCounts runs the iterations in (its @_cdecl thunk is not on the path).
MEASURED = "$s17InstructionCounts8measuredys5Int32VSiF"
TOLERANCE_PERCENT = 5.0


def valgrind():
    """A valgrind >= 3.20: $VALGRIND, then .tools/valgrind, then PATH; fetched when none is."""
    candidates = []
    if os.environ.get("VALGRIND"):
        candidates.append(([os.environ["VALGRIND"]], {}))
    local = os.path.join(ROOT, ".tools", "valgrind", "usr")
    local_command = ([os.path.join(local, "bin", "valgrind.bin")], {"VALGRIND_LIB": os.path.join(local, "libexec", "valgrind")})
    candidates.append(local_command)
    if shutil.which("valgrind"):
        candidates.append(([shutil.which("valgrind")], {}))
    for command, env in candidates:
        if usable(command, env):
            return command, env
    subprocess.run(["bash", os.path.join(ROOT, "dev", "fetch-valgrind.sh")], check=True, stdout=subprocess.DEVNULL)
    if usable(*local_command):
        return local_command
    sys.exit("no valgrind 3.20 or newer: set VALGRIND=/path/to/valgrind, or run dev/fetch-valgrind.sh")


def usable(command, env):
    if not os.path.exists(command[0]):
        return False
    try:
        out = subprocess.run(command + ["--version"], env={**os.environ, **env}, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    match = re.match(r"valgrind-(\d+)\.(\d+)", out.strip())
    return bool(match) and (int(match.group(1)), int(match.group(2))) >= (3, 20)


def build():
    env = {**os.environ, "SCALEBRIDGE_BENCHMARKS": "1"}
    command = ["swift", "build", "-c", "release", "--scratch-path", SCRATCH, "--product", "InstructionCounts"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
    return os.path.join(SCRATCH, "release", "InstructionCounts")


def count(tool, binary, name, iterations):
    command, env = tool
    with tempfile.TemporaryDirectory() as directory:
        out = os.path.join(directory, "callgrind.out")
        result = subprocess.run(
            command + ["--tool=callgrind", "--collect-atstart=no", f"--toggle-collect={MEASURED}",
                       f"--callgrind-out-file={out}", binary, name, str(iterations)],
            env={**os.environ, **env, "SWIFT_DETERMINISTIC_HASHING": "1"}, capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{name}: exit {result.returncode}\n{result.stderr[-3000:]}")
        with open(out) as handle:
            totals = [line for line in handle if line.startswith("totals:")]
    total = int(totals[-1].split()[1]) if totals else 0
    if total == 0:
        raise RuntimeError(f"{name}: callgrind counted nothing in {MEASURED} (was the function renamed?)")
    return round(total / iterations)


def main(arguments):
    update = "--update" in arguments
    patterns = [re.compile(argument) for argument in arguments if argument != "--update"]
    tool = valgrind()
    binary = build()
    listed = subprocess.run([binary, "--list"], capture_output=True, text=True, check=True).stdout.split("\n")
    work = [(name, int(iterations)) for name, iterations in (line.split() for line in listed if line)]
    work = [entry for entry in work if not patterns or any(p.search(entry[0]) for p in patterns)]
    version = subprocess.run(tool[0] + ["--version"], env={**os.environ, **tool[1]}, capture_output=True, text=True).stdout.strip()
    print(f"instructions per iteration, callgrind ({version}), {len(work)} workloads")

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = {name: pool.submit(count, tool, binary, name, iterations) for name, iterations in work}
        counts = {name: future.result() for name, future in futures.items()}

    baseline = {}
    if os.path.exists(BASELINE):
        with open(BASELINE) as handle:
            baseline = json.load(handle)
    recorded = baseline.get("instructions", {})
    failures = []
    print(f"{'workload':42} {'now':>15} {'baseline':>15} {'change':>8}")
    for name, _ in work:
        now, before = counts[name], recorded.get(name)
        change = f"{(now - before) / before * 100:+.2f}%" if before else ""
        print(f"{name:42} {now:>15,} {f'{before:,}' if before else '-':>15} {change:>8}")
        if before is None:
            failures.append(f"{name}: no baseline (record one with bench/instructions.py --update)")
        elif now > before * (1 + TOLERANCE_PERCENT / 100):
            failures.append(f"{name}: {now:,} instructions, {change} over the baseline {before:,} (tolerance {TOLERANCE_PERCENT:g}%)")

    if update:
        recorded.update(counts)
        baseline = {
            "about": "callgrind Ir per iteration from bench/instructions.py; a rise beyond tolerance_percent fails make bench-check",
            "valgrind": version,
            "tolerance_percent": TOLERANCE_PERCENT,
            "instructions": dict(sorted(recorded.items())),
        }
        with open(BASELINE, "w") as handle:
            json.dump(baseline, handle, indent=2)
            handle.write("\n")
        print(f"baseline written: {os.path.relpath(BASELINE, ROOT)}")
        return 0
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    if not failures:
        print(f"all within {TOLERANCE_PERCENT:g}% of the baseline")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
