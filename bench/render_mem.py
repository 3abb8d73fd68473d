"""Run a command and measure it with every process it starts (a browser too).

    python3 render_mem.py [--marks 100,2000] -- COMMAND...

Reads the command's stdout (one record per line, thrown away), and prints one JSON
object: wall seconds, lines, and the peak over 100 ms samples of the whole process
tree's memory, both summed RSS and summed PSS (PSS shares each shared page among the
processes that map it, so a browser's many processes are not counted several times
over). With --marks, also the tree's memory without the root process (the browser and
its helpers) when the Nth line arrives, for each N.
"""
import json
import os
import subprocess
import sys
import threading
import time


def children_map():
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def tree(root):
    kids = children_map()
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def mem_kb(pid):
    """(rss, pss) in kB; zeros for a process that is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def measure(pids):
    rss = pss = 0
    for p in pids:
        r, s = mem_kb(p)
        rss += r
        pss += s
    return rss, pss


def main():
    args = sys.argv[1:]
    marks = set()
    if args and args[0] == "--marks":
        marks = {int(m) for m in args[1].split(",") if m}
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    start = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    peak = {"rss": 0, "pss": 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            rss, pss = measure(tree(proc.pid))
            peak["rss"] = max(peak["rss"], rss)
            peak["pss"] = max(peak["pss"], pss)
            time.sleep(0.1)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    lines = 0
    at = {}
    for _ in proc.stdout:
        lines += 1
        if lines in marks:
            rss, pss = measure([p for p in tree(proc.pid) if p != proc.pid])
            at[str(lines)] = {"rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1)}
    code = proc.wait()
    wall = time.monotonic() - start
    done.set()
    t.join()
    print(json.dumps({
        "exit": code,
        "wall_s": round(wall, 2),
        "lines": lines,
        "pages_per_s": round(lines / wall, 2) if wall else None,
        "peak_rss_mb": round(peak["rss"] / 1024, 1),
        "peak_pss_mb": round(peak["pss"] / 1024, 1),
        "without_root_at": at,
    }))


main()
