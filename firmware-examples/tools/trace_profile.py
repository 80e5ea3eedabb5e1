#!/usr/bin/env python3
"""Exact instruction counts per function of a firmware run under QEMU, from its execution trace.

    python3 firmware-examples/tools/trace_profile.py ELF [--top 25]

Runs the ELF on mps2-an386 with `-singlestep -d exec,nochain` (every translation block is one
instruction and every execution of one is logged), attributes each executed instruction to the
function whose symbol covers its address (arm-none-eabi-nm), and prints per function: executed
instructions, calls (executions of its first instruction) and instructions per call. A cross-check
of the -icount/SysTick figures of the bench firmware, exact to the instruction."""
import argparse
import bisect
import collections
import os
import subprocess
import sys
import tempfile
import threading


def symbols(elf):
    out = subprocess.run(["arm-none-eabi-nm", "-S", "-C", "--defined-only", elf], capture_output=True, text=True, check=True)
    syms = []
    for line in out.stdout.splitlines():
        parts = line.split(maxsplit=3)
        if len(parts) == 4 and parts[2].lower() in "tw":
            syms.append((int(parts[0], 16) & ~1, int(parts[1], 16), parts[3]))
    syms.sort()
    # Monomorphised copies share a demangled name: tell them apart by address.
    seen = collections.Counter(name for _, _, name in syms)
    return [(a, n, f"{name} @{a:#x}" if seen[name] > 1 else name) for a, n, name in syms]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("elf")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--qemu-args", default="-icount shift=0")
    ap.add_argument("--annotate", metavar="NAME", help="also list the disassembly of functions whose name contains NAME, with execution counts")
    a = ap.parse_args()
    syms = symbols(a.elf)
    starts = [s[0] for s in syms]
    counts = collections.Counter()
    with tempfile.TemporaryDirectory() as d:
        fifo = os.path.join(d, "trace")
        os.mkfifo(fifo)
        cmd = ["qemu-system-arm", "-M", "mps2-an386", "-cpu", "cortex-m4", "-nographic", "-monitor", "none",
               "-serial", "none", "-semihosting-config", "enable=on,target=native", *a.qemu_args.split(),
               "-singlestep", "-d", "exec,nochain", "-D", fifo, "-kernel", a.elf]
        q = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        output = []
        t = threading.Thread(target=lambda: output.extend(q.stdout))
        t.start()
        with open(fifo) as f:
            for line in f:
                if line.startswith("Trace"):
                    counts[int(line.split("/", 2)[1], 16)] += 1
        rc = q.wait()
        t.join()
    sys.stdout.write("".join(output))
    per_fn = collections.Counter()
    calls = collections.Counter()
    for pc, n in counts.items():
        i = bisect.bisect_right(starts, pc) - 1
        name = syms[i][2] if i >= 0 and pc < syms[i][0] + max(syms[i][1], 2) else f"?{pc:#x}"
        per_fn[name] += n
        if i >= 0 and pc == syms[i][0]:
            calls[name] += n
    print(f"firmware exit status {rc}; {sum(counts.values())} instructions executed")
    print(f"{'instructions':>12} {'calls':>7} {'per call':>9}  function")
    for name, n in per_fn.most_common(a.top):
        c = calls.get(name, 0)
        print(f"{n:>12} {c:>7} {n / c if c else float('nan'):>9.1f}  {name}")
    if a.annotate:
        for start, size, name in syms:
            if a.annotate not in name:
                continue
            calls_ = max(counts.get(start, 0), 1)
            print(f"\n{name}: executions per call of each instruction")
            dis = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", f"--start-address={start:#x}",
                                  f"--stop-address={start + size:#x}", a.elf], capture_output=True, text=True).stdout
            for line in dis.splitlines():
                head = line.split(":", 1)
                try:
                    pc = int(head[0].strip(), 16)
                except ValueError:
                    continue
                print(f"{counts.get(pc, 0) / calls_:>8.2f} {line}")


if __name__ == "__main__":
    main()
