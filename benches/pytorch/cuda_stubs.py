#!/usr/bin/env python3
"""Stub CUDA libraries, so that PyPI's (CUDA) torch wheel imports without the nvidia-* wheels.

Only for a CPU-only machine where torch and torchvision were installed with `--no-deps` (to
skip the gigabytes of nvidia-* wheels). PyPI's torch for x86-64 Linux links libcudart,
libcublas, libcudnn, ... and fails to import without them. This writes empty libraries with
the same names, symbol versions and symbols (every function returns 100, CUDA's "no device")
into a folder; put it on LD_LIBRARY_PATH and torch runs on the CPU with
`torch.cuda.is_available() == False`. It downloads and installs nothing; needs gcc, readelf,
nm and ldd.

    pip install --no-deps torch torchvision && pip install filelock typing-extensions sympy \\
        networkx jinja2 fsspec numpy pillow
    python3 benches/pytorch/cuda_stubs.py /tmp/cudastub
    LD_LIBRARY_PATH=/tmp/cudastub python3 benches/pytorch/compare.py
"""

import collections
import glob
import importlib.util
import os
import re
import subprocess
import sys
import sysconfig
import tempfile


def sh(*a):
    return subprocess.run(a, capture_output=True, text=True).stdout


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "cudastub")
    os.makedirs(out, exist_ok=True)
    spec = importlib.util.find_spec("torch")  # locates torch without importing it
    libdir = os.path.join(spec.submodule_search_locations[0], "lib")
    libs = glob.glob(os.path.join(libdir, "*.so*"))
    missing, present = set(), set()
    for lib in libs + [sys.executable]:
        for line in sh("ldd", lib).splitlines():
            p = line.split()
            if "not found" in line:
                missing.add(p[0])
            elif "=>" in line and len(p) >= 3 and p[2].startswith("/"):
                present.add(p[2])
    missing.add("libcuda.so.1")  # the driver, opened by libcaffe2_nvrtc
    # version name -> library name, from the libraries' version-needs sections
    ver2file, cur = {}, None
    for lib in libs:
        for line in sh("readelf", "-V", "-W", lib).splitlines():
            m = re.search(r"File: (\S+)", line)
            if m:
                cur = m.group(1)
            m = re.search(r"Name: (\S+)", line)
            if m and cur:
                ver2file[m.group(1)] = cur
    # everything defined by torch's own libraries, the system's and python's
    defined = set()
    pylib = glob.glob(os.path.join(sysconfig.get_config_var("LIBDIR") or "", "libpython3*.so*"))
    for lib in libs + sorted(present) + pylib + [sys.executable]:
        for line in sh("nm", "-D", "--defined-only", lib).splitlines():
            p = line.split()
            if len(p) >= 3:
                defined.add(p[2].split("@")[0])
    need = collections.defaultdict(lambda: collections.defaultdict(set))  # lib -> ver -> names
    unversioned = set()
    for lib in libs:
        for line in sh("nm", "-D", "--undefined-only", "--with-symbol-versions", lib).splitlines():
            p = line.split()
            if len(p) < 2 or p[0] != "U":
                continue
            name, _, ver = p[1].partition("@")
            ver = ver.lstrip("@")
            if ver and ver2file.get(ver) in missing:
                need[ver2file[ver]][ver].add(name)
            elif not ver and name not in defined:
                unversioned.add(name)  # resolved from whichever library has it: every stub
    with tempfile.TemporaryDirectory() as tmp:
        for so in sorted(missing):
            vers = need[so]
            names = set().union(*vers.values(), unversioned)
            c, m = os.path.join(tmp, "s.c"), os.path.join(tmp, "s.map")
            with open(c, "w") as f:
                f.writelines(f"int {n}(void) {{ return 100; }}\n" for n in sorted(names))
            with open(m, "w") as f:
                if not vers:
                    f.write("{ global: *; };\n")
                for i, (v, ns) in enumerate(sorted(vers.items())):
                    ns = ns | (unversioned if i == 0 else set())
                    body = "".join(f"    {n};\n" for n in sorted(ns))
                    f.write(f"{v} {{\n  global:\n{body}" + ("  local: *;\n" if i == 0 else "") + "};\n")
            subprocess.run(["gcc", "-shared", "-fPIC", "-o", os.path.join(out, so), c,
                            "-Wl,-soname," + so, "-Wl,--version-script=" + m], check=True)
    print(f"{len(missing)} stub libraries in {out}: export LD_LIBRARY_PATH={out}")


if __name__ == "__main__":
    main()
