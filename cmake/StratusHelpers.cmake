# Helpers that give every stratus target the same warnings, sanitizers and include paths.

set(STRATUS_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-unused-parameter)

function(stratus_apply_common target)
  target_compile_options(${target} PRIVATE ${STRATUS_WARNINGS})
  if(STRATUS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(STRATUS_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${STRATUS_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${STRATUS_SANITIZE})
  endif()
endfunction()

# stratus_add_library(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# Defines stratus_<name> with alias stratus::<name>; public headers live under include/stratus/.
function(stratus_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(stratus_${name} STATIC ${ARG_SOURCES})
  add_library(stratus::${name} ALIAS stratus_${name})
  target_include_directories(stratus_${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(stratus_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  stratus_apply_common(stratus_${name})
endfunction()

# stratus_add_test(<name> SOURCES ... [DEPS ...] [LABELS ...])
function(stratus_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    STRATUS_TEST_ACTOR_DIR="${STRATUS_ACTOR_OUT_DIR}"
    STRATUS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    STRATUS_BINARY_DIR="${PROJECT_BINARY_DIR}")
  stratus_apply_common(${name})
  # gtest_discover_tests' PROPERTIES cannot carry a list value: the first label goes there, further ones (e.g. the
  # module name) become labels of the directory, which its tests inherit.
  list(POP_FRONT ARG_LABELS first_label)
  # Caches (compiled actor code, provider libraries) go to the build tree, not the user's home.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${first_label}"
                       ENVIRONMENT "XDG_CACHE_HOME=${PROJECT_BINARY_DIR}/test-cache")
  if(ARG_LABELS)
    set_property(DIRECTORY APPEND PROPERTY LABELS ${ARG_LABELS})
  endif()
endfunction()

# stratus_add_provider(<name> SOURCES ... [DEPS ...])
# Builds a first-party capability provider as a shared library ${STRATUS_PROVIDER_OUT_DIR}/libstratus_<name>.so,
# against the public SDK only (include/stratus, stratus::codec, stratus::common). Only the entry point is exported.
set(STRATUS_PROVIDER_OUT_DIR ${PROJECT_BINARY_DIR}/providers)
function(stratus_add_provider name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(stratus_provider_${name} MODULE ${ARG_SOURCES})
  set_target_properties(stratus_provider_${name} PROPERTIES
    OUTPUT_NAME stratus_${name}
    PREFIX lib
    LIBRARY_OUTPUT_DIRECTORY ${STRATUS_PROVIDER_OUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # include/ is the public SDK; providers/common holds header-only helpers shared by the first-party providers.
  target_include_directories(stratus_provider_${name} PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/providers)
  target_link_libraries(stratus_provider_${name} PRIVATE stratus::codec stratus::common ${ARG_DEPS})
  target_link_options(stratus_provider_${name} PRIVATE -Wl,--no-undefined -Wl,--exclude-libs,ALL
                      -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/provider_exports.map)
  set_property(TARGET stratus_provider_${name} APPEND PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/provider_exports.map)
  stratus_apply_common(stratus_provider_${name})
endfunction()

# stratus_pack_provider(<name> CAPID <contract> DISPLAY_NAME <text> [REV <n>] [VER <x.y.z>])
# Packs ${STRATUS_PROVIDER_OUT_DIR}/libstratus_<name>.so into ${STRATUS_PROVIDER_OUT_DIR}/<name>.par.gz for this
# machine's target, signed with the development keys in providers/keys (issuer.nk, <name>.nk), so the provider's
# id is the same from build to build. Target: provider_par_<name>, part of `all`.
function(stratus_pack_provider name)
  cmake_parse_arguments(ARG "" "CAPID;DISPLAY_NAME;REV;VER" "" ${ARGN})
  if(NOT ARG_REV)
    set(ARG_REV 1)
  endif()
  if(NOT ARG_VER)
    set(ARG_VER ${PROJECT_VERSION})
  endif()
  file(STRINGS ${PROJECT_SOURCE_DIR}/providers/keys/issuer.nk issuer LIMIT_COUNT 1)
  file(STRINGS ${PROJECT_SOURCE_DIR}/providers/keys/${name}.nk subject LIMIT_COUNT 1)
  set(out ${STRATUS_PROVIDER_OUT_DIR}/${name}.par.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND $<TARGET_FILE:stratus> par create --capid ${ARG_CAPID} --name ${ARG_DISPLAY_NAME} --vendor stratus
            --rev ${ARG_REV} --ver ${ARG_VER} --arch ${STRATUS_TARGET_TRIPLE}
            --binary $<TARGET_FILE:stratus_provider_${name}> --issuer ${issuer} --subject ${subject} -o ${out}
    DEPENDS stratus_provider_${name} stratus ${PROJECT_SOURCE_DIR}/providers/keys/${name}.nk
    COMMENT "packing provider archive ${name}.par.gz"
    VERBATIM)
  add_custom_target(provider_par_${name} ALL DEPENDS ${out})
endfunction()

# The provider-archive target of this machine, in Rust's ARCH-OS form (x86_64-linux, aarch64-linux, ...).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(STRATUS_TARGET_TRIPLE x86_64-linux)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(STRATUS_TARGET_TRIPLE aarch64-linux)
else()
  set(STRATUS_TARGET_TRIPLE ${CMAKE_SYSTEM_PROCESSOR}-linux)
endif()
