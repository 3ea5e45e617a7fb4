# SPDX-License-Identifier: MIT
# FIOS_SANITIZERS="address;undefined" (the asan preset) or "thread".
if(FIOS_SANITIZERS)
  list(JOIN FIOS_SANITIZERS "," _fios_san)
  target_compile_options(fios_options INTERFACE -fsanitize=${_fios_san} -fno-omit-frame-pointer
                                                -fno-sanitize-recover=all)
  target_link_options(fios_options INTERFACE -fsanitize=${_fios_san})
endif()

# FIOS_FUZZ: every target of ours gets libFuzzer's coverage instrumentation (the fuzz targets
# link -fsanitize=fuzzer themselves, tests/fuzz/CMakeLists.txt), and the standard library's
# own bounds checks, so a fuzzer also finds an out-of-range operator[] that ASan cannot see.
if(FIOS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FIOS_FUZZ needs Clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: "
                        "use the preset (cmake --preset fuzz), which sets CMAKE_CXX_COMPILER=clang++; "
                        "scripts/install-deps.sh --fuzz installs clang")
  endif()
  target_compile_options(fios_options INTERFACE -fsanitize=fuzzer-no-link
    "-fsanitize-ignorelist=${PROJECT_SOURCE_DIR}/cmake/sanitizer-ignorelist.txt")
  target_compile_definitions(fios_options INTERFACE _GLIBCXX_ASSERTIONS)
endif()
