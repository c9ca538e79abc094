#!/usr/bin/env python3
"""Runs the four workloads with `cajal bench` and, when /usr/bin/python3 has torch, with
../shared/bench/torch_peer.py in the same run, then prints the ratios the performance targets
are stated in (cajal's best thread setting against torch's best of 1 and 2 threads).

    python3 bench/compare.py                 # all four, 1 epoch each
    python3 bench/compare.py mlp tiny --epochs 2 --json bench.json

Each program runs as its own process; its peak resident memory comes from the kernel (wait4),
the same way for both. Times drift on a shared machine: compare the ratios of one run.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAJAL = os.path.join(ROOT, "build", "cajal")
PEER = os.path.join(ROOT, "..", "shared", "bench", "torch_peer.py")
TORCH_PYTHON = "/usr/bin/python3"
WORKLOADS = ["mlp", "cnn", "lstm", "tiny"]
# The targets of the performance issue: time ratio at most (or speed ratio at least) this.
TARGETS = {"mlp": 0.5, "cnn": 0.5, "lstm": 0.5, "tiny": 50.0}


def run(command):
    """Runs a command that prints one JSON line; returns (result dict, peak resident bytes)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    out = process.stdout.read()
    err = process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"error: {' '.join(command)} failed ({process.returncode}):\n{err}")
    line = [l for l in out.splitlines() if l.startswith("{")][-1]
    return json.loads(line), usage.ru_maxrss * 1024


def torch_available():
    if not os.path.exists(TORCH_PYTHON) or not os.path.exists(PEER):
        return False
    check = subprocess.run([TORCH_PYTHON, "-c", "import torch"], capture_output=True)
    return check.returncode == 0


def measure(workload, threads, epochs, peer):
    if peer:
        command = [TORCH_PYTHON, PEER, workload, "--threads", str(threads), "--json"]
    else:
        command = [CAJAL, "bench", workload, "--threads", str(threads), "--json"]
    if workload != "tiny":
        command += ["--epochs", str(epochs)]
    result, peak = run(command)
    result["peak_resident_bytes"] = peak
    return result


def score(result):
    """Lower is better for both kinds: seconds per epoch, or seconds per step."""
    if result["workload"] == "tiny":
        return 1.0 / result["steps_per_second"]
    return result["seconds_per_epoch"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="*", help="mlp, cnn, lstm, tiny (default: all)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", help="also write every measurement to this file")
    args = parser.parse_args()
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        sys.exit(f"error: unknown workload {unknown[0]!r} (expected mlp, cnn, lstm or tiny)")
    if not os.path.exists(CAJAL):
        sys.exit("error: build/cajal is missing; run make build first")
    with_peer = torch_available()
    if not with_peer:
        print("torch is not installed for /usr/bin/python3: timing cajal alone "
              "(scripts/install-deps.sh --tools installs it)")

    rows, everything = [], []
    for workload in args.workloads or WORKLOADS:
        best = {}
        for peer in ([False, True] if with_peer else [False]):
            name = "torch" if peer else "cajal"
            for threads in args.threads:
                result = measure(workload, threads, args.epochs, peer)
                result["who"] = name
                everything.append(result)
                shown = (f"{result['steps_per_second']:.0f} steps/s" if workload == "tiny"
                         else f"{result['seconds_per_epoch']:.3f} s/epoch")
                print(f"  {workload:5} {name:5} {threads} thread(s): {shown}, "
                      f"peak {result['peak_resident_bytes'] / 2**20:.0f} MiB", flush=True)
                if name not in best or score(result) < score(best[name]):
                    best[name] = result
        rows.append((workload, best))

    print()
    print("| workload | cajal (best threads) | torch (best of 1, 2 threads) | ratio | target | "
          "memory cajal / torch |")
    print("|---|---|---|---|---|---|")
    for workload, best in rows:
        c = best["cajal"]
        t = best.get("torch")
        if workload == "tiny":
            cajal_text = f"{c['steps_per_second']:.0f} steps/s ({c['threads']})"
        else:
            cajal_text = f"{c['seconds_per_epoch']:.3f} s ({c['threads']})"
        if t is None:
            print(f"| {workload} | {cajal_text} | | | | |")
            continue
        if workload == "tiny":
            torch_text = f"{t['steps_per_second']:.0f} steps/s ({t['threads']})"
            ratio = c["steps_per_second"] / t["steps_per_second"]
            met = ratio >= TARGETS[workload]
            target = f">= {TARGETS[workload]:g}x"
        else:
            torch_text = f"{t['seconds_per_epoch']:.3f} s ({t['threads']})"
            ratio = c["seconds_per_epoch"] / t["seconds_per_epoch"]
            met = ratio <= TARGETS[workload]
            target = f"<= {TARGETS[workload]:g}"
        memory = c["peak_resident_bytes"] / t["peak_resident_bytes"]
        print(f"| {workload} | {cajal_text} | {torch_text} | {ratio:.2f} "
              f"{'met' if met else 'not met'} | {target} | {memory:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(everything, f, indent=1)


if __name__ == "__main__":
    main()
