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
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
