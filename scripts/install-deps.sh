#!/usr/bin/env bash
# Installs the Debian packages cajal needs, only those that are missing. Safe to run again.
#   scripts/install-deps.sh          what building, testing and the demo need
#   scripts/install-deps.sh --tools  also PyTorch, for tools/ (golden files, peer timings)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libdnnl-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libcpp-httplib-dev libstb-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dataset-fashion-mnist
  fortunes  # the text corpus of the sequence examples (/usr/share/games/fortunes)
  clang-format
  python3-numpy  # a test reads our safetensors files back with an independent json+numpy reader
)
if [ "${1:-}" = "--tools" ]; then
  packages+=(python3-torch)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing packages (${missing[*]}); run scripts/install-deps.sh as root" >&2
  exit 1
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
