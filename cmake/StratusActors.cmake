# Building wasm32 actors from C sources with clang + wasm-ld (freestanding, no libc).
find_program(STRATUS_WASM_CC NAMES clang clang-14 REQUIRED)
find_program(STRATUS_WASM_LD NAMES wasm-ld wasm-ld-14 REQUIRED)
set(STRATUS_ACTOR_OUT_DIR ${PROJECT_BINARY_DIR}/actors)
file(MAKE_DIRECTORY ${STRATUS_ACTOR_OUT_DIR})
file(GLOB STRATUS_ACTOR_SDK_HEADERS ${PROJECT_SOURCE_DIR}/sdk/actor/*.h)
add_custom_target(stratus_actors ALL)

# stratus_add_actor(<name> SOURCES a.c ... [EXPORTS sym ...] [FLAGS ...])
# Produces ${STRATUS_ACTOR_OUT_DIR}/<name>.wasm (unsigned). Rebuilt only when a source or SDK header changes.
function(stratus_add_actor name)
  cmake_parse_arguments(ARG "" "" "SOURCES;EXPORTS;FLAGS" ${ARGN})
  set(out ${STRATUS_ACTOR_OUT_DIR}/${name}.wasm)
  set(srcs)
  foreach(s ${ARG_SOURCES})
    get_filename_component(abs ${s} ABSOLUTE)
    list(APPEND srcs ${abs})
  endforeach()
  set(exports -Wl,--export=__guest_call)
  foreach(e ${ARG_EXPORTS})
    list(APPEND exports -Wl,--export=${e})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${STRATUS_WASM_CC} --target=wasm32 -O2 -nostdlib -ffreestanding -fuse-ld=lld
            -I${PROJECT_SOURCE_DIR}/sdk/actor ${ARG_FLAGS}
            -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=65536 ${exports}
            -o ${out} ${srcs}
    DEPENDS ${srcs} ${STRATUS_ACTOR_SDK_HEADERS}
    COMMENT "wasm32 actor ${name}"
    VERBATIM)
  add_custom_target(actor_${name} DEPENDS ${out})
  add_dependencies(stratus_actors actor_${name})
endfunction()
