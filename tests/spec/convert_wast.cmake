# Converts one spec .wast into <OUT_DIR>/<NAME>.json plus its modules with wast2json, at build time.
# cmake -DWAST2JSON=<tool> -DWAST=<file.wast> -DOUT_DIR=<dir> -DSTAMP=<file> -P convert_wast.cmake
#
# A .wast that wast2json rejects is not a build error: its diagnostics go to <OUT_DIR>/wast2json.failed and the
# spec runner reports the file as failed with them (tests/spec/known_failures.txt says whether that is expected).
# OUT_DIR is emptied first, so no module of an earlier conversion survives; the stamp is written either way, so an
# unchanged rejected file is not converted again on every build.
foreach(var WAST2JSON WAST OUT_DIR STAMP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "convert_wast.cmake: -D${var}=... is required")
  endif()
endforeach()

get_filename_component(name ${WAST} NAME_WE)
file(REMOVE_RECURSE ${OUT_DIR})
file(MAKE_DIRECTORY ${OUT_DIR})
execute_process(
  COMMAND ${WAST2JSON} ${WAST} -o ${OUT_DIR}/${name}.json
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  file(REMOVE ${OUT_DIR}/${name}.json)
  file(WRITE ${OUT_DIR}/wast2json.failed "wast2json exited with ${status}\n${out}${err}")
  message(STATUS "wast2json rejects ${WAST} (the spec test of this file will report it)")
endif()
file(TOUCH ${STAMP})
