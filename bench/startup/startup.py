#!/usr/bin/env python3
"""Startup benchmark: time from starting the AppHost (process runtime) to every resource healthy,
and the memory of the whole process tree once it is up.

Usage: bash bench/startup/run.sh [runs]   (default 5 runs; prints a table and the median)
The AppHost logs "OdooAspire stack ready: N resources healthy X s after the AppHost started";
this script starts it, waits for that line, measures memory, stops it, and repeats.
"""
import os
import re
import signal
import statistics
import subprocess
import sys
import time

READY = re.compile(r"OdooAspire stack ready: (\d+) resources healthy ([0-9.]+) s")
TIMEOUT_S = 240


def children_map():
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(pid))
    return children


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def tree(root, children):
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def stack_pids(apphost_pid):
    """The AppHost's own tree plus DCP's, which detaches but names the AppHost it monitors."""
    children = children_map()
    pids = set(tree(apphost_pid, children))
    for pid in list(children.keys()) + [p for ps in children.values() for p in ps]:
        if f"--monitor {apphost_pid}" in cmdline(pid) and "start-apiserver" in cmdline(pid):
            pids.update(tree(pid, children))
    return pids


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def category(pid):
    cmd = cmdline(pid)
    if "postgres" in cmd and "postgres.sh" not in cmd:
        return "postgresql (primary + replicas)"
    if "redis-server" in cmd:
        return "redis"
    if "/dcp " in cmd or cmd.endswith("/dcp") or "Aspire.Dashboard" in cmd or "OdooAspire.AppHost" in cmd:
        return "aspire (apphost, dcp, dashboard)"
    if "OdooAspire." in cmd:
        return ".NET services (gateway, router, stand-in)"
    if "odoo-bin" in cmd:
        return "odoo"
    return "other (scripts, monitors)"


def one_run(apphost_dll):
    env = dict(os.environ, ASPIRE_ALLOW_UNSECURED_TRANSPORT="true")
    proc = subprocess.Popen(
        ["dotnet", apphost_dll, "--OdooAspire:Runtime=Processes"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd="/tmp")
    deadline = time.monotonic() + TIMEOUT_S
    seconds = count = None
    try:
        for line in proc.stdout:
            m = READY.search(line)
            if m:
                count, seconds = int(m.group(1)), float(m.group(2))
                break
            if time.monotonic() > deadline:
                break
        if seconds is None:
            raise SystemExit(f"the stack was not healthy within {TIMEOUT_S} s")
        time.sleep(3)  # let the first health-check connections settle before measuring memory
        memory = {}
        for pid in stack_pids(proc.pid):
            memory[category(pid)] = memory.get(category(pid), 0) + pss_kib(pid)
        return count, seconds, memory
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        # DCP stops every child after the AppHost exits; wait for the servers to be gone.
        end = time.monotonic() + 60
        while time.monotonic() < end and stack_pids(proc.pid) - {proc.pid}:
            time.sleep(0.5)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    apphost_dll = sys.argv[2]
    results = []
    for i in range(runs):
        count, seconds, memory = one_run(apphost_dll)
        total = sum(memory.values())
        results.append((seconds, total, memory))
        print(f"run {i + 1}: {count} resources healthy in {seconds:.1f} s; stack memory (PSS) {total / 1024:.0f} MiB", flush=True)
    seconds = [r[0] for r in results]
    totals = [r[1] for r in results]
    print()
    print(f"time to all healthy: median {statistics.median(seconds):.1f} s (min {min(seconds):.1f}, max {max(seconds):.1f}) over {runs} runs")
    print(f"memory of the process tree (PSS): median {statistics.median(totals) / 1024:.0f} MiB")
    print("breakdown of the last run:")
    for name, kib in sorted(results[-1][2].items(), key=lambda kv: -kv[1]):
        print(f"  {name:45s} {kib / 1024:6.0f} MiB")


if __name__ == "__main__":
    main()
