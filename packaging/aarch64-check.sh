#!/usr/bin/env bash
# jazzd on aarch64 without a Pi: builds a 64-bit ARM environment on this x86-64 Debian 12
# machine and runs jazzd in it under qemu-user, then compares its renders with this
# machine's byte for byte.
#
#   sudo packaging/aarch64-check.sh [WORKDIR]      (default: $TMPDIR/jazzd-aarch64)
#
# - qemu-user-static from Debian (installed with apt-get when missing: needs root);
# - an arm64 sysroot unpacked from Debian 12's own arm64 packages (python3.11, libasound2),
#   fetched with a private apt configuration, so this machine's apt state is left alone;
# - jazzd (a wheel built from this tree) and its runtime dependencies from their
#   manylinux aarch64 wheels on PyPI (pip install --target --platform, never built here);
# - the emulated CPU is a Cortex-A72 (the Raspberry Pi 4's), and the sysroot carries the
#   /proc/cpuinfo a Pi 4 shows: qemu 7.2 passes this machine's x86 one through, and
#   onnxruntime's CPU probe crashes on it (SIGSEGV in `import onnxruntime`).
#
# Then, under emulation: `jazzd --version`, `jazzd --list-ports`, and `--render` of .mid
# (and .tokens when this jazzd has it) for seeds 1 2 3 over the embedded loop and over a
# progression; the same renders with this machine's jazzd (`python3 -m jazzd`, or
# $JAZZD_X86); a byte-for-byte comparison, the first differing token when they differ;
# a per-token cost under emulation (a sanity figure: qemu's speed, not a Pi's).
# Exit 0 when every render is identical, 1 when one differs, 2 when the set-up fails.
# What it does not show: ALSA (no sound hardware here), real Pi timing.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

work=${1:-${TMPDIR:-/tmp}/jazzd-aarch64}
mkdir -p "$work"
work=$(cd "$work" && pwd)
root=$work/root
site=$work/site
wheels=$work/wheels
out=$work/out
x86_python=${PYTHON:-python3}
read -r -a x86_jazzd <<<"${JAZZD_X86:-$x86_python -m jazzd}"
seeds=(1 2 3)
progression="D-7 G7 Cmaj7 Cmaj7 F#-7b5 B7 E-7 A7"
bars=16

say() { printf 'aarch64-check: %s\n' "$*"; }
fail() { printf 'aarch64-check: %s\n' "$*" >&2; exit 2; }

if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
    say "installing qemu-user-static"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        qemu-user-static >/dev/null || fail "cannot install qemu-user-static (run as root)"
fi

# The arm64 sysroot: Debian 12's packages for arm64, resolved and fetched by apt with a
# configuration of its own (an empty dpkg status, so every dependency is fetched), then
# unpacked with dpkg-deb. No maintainer scripts run: none is needed to run Python.
if [ ! -x "$root/usr/bin/python3.11" ]; then
    say "fetching Debian arm64 packages (python3.11, libasound2) into $root"
    apt_dir=$work/apt
    mkdir -p "$apt_dir"/etc/apt.conf.d "$apt_dir"/etc/preferences.d \
        "$apt_dir"/etc/sources.list.d "$apt_dir"/state/lists/partial \
        "$apt_dir"/cache/archives/partial
    : >"$apt_dir/state/status"
    cp /etc/apt/sources.list.d/*.sources "$apt_dir/etc/sources.list.d/" 2>/dev/null || true
    [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$apt_dir/etc/sources.list"
    cat >"$apt_dir/apt.conf" <<EOF
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
APT::Install-Recommends "false";
Dir::Etc "$apt_dir/etc";
Dir::Etc::Trusted "/etc/apt/trusted.gpg";
Dir::Etc::TrustedParts "/etc/apt/trusted.gpg.d";
Dir::State "$apt_dir/state";
Dir::State::status "$apt_dir/state/status";
Dir::Cache "$apt_dir/cache";
EOF
    APT_CONFIG=$apt_dir/apt.conf apt-get update -qq >/dev/null \
        || fail "apt-get update for arm64 failed"
    APT_CONFIG=$apt_dir/apt.conf apt-get install -y -qq --download-only \
        python3.11 libasound2 >/dev/null || fail "fetching the arm64 packages failed"
    rm -rf "$root"
    mkdir -p "$root"
    for deb in "$apt_dir"/cache/archives/*.deb; do
        dpkg-deb -x "$deb" "$root"
    done
fi

# What a Raspberry Pi 4 (4 x Cortex-A72) shows in /proc/cpuinfo; qemu-user reads a path
# from the sysroot first.
mkdir -p "$root/proc"
{
    for cpu in 0 1 2 3; do
        printf 'processor\t: %d\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n' "$cpu"
        printf 'CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\n'
        printf 'CPU part\t: 0xd08\nCPU revision\t: 3\n\n'
    done
    printf 'Hardware\t: BCM2835\nRevision\t: c03111\nModel\t\t: Raspberry Pi 4 Model B Rev 1.1\n'
} >"$root/proc/cpuinfo"

# jazzd and its runtime dependencies, aarch64 wheels only (the sysroot's glibc is 2.36).
say "installing jazzd and its aarch64 wheels into $site"
rm -rf "$site" "$wheels"
mkdir -p "$wheels"
"$x86_python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation -w "$wheels" . >/dev/null || fail "building the jazzd wheel failed"
platforms=(--platform manylinux2014_aarch64)
for minor in $(seq 17 36); do
    platforms+=(--platform "manylinux_2_${minor}_aarch64")
done
"$x86_python" -m pip install --quiet --disable-pip-version-check --no-warn-conflicts \
    --target "$site" --find-links "$wheels" "${platforms[@]}" --only-binary=:all: \
    --python-version 3.11 --implementation cp "$wheels"/jazzd-*.whl 2>&1 \
    | grep -v '^WARNING: Location' || true
[ -d "$site/onnxruntime" ] || fail "the aarch64 wheels did not install"

export QEMU_CPU=cortex-a72
arm() {
    PYTHONPATH=$site qemu-aarch64-static -L "$root" "$root/usr/bin/python3.11" "$@"
}
versions='import platform, sys
from importlib.metadata import version
print(f"{platform.machine()} Python {platform.python_version()}", *(
    f"{name} {version(name)}" for name in
    ("jazzd", "onnxruntime", "numpy", "music21", "mido", "python-rtmidi")), sep=", ")'

say "$(qemu-aarch64-static --version | head -1), CPU $QEMU_CPU"
say "arm64: $(arm -c "$versions")"
say "x86:   $("$x86_python" -c "$versions")"

say "arm64: jazzd --version"
arm -m jazzd --version || say "arm64: jazzd --version failed (exit $?)"
say "arm64: jazzd --list-ports"
arm -m jazzd --list-ports || say "arm64: jazzd --list-ports failed (exit $?)"

formats=(mid)
if arm -m jazzd --help | tr -s ' \n' ' ' | grep -q '\.tokens'; then
    formats+=(tokens)
else
    say "this jazzd has no --render OUT.tokens: comparing the .mid renders only"
fi

rm -rf "$out"
mkdir -p "$out/arm64" "$out/x86"
differ=0
for source in loop progression; do
    chords=()
    [ "$source" = progression ] && chords=(--progression "$progression")
    for seed in "${seeds[@]}"; do
        for format in "${formats[@]}"; do
            name=$source-seed$seed.$format
            t0=$SECONDS
            arm -m jazzd --render "$out/arm64/$name" --seed "$seed" --bars "$bars" \
                "${chords[@]}" >/dev/null
            t_arm=$((SECONDS - t0))
            "${x86_jazzd[@]}" --render "$out/x86/$name" --seed "$seed" --bars "$bars" \
                "${chords[@]}" >/dev/null
            if cmp -s "$out/arm64/$name" "$out/x86/$name"; then
                say "$name: identical ($(stat -c %s "$out/x86/$name") bytes; arm64 ${t_arm} s)"
            else
                differ=1
                say "$name: DIFFERENT: $("$x86_python" - "$out/arm64/$name" "$out/x86/$name" <<'EOF'
import sys
from pathlib import Path

a, b = (Path(p) for p in sys.argv[1:3])
if a.suffix == ".tokens":
    left, right = a.read_text().splitlines(), b.read_text().splitlines()
    what = "token line"
else:
    import mido
    left, right = ([str(m) for t in mido.MidiFile(p).tracks for m in t] for p in (a, b))
    what = "MIDI message"
for i, (x, y) in enumerate(zip(left, right)):
    if x != y:
        print(f"first at {what} {i + 1}: arm64 {x!r}, x86 {y!r}")
        break
else:
    print(f"one is a prefix of the other ({len(left)} vs {len(right)} {what}s)")
EOF
)"
            fi
        done
    done
done

# Per-token cost under emulation: model step + sampling, the embedded model, 400 tokens.
per_token=$(cat <<'EOF'
import time

import numpy as np

from jazzd.model import StepModel

model = StepModel.load()
rng = np.random.default_rng(0)
index = None
model.step(index)
start = time.perf_counter()
for _ in range(400):
    probs = model.step(index)
    index = int(rng.choice(len(probs), p=probs / probs.sum()))
elapsed = time.perf_counter() - start
print(f"{elapsed / 400 * 1e3:.2f} ms per token (model step + sample, 400 tokens)")
EOF
)
say "per-token cost, arm64 under qemu: $(arm -c "$per_token") (a sanity figure, not Pi timing)"
say "per-token cost, x86 natively:     $("$x86_python" -c "$per_token")"

say "took $((SECONDS - started)) s"
if [ "$differ" -ne 0 ]; then
    say "some arm64 renders differ from x86"
    exit 1
fi
say "every arm64 render is identical to x86"
