#!/usr/bin/env bash
# Makes sure an OpenCL platform exists: does nothing when the ICD loader already reports one,
# otherwise installs PoCL (the portable OpenCL CPU runtime), the ICD loader and clinfo with apt.
set -euo pipefail
if command -v clinfo >/dev/null 2>&1 && clinfo -l 2>/dev/null | grep -q '^Platform'; then
  echo "setup-opencl: OpenCL platform found:"; clinfo -l
  exit 0
fi
if ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1 && ldconfig -p | grep -q 'libOpenCL.so.1'; then
  echo "setup-opencl: ICD files found in /etc/OpenCL/vendors; not installing PoCL"
  exit 0
fi
echo "setup-opencl: no OpenCL platform; installing PoCL with apt"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq pocl-opencl-icd ocl-icd-libopencl1 clinfo
clinfo -l
