# ctest layering_upward_includes_fail: builds every probe of cmake/tests.cmake
# (ninja -k 0 keeps going past failures) and checks that each probe failed
# because its upward include was not found, and that the control compiled.
#   cmake -DBUILD=<build dir> -DPROBES=<targets> -DEXPECT=<headers> -P check_layering.cmake
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD} --target lrid_probe_control
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the control probe (app includes core/errors.h) does not compile:\n${out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD} --target lrid_layering_probes -- -k 0
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "every upward include compiled: the layering is not enforced")
endif()
list(LENGTH PROBES n)
math(EXPR last "${n} - 1")
set(bad "")
foreach(i RANGE ${last})
  list(GET PROBES ${i} probe)
  list(GET EXPECT ${i} header)
  string(REGEX REPLACE "^lrid_probe_" "" pair "${probe}")
  string(REGEX MATCH "${pair}\\.cpp[^\n]*${header}: No such file or directory" hit "${out}")
  if(NOT hit)
    list(APPEND bad "${pair} (${header})")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "upward includes that did not fail as 'No such file': ${bad}\n${out}")
endif()
message(STATUS "${n} upward includes fail to compile; the control compiles")
