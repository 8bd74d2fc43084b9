{
  "targets": [{
    "target_name": "sparse_rnn",
    "sources": [
      "native/binding.cc",
      "native/net.cc",
      "native/sparse.cc",
      "native/gemm.cc",
      "native/simd.cc",
      "native/threadpool.cc",
      "native/optim.cc",
      "native/loss.cc",
      "native/embedding.cc",
      "native/cells/rnn.cc",
      "native/cells/lstm.cc",
      "native/cells/gru.cc",
      "native/cells/gates.cc"
    ],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-ffp-contract=fast", "-fexceptions", "-pthread"],
    "ldflags": ["-pthread"]
  },
  {
    "target_name": "sparse_infer",
    "sources": [
      "native/infer/binding.cc",
      "native/infer/kernels.cc",
      "native/infer/model.cc",
      "native/simd.cc"
    ],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/infer", "native"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fexceptions", "-Wno-maybe-uninitialized"]
  }]
}
