# SPDX-License-Identifier: MIT
# Every dependency comes from a Debian 12 package; nothing is downloaded at build time.
# A missing one stops configure with the apt package that provides it
# (scripts/install-deps.sh installs them all).
find_package(PkgConfig QUIET)
if(NOT PkgConfig_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config (or run scripts/install-deps.sh)")
endif()

macro(fios_require_found var package)
  if(NOT ${var})
    message(FATAL_ERROR "${ARGN} not found: apt-get install ${package} "
                        "(or run scripts/install-deps.sh as root)")
  endif()
endmacro()

find_package(Threads REQUIRED)

find_package(CURL QUIET)
fios_require_found(CURL_FOUND libcurl4-openssl-dev "libcurl")

find_package(SQLite3 QUIET)
fios_require_found(SQLite3_FOUND libsqlite3-dev "SQLite 3")

find_package(OpenSSL QUIET)
fios_require_found(OPENSSL_FOUND libssl-dev "OpenSSL")

find_package(fmt CONFIG QUIET)
fios_require_found(fmt_FOUND libfmt-dev "fmt")

find_package(CLI11 CONFIG QUIET)
fios_require_found(CLI11_FOUND libcli11-dev "CLI11")

# RapidJSON 1.1.0's config sets only RAPIDJSON_INCLUDE_DIRS: wrap it in a target, SYSTEM so
# that its GCC 12 warnings (-Wclass-memaccess) stay out of our zero-warning build.
find_package(RapidJSON CONFIG QUIET)
fios_require_found(RapidJSON_FOUND rapidjson-dev "RapidJSON")
if(NOT TARGET RapidJSON::RapidJSON)
  add_library(RapidJSON::RapidJSON INTERFACE IMPORTED)
  set_target_properties(RapidJSON::RapidJSON PROPERTIES
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${RAPIDJSON_INCLUDE_DIRS}"
    INTERFACE_COMPILE_DEFINITIONS "RAPIDJSON_HAS_STDSTRING=1")
endif()

pkg_check_modules(XXHASH QUIET IMPORTED_TARGET libxxhash)
fios_require_found(XXHASH_FOUND libxxhash-dev "xxHash (libxxhash.pc)")

pkg_check_modules(HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)
fios_require_found(HTTPLIB_FOUND libcpp-httplib-dev "cpp-httplib (cpp-httplib.pc)")

if(FIOS_BUILD_TESTS)
  find_package(Catch2 2 CONFIG QUIET)
  fios_require_found(Catch2_FOUND catch2 "Catch2 v2")
  include(Catch)
endif()
