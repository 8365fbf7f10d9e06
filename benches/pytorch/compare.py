#!/usr/bin/env python3
"""constnet against PyTorch, side by side: one thread, one pinned CPU, the same minutes.

Times the workloads of `benches/common/mod.rs` in PyTorch (torch.set_num_threads(1), the
process pinned to one CPU with os.sched_setaffinity, the minimum of many calls after a
warm-up) and, interleaved with them, in constnet: for every workload, each round runs PyTorch
and then each constnet driver binary as a subprocess (`<binary> <workload> <times>`, the
driver of `benches/profile.rs`, pinned to the same CPU), and keeps the minimum of each over
all rounds. It also runs the FMA peak workload (the widest instruction set the CPU has, chosen
at run time, whatever the build flags) and prints one markdown table: each workload's time in
PyTorch and in each constnet build, the ratio PyTorch time / constnet time (> 1: constnet
faster) and each one's percentage of the measured peak, with the CPU model, the instruction
set the peak used, and what each binary reports about its build.

The script installs nothing. It needs torch, and torchvision for the ResNets, from the Python
package registry (`pip install torch torchvision`), and constnet's driver binaries:

    cargo bench -p constnet-benches --bench profile --no-run    # the repo build
    (cd benches/dependent && cargo build --release)  # a dependent crate's build
    python3 benches/pytorch/compare.py                          # both, found automatically

Options:
    --bin LABEL=PATH   a constnet driver to run (repeatable; default: the newest
                       target/release/deps/profile-<hash> as "repo" and
                       benches/dependent/target/release/constnet-dependent as "dependent",
                       whichever exist)
    --only W2f,W5      only these workloads (default: all of WORKLOADS below; `layers`
                       adds ResNet-18's convolutions one by one, R18_LAYERS)
    --rounds N         interleaved rounds (default 3)
    --budget S         seconds of timed calls per workload, side and round (default 0.3)
    --cpu N            the CPU to pin to (default: the last one allowed)

FLOP counts (2 per multiply-add) come from the constnet driver, so both sides are measured
against the same number; the ResNets count convolutions and dense layers only.
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# name -> what, as in benches/common/mod.rs
WORKLOADS = {
    "W1a": "LeNet-5 training step (fwd, softmax-CE, bwd, SGD), N=1",
    "W1b": "LeNet-5 training step (fwd, softmax-CE, bwd, SGD), N=64",
    "W2f": "Conv2d 64→64 k3 p1, 32×32, N=1, forward",
    "W2b": "Conv2d 64→64 k3 p1, 32×32, N=1, forward+backward",
    "W3": "ResNet basic block 64ch 32×32, N=8, BN training, forward+backward",
    "W4": "depthwise 3×3 + pointwise 1×1, 128ch 56×56, N=1, forward",
    "W5": "ConvTranspose2d 64→32 k4 s2 p1, 16×16→32×32, forward+backward",
    "W6": "MaxPool2d 2×2, 64×56×56, forward+backward",
    "R18i": "ResNet-18 inference, 224×224, N=1",
    "R50i": "ResNet-50 inference, 224×224, N=1",
    "R18t": "ResNet-18 training step (SGD), 224×224, N=8",
}

# ResNet-18's convolutions one at a time (forward, no bias, N=1): where R18i's time goes.
# Run only when named (`--only r18_s4,r18_s1`, or `--only layers` for all of them).
# name -> (in channels, out channels, kernel, stride, padding, input size)
R18_LAYERS = {
    "r18_stem": (3, 64, 7, 2, 3, 224),
    "r18_s1": (64, 64, 3, 1, 1, 56),
    "r18_s2a": (64, 128, 3, 2, 1, 56),
    "r18_s2": (128, 128, 3, 1, 1, 28),
    "r18_s3a": (128, 256, 3, 2, 1, 28),
    "r18_s3": (256, 256, 3, 1, 1, 14),
    "r18_s4a": (256, 512, 3, 2, 1, 14),
    "r18_s4": (512, 512, 3, 1, 1, 7),
    "r18_d2": (64, 128, 1, 2, 0, 56),
    "r18_d3": (128, 256, 1, 2, 0, 28),
    "r18_d4": (256, 512, 1, 2, 0, 14),
}


# ---------------------------------------------------------------------------------------------
# The PyTorch side. Each builder returns (step, prepare): `step()` is timed, `prepare()` runs
# before each timed call, untimed (it clears gradients, as constnet restores overwritten
# inputs outside its timed region).


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def train_step(model, x, classes):
    """Training forward, softmax cross-entropy, backward, plain SGD update (as
    `Workspace::train_step` with `PlainSgd`): what constnet's W1a/W1b/R18t time."""
    model.train()
    labels = torch.tensor([(i * 7) % classes for i in range(x.shape[0])])
    opt = torch.optim.SGD(model.parameters(), lr=1e-6)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), labels).backward()
        opt.step()

    return step, None


def forward_backward(module, x, train=True):
    """Training forward, then backward with the input gradient and the parameter gradients (as
    constnet's `LayerRun` with `backward = true`)."""
    module.train(train)
    x = x.clone().requires_grad_(True)
    with torch.no_grad():
        dy = torch.randn_like(module(x))

    def prepare():
        x.grad = None
        module.zero_grad(set_to_none=True)

    def step():
        module(x).backward(dy)

    return step, prepare


def inference(module, x):
    module.eval()

    def step():
        with torch.inference_mode():
            module(x)

    return step, None


def torch_workload(name):
    import importlib

    r = torch.randn
    if name == "W1a":
        return train_step(lenet5(), r(1, 1, 28, 28), 10)
    if name == "W1b":
        return train_step(lenet5(), r(64, 1, 28, 28), 10)
    if name == "W2f":
        return inference(nn.Conv2d(64, 64, 3, padding=1), r(1, 64, 32, 32))
    if name == "W2b":
        return forward_backward(nn.Conv2d(64, 64, 3, padding=1), r(1, 64, 32, 32))
    if name == "W4":
        dwpw = nn.Sequential(
            nn.Conv2d(128, 128, 3, padding=1, groups=128, bias=False),
            nn.Conv2d(128, 128, 1, bias=False),
        )
        return inference(dwpw, r(1, 128, 56, 56))
    if name == "W5":
        return forward_backward(nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), r(1, 64, 16, 16))
    if name == "W6":
        return forward_backward(nn.MaxPool2d(2), r(1, 64, 56, 56))
    if name in R18_LAYERS:
        ci, co, k, st, p, h = R18_LAYERS[name]
        return inference(nn.Conv2d(ci, co, k, stride=st, padding=p, bias=False), r(1, ci, h, h))
    tv = importlib.import_module("torchvision.models")
    if name == "W3":
        # conv3×3, BN, ReLU, conv3×3, BN, + x, ReLU: constnet's `BasicBlock<64>`
        return forward_backward(tv.resnet.BasicBlock(64, 64), r(8, 64, 32, 32))
    if name == "R18i":
        return inference(tv.resnet18(), r(1, 3, 224, 224))
    if name == "R50i":
        return inference(tv.resnet50(), r(1, 3, 224, 224))
    if name == "R18t":
        return train_step(tv.resnet18(), r(8, 3, 224, 224), 1000)
    raise KeyError(name)


def time_calls(step, prepare, budget):
    """Minimum time of one call, in seconds, after a warm-up (1 to 3 calls, within `budget`),
    over calls filling `budget` seconds (at least 2)."""
    spent = 0.0
    for _ in range(3):
        if prepare:
            prepare()
        t0 = time.perf_counter()
        step()
        spent += time.perf_counter() - t0
        if spent > budget:
            break
    best, spent, calls = float("inf"), 0.0, 0
    while calls < 2 or (spent < budget and calls < 20000):
        if prepare:
            prepare()
        t0 = time.perf_counter()
        step()
        t = time.perf_counter() - t0
        best, spent, calls = min(best, t), spent + t, calls + 1
    return best


# ---------------------------------------------------------------------------------------------
# The constnet side: the profile driver prints
#   build: compiled for target features [...]
#   peak isa: avx512f (...)                      (peak only)
#   <name>: min <t> µs (<g> GFLOP/s), median <t> µs, <n> FLOP  — <what>
# and possibly other lines about the kernels' instruction set (kept as reported).

LINE = re.compile(r"^\s*(\S+): min\s+([\d.]+) µs .*median\s+([\d.]+) µs, (\d+) FLOP")


def run_driver(binary, name, times):
    out = subprocess.run([binary, name, str(times)], capture_output=True, text=True, check=True)
    info, result = [], None
    for line in out.stdout.splitlines():
        m = LINE.match(line)
        if m and m.group(1) == name:
            result = (float(m.group(2)) * 1e-6, int(m.group(4)))
        elif line.strip():
            info.append(line.strip())
    if result is None:
        raise RuntimeError(f"{binary} {name}: no timing line in {out.stdout!r}")
    return result[0], result[1], info


def driver_times(binary, name, budget):
    """Runs the driver once briefly to size a run that fills `budget` seconds."""
    t, _, _ = run_driver(binary, name, 2)
    return max(2, min(20000, int(budget / max(t, 1e-7))))


def default_bins():
    bins = []
    repo = [p for p in glob.glob(os.path.join(ROOT, "target", "release", "deps", "profile-*"))
            if os.access(p, os.X_OK) and not p.endswith(".d")]
    if repo:
        bins.append(("repo", max(repo, key=os.path.getmtime)))
    dep = os.path.join(ROOT, "benches", "dependent", "target", "release", "constnet-dependent")
    if os.access(dep, os.X_OK):
        bins.append(("dependent", dep))
    return bins


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def fmt(t):
    return "–" if t is None else (f"{t * 1e3:.2f} ms" if t >= 1e-3 else f"{t * 1e6:.1f} µs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", action="append", default=[], metavar="LABEL=PATH")
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--budget", type=float, default=0.3)
    ap.add_argument("--cpu", type=int, default=None)
    args = ap.parse_args()

    bins = [tuple(b.split("=", 1)) for b in args.bin] or default_bins()
    if not bins:
        sys.exit("no constnet driver found: build one (see the docstring) or pass --bin LABEL=PATH")
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    if "layers" in names:
        names = [n for n in names if n != "layers"] + list(R18_LAYERS)
    unknown = [n for n in names if n not in WORKLOADS and n not in R18_LAYERS]
    if unknown:
        sys.exit(f"unknown workloads {unknown}; known: {list(WORKLOADS) + list(R18_LAYERS)}")

    cpu = args.cpu if args.cpu is not None else max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})  # inherited by the driver subprocesses
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)

    started = time.strftime("%Y-%m-%d %H:%M")
    print(f"pinned to CPU {cpu}; binaries: " + ", ".join(f"{l}={p}" for l, p in bins), file=sys.stderr)
    peak = None  # (min seconds, flops)
    infos = {label: [] for label, _ in bins}
    tt = {n: None for n in names}  # PyTorch min per workload
    ct = {(n, l): None for n in names for l, _ in bins}  # constnet min per workload and build
    flops = {}
    torch_steps = {}
    sizes = {}

    def keep(d, k, t):
        d[k] = t if d[k] is None else min(d[k], t)

    for rnd in range(args.rounds):
        # the peak, from the first binary (it measures the CPU's widest instruction set
        # whatever the build, so one is enough)
        label, binary = bins[0]
        t, f, info = run_driver(binary, "peak", 200)
        peak = (t, f) if peak is None or t < peak[0] else peak
        if rnd == 0:
            infos[label] = info
        for n in names:
            if n not in torch_steps:
                torch_steps[n] = torch_workload(n)
            step, prepare = torch_steps[n]
            keep(tt, n, time_calls(step, prepare, args.budget))
            for label, binary in bins:
                if (n, label) not in sizes:
                    sizes[(n, label)] = driver_times(binary, n, args.budget)
                t, f, info = run_driver(binary, n, sizes[(n, label)])
                keep(ct, (n, label), t)
                flops[n] = f
                if not infos[label]:
                    infos[label] = info
            print(f"round {rnd + 1}/{args.rounds} {n}: torch {fmt(tt[n])}, "
                  + ", ".join(f"{l} {fmt(ct[(n, l)])}" for l, _ in bins), file=sys.stderr)

    peak_gf = peak[1] / peak[0] / 1e9
    peak_isa = next((i.split(":", 1)[1].strip() for i in infos[bins[0][0]] if i.startswith("peak isa:")), "?")
    print(f"\nCPU: {cpu_model()} (pinned to CPU {cpu}, 1 thread), {started}")
    print(f"Peak: {peak_gf:.1f} GFLOP/s f32 ({peak_isa}), measured in the same run")
    print(f"PyTorch {torch.__version__} (CPU capability {torch.backends.cpu.get_cpu_capability()}), "
          f"{args.rounds} interleaved rounds, min of each")
    for label, binary in bins:
        rest = "; ".join(i for i in infos[label] if not i.startswith("peak isa:"))
        print(f"constnet {label}: {binary}: {rest}")
    print()

    def pct(t, n):
        return "–" if t is None or not flops.get(n) else f"{100 * flops[n] / t / 1e9 / peak_gf:.0f} %"

    head = ["workload", "MFLOP", "PyTorch", "% peak"]
    for label, _ in bins:
        head += [f"constnet {label}", "% peak", "PyTorch / constnet"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for n in names:
        row = [n, f"{flops[n] / 1e6:.1f}" if flops.get(n) else "–", fmt(tt[n]), pct(tt[n], n)]
        for label, _ in bins:
            c = ct[(n, label)]
            row += [fmt(c), pct(c, n), f"{tt[n] / c:.2f}"]
        print("| " + " | ".join(row) + " |")
    print("\n" + "; ".join(f"{n}: {w}" for n, w in WORKLOADS.items() if n in names))


if __name__ == "__main__":
    main()
