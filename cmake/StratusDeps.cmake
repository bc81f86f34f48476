# Third-party dependencies: all Debian bookworm packages (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# libnats (the lattice and the NATS provider); pkg-config because libnats' own CMake config is broken on Debian.
pkg_check_modules(NATS REQUIRED IMPORTED_TARGET GLOBAL libnats)
find_package(CURL REQUIRED) # target CURL::libcurl (OCI registries, HTTP client and S3 providers)
find_package(LibArchive REQUIRED) # target LibArchive::LibArchive (provider archives)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(msgpack CONFIG REQUIRED PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/cmake/msgpackc-cxx NO_DEFAULT_PATH) # target msgpackc-cxx

find_library(WABT_LIBRARY NAMES libwabt.a wabt REQUIRED)
find_path(WABT_INCLUDE_DIR wabt/interp/interp.h REQUIRED)
add_library(wabt::wabt STATIC IMPORTED)
set_target_properties(wabt::wabt PROPERTIES
  IMPORTED_LOCATION ${WABT_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${WABT_INCLUDE_DIR})

if(STRATUS_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(STRATUS_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# wabt 1.0.32's interp-inl.h names two destructors with a template-id (`~FreeList<Ref>()`), which GCC 12 rejects in
# C++20. Put a corrected copy of that one header ahead of the system one; the rest of wabt is used as installed.
set(STRATUS_WABT_FIX_DIR ${PROJECT_BINARY_DIR}/wabt-fix)
file(READ ${WABT_INCLUDE_DIR}/wabt/interp/interp-inl.h STRATUS_WABT_INL)
string(REPLACE "::~FreeList<Ref>()" "::~FreeList()" STRATUS_WABT_INL "${STRATUS_WABT_INL}")
string(REPLACE "::~FreeList<T>()" "::~FreeList()" STRATUS_WABT_INL "${STRATUS_WABT_INL}")
file(WRITE ${STRATUS_WABT_FIX_DIR}/wabt/interp/interp-inl.h "${STRATUS_WABT_INL}")
set_target_properties(wabt::wabt PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${STRATUS_WABT_FIX_DIR};${WABT_INCLUDE_DIR}")
find_package(yaml-cpp REQUIRED)
