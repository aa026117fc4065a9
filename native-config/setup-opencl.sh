#!/usr/bin/env bash
# Makes sure an OpenCL platform exists and that the bindings can load it: does nothing when the
# ICD loader reports a platform and its unversioned libOpenCL.so (the name JOCL and LWJGL load) is
# installed; otherwise installs PoCL (the portable OpenCL CPU runtime), the ICD loader with its
# libOpenCL.so link (ocl-icd-opencl-dev) and clinfo with apt.
set -euo pipefail
loadable() { for f in /usr/lib/libOpenCL.so /usr/lib/*/libOpenCL.so /usr/local/lib/libOpenCL.so; do [ -e "$f" ] && return 0; done; return 1; }
if loadable && command -v clinfo >/dev/null 2>&1 && clinfo -l 2>/dev/null | grep -q '^Platform'; then
  echo "setup-opencl: OpenCL platform found:"; clinfo -l
  exit 0
fi
if loadable && ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
  echo "setup-opencl: ICD files found in /etc/OpenCL/vendors; not installing PoCL"
  exit 0
fi
echo "setup-opencl: no loadable OpenCL platform; installing PoCL and the ICD loader with apt"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq pocl-opencl-icd ocl-icd-libopencl1 ocl-icd-opencl-dev clinfo
clinfo -l
