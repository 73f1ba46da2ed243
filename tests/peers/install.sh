#!/usr/bin/env bash
# Installs the test peers (llama.cpp prebuilt in node-llama-cpp 3.21.1) into tests/peers/node_modules.
# .ci/run and the Engine.Tests build call this; it does nothing when they are already there.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f node_modules/node-llama-cpp/package.json ] && grep -q '"version": "3.21.1"' node_modules/node-llama-cpp/package.json; then exit 0; fi
command -v npm >/dev/null || { echo "error: npm is needed to install llama.cpp (node-llama-cpp) for the GGUF tests" >&2; exit 1; }
# package.json names the CPU build for linux-x64; --omit=optional skips the CUDA and Vulkan ones (600 MB), and
# --ignore-scripts uses the prebuilt binaries as they are: nothing is built or downloaded at test time.
npm install --no-audit --no-fund --no-package-lock --ignore-scripts --omit=optional >&2
