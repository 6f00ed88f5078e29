#!/usr/bin/env bash
# Installs every Debian package tendo needs to build and test. Idempotent:
# packages already present are skipped, and apt-get update runs only when
# something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libhdf5-dev          # session files (formats/)
  zlib1g-dev           # deflate filter, compressed pod frames
  libfftw3-dev         # FFT filtering (analysis/)
  libusb-1.0-0-dev     # pod driver (acquire/)
  umockdev libumockdev-dev libglib2.0-dev   # emulated pods: real libusb against fake USB devices
  libcjson-dev         # JSON output and simulator profiles
  libsqlite3-dev       # the catalog
  python3 python3-h5py python3-numpy   # the "file stands on its own" test
  python3-pil                          # the report test reads its Chromium screenshot
  python3-scipy                        # bench/ only: the numpy/scipy comparison pipeline
  chromium fonts-dejavu-core           # the coach's report, rendered headless in a test
  openmpi-bin libopenmpi-dev           # tendo batch --mpi (real MPI, 3 ranks in a test)
  clang libfuzzer-14-dev libclang-rt-14-dev   # libFuzzer targets and sanitizers (fuzz/)
  valgrind cppcheck                    # memcheck and static checks in CI
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
