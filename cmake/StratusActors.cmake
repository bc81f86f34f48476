# Building wasm32 actors from C sources with clang + wasm-ld (freestanding, no libc).
find_program(STRATUS_WASM_CC NAMES clang clang-14 REQUIRED)
find_program(STRATUS_WASM_LD NAMES wasm-ld wasm-ld-14 REQUIRED) # clang finds it itself; this only checks it is there
set(STRATUS_ACTOR_OUT_DIR ${PROJECT_BINARY_DIR}/actors)
file(MAKE_DIRECTORY ${STRATUS_ACTOR_OUT_DIR})
set(STRATUS_ACTOR_SDK_DIR ${PROJECT_SOURCE_DIR}/sdk/actor)
file(GLOB STRATUS_ACTOR_SDK_HEADERS CONFIGURE_DEPENDS ${STRATUS_ACTOR_SDK_DIR}/*.h)
add_custom_target(stratus_actors ALL)

# stratus_add_actor(<name> SOURCES a.c ... [DEPENDS file ...] [EXPORTS sym ...] [FLAGS ...])
# Produces ${STRATUS_ACTOR_OUT_DIR}/<name>.wasm (unsigned) with target actor_<name> (a dependency of
# stratus_actors); the target's STRATUS_ACTOR_WASM property holds the output path. Sources are C (or C++ by
# extension) compiled and linked in one clang call: -O2, freestanding, no libc, the SDK on the include path, the
# stack first in memory (a deep recursion traps instead of overwriting data), __guest_call exported (the SDK
# exports it and wapc_init by attribute too). Rebuilt when a source, a header beside a source, an SDK header or a
# DEPENDS file changes.
function(stratus_add_actor name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;EXPORTS;FLAGS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "stratus_add_actor(${name}): no SOURCES")
  endif()
  set(out ${STRATUS_ACTOR_OUT_DIR}/${name}.wasm)
  set(srcs)
  set(deps ${STRATUS_ACTOR_SDK_HEADERS})
  foreach(s ${ARG_SOURCES})
    get_filename_component(abs ${s} ABSOLUTE)
    list(APPEND srcs ${abs})
    get_filename_component(dir ${abs} DIRECTORY)
    file(GLOB local_headers CONFIGURE_DEPENDS ${dir}/*.h)
    list(APPEND deps ${local_headers})
  endforeach()
  foreach(d ${ARG_DEPENDS})
    get_filename_component(abs ${d} ABSOLUTE)
    list(APPEND deps ${abs})
  endforeach()
  list(REMOVE_DUPLICATES deps)
  set(exports -Wl,--export=__guest_call)
  foreach(e ${ARG_EXPORTS})
    list(APPEND exports -Wl,--export=${e})
  endforeach()
  set(warnings -Wall -Wextra)
  if(STRATUS_WERROR)
    list(APPEND warnings -Werror)
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${STRATUS_WASM_CC} --target=wasm32 -O2 -nostdlib -ffreestanding -fuse-ld=lld
            ${warnings} -I${STRATUS_ACTOR_SDK_DIR} ${ARG_FLAGS}
            -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=65536 ${exports}
            -o ${out} ${srcs}
    DEPENDS ${srcs} ${deps}
    COMMENT "wasm32 actor ${name}"
    VERBATIM)
  add_custom_target(actor_${name} DEPENDS ${out})
  set_target_properties(actor_${name} PROPERTIES STRATUS_ACTOR_WASM ${out})
  add_dependencies(stratus_actors actor_${name})
endfunction()

# Third-party waPC peers for differential tests and benchmarks (tests/compat/, npm packages pinned in its
# package-lock.json): @wapc/host (a waPC host on Node, with prebuilt Rust guest fixtures) and @wapc/as-guest +
# assemblyscript (an AssemblyScript guest). Available when node is installed and `npm ci` ran in tests/compat.
# Sets, for every directory:
#   STRATUS_COMPAT_AVAILABLE    ON/OFF
#   STRATUS_COMPAT_MISSING      when OFF: what is missing (node, or the npm files looked for), a list
#   STRATUS_NODE                the node executable
#   STRATUS_COMPAT_DIR          tests/compat in the source tree
#   STRATUS_COMPAT_NODE_CALL    tests/compat/wapc_node_call.mjs (run it with ${STRATUS_NODE})
#   STRATUS_COMPAT_FIXTURE_DIR  the @wapc/host fixtures (rust_echo_string.wasm, rust_host_call.wasm)
# tests/compat/CMakeLists.txt builds ${STRATUS_ACTOR_OUT_DIR}/as_actor.wasm when available, and fails the configure
# when it is not and STRATUS_REQUIRE_COMPAT is ON.
find_program(STRATUS_NODE NAMES node nodejs)
set(STRATUS_COMPAT_DIR ${PROJECT_SOURCE_DIR}/tests/compat)
set(STRATUS_COMPAT_NODE_CALL ${STRATUS_COMPAT_DIR}/wapc_node_call.mjs)
set(STRATUS_COMPAT_FIXTURE_DIR ${STRATUS_COMPAT_DIR}/node_modules/@wapc/host/test/fixtures)
set(STRATUS_COMPAT_ASC ${STRATUS_COMPAT_DIR}/node_modules/assemblyscript/bin/asc.js)
set(STRATUS_COMPAT_AS_GUEST ${STRATUS_COMPAT_DIR}/node_modules/@wapc/as-guest/assembly/index.ts)
set(STRATUS_COMPAT_MISSING)
if(NOT STRATUS_NODE)
  list(APPEND STRATUS_COMPAT_MISSING "node")
endif()
foreach(file ${STRATUS_COMPAT_DIR}/node_modules/@wapc/host/dist/src/index.js
             ${STRATUS_COMPAT_FIXTURE_DIR}/rust_host_call.wasm ${STRATUS_COMPAT_ASC} ${STRATUS_COMPAT_AS_GUEST})
  if(NOT EXISTS ${file})
    list(APPEND STRATUS_COMPAT_MISSING ${file})
  endif()
endforeach()
if(NOT STRATUS_COMPAT_MISSING)
  set(STRATUS_COMPAT_AVAILABLE ON)
else()
  set(STRATUS_COMPAT_AVAILABLE OFF)
  if(NOT STRATUS_NODE)
    message(STATUS "stratus compat: node not found; third-party waPC tests are off")
  else()
    message(STATUS "stratus compat: npm packages missing; third-party waPC tests are off. "
                   "To enable them run: npm ci --prefix ${STRATUS_COMPAT_DIR}  (then re-run cmake)")
  endif()
endif()
