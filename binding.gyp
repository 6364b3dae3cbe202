{
  "targets": [
    {
      "target_name": "nextrec_native",
      "sources": ["native/nextrec_native.cc"],
      "defines": ["<!@(node native/detect.js defines)", "NAPI_VERSION=8"],
      "include_dirs": ["<!@(node native/detect.js includes)"],
      "libraries": ["<!@(node native/detect.js libs)"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-trapping-math", "-fno-math-errno", "-ffp-contract=off"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-fno-trapping-math", "-fno-math-errno", "-ffp-contract=off"] }
    }
  ]
}
