# SPDX-License-Identifier: MIT
# fios_warnings: linked PRIVATE by our own targets only, never by third-party code.
add_library(fios_warnings INTERFACE)
target_compile_options(fios_warnings INTERFACE
  -Wall -Wextra -Wpedantic   # the baseline
  -Wshadow                   # a local hiding a member or outer variable is a classic sync bug
  -Wconversion -Wsign-conversion  # byte counts and offsets: silent narrowing corrupts files
  -Wnon-virtual-dtor -Woverloaded-virtual  # interfaces (transport, clock) are deleted via base
  -Wold-style-cast -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough
  $<$<CXX_COMPILER_ID:GNU>:-Wduplicated-cond -Wduplicated-branches -Wlogical-op>
  # Clang (the fuzz preset): RapidJSON 1.1.0's member iterators declare == and != in a way
  # C++20 calls ambiguous; every `it == doc.MemberEnd()` would warn. Not our code to fix.
  $<$<CXX_COMPILER_ID:Clang>:-Wno-ambiguous-reversed-operator>
)
if(FIOS_WARNINGS_AS_ERRORS)
  target_compile_options(fios_warnings INTERFACE -Werror)
endif()

# fios_options: settings every target of ours shares.
add_library(fios_options INTERFACE)
target_compile_definitions(fios_options INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
