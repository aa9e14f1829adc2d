# Source this (". scripts/cuda-env.sh") before running bin/sentiment-xla (make build-xla) on an
# NVIDIA GPU. It points GoMLX's XLA backend at the CUDA PJRT plugin of JAX's pip package
# jax-cuda13-pjrt (pip install "jax[cuda13]") and at the NVIDIA libraries pip installed beside it:
#   PJRT_CUDA_PLUGIN   the plugin, if not found through python3 (…/jax_plugins/xla_cuda13/xla_cuda_plugin.so)
#   GOMLX_BACKEND      set to xla:PLUGIN unless already set (add ",preallocate=false" when several
#                      processes share the GPU)
# Ran on an H100 with JAX 0.11.2 (results/pretraining/gpu-h100).
cuda_plugin=${PJRT_CUDA_PLUGIN:-}
if [ -z "$cuda_plugin" ]; then
  cuda_plugin=$(python3 -c 'import importlib.util as u; print(u.find_spec("jax_plugins.xla_cuda13").submodule_search_locations[0])' 2>/dev/null)/xla_cuda_plugin.so
  [ -f "$cuda_plugin" ] || cuda_plugin=$(find / -xdev -name xla_cuda_plugin.so -path '*xla_cuda13*' 2>/dev/null | head -1)
fi
if [ -f "$cuda_plugin" ]; then
  cuda_nvidia=$(dirname "$(dirname "$(dirname "$cuda_plugin")")")/nvidia
  export LD_LIBRARY_PATH=$(printf '%s:' "$cuda_nvidia"/*/lib)${LD_LIBRARY_PATH:-}
  export XLA_FLAGS="--xla_gpu_cuda_data_dir=$cuda_nvidia/cu13 ${XLA_FLAGS:-}"
  export PATH=$cuda_nvidia/cu13/bin:$PATH
  export GOPJRT_CUDA_CHECKS=0 # go-xla looks for nvidia/ elsewhere; the lines above set it up
  export GOMLX_BACKEND=${GOMLX_BACKEND:-xla:$cuda_plugin}
  echo "CUDA PJRT plugin $cuda_plugin; GOMLX_BACKEND=$GOMLX_BACKEND"
else
  echo "no CUDA PJRT plugin found ('$cuda_plugin'): pip install \"jax[cuda13]\", or set PJRT_CUDA_PLUGIN" >&2
  false
fi
