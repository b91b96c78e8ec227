# The test suite. Tests mirror the sources: tests/<layer>/<file>_test.cpp tests
# <layer>/<file>.cpp. Two GoogleTest executables: lrid_base_tests holds the
# tests of the layers without LibTorch (built without it, and the target of the
# sanitizer build), lrid_tests every other layer's.
find_package(GTest REQUIRED)
include(GoogleTest)

# Paths for tests come from a generated header (not -D flags) so the PCH stays valid.
set(LRID_PYTHON "" CACHE FILEPATH "Python with numpy, scipy and torch, for reference tests")
configure_file(${CMAKE_SOURCE_DIR}/tests/test_paths.h.in ${CMAKE_BINARY_DIR}/generated/test_paths.h @ONLY)
add_library(lrid_test_support INTERFACE)
target_include_directories(lrid_test_support INTERFACE ${CMAKE_BINARY_DIR}/generated ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(lrid_test_support INTERFACE GTest::gtest GTest::gtest_main lrid_flags)

set(LRID_BASE_TEST_LAYERS core figures)
set(base_tests "")
set(torch_tests "")
get_property(layers GLOBAL PROPERTY LRID_LAYERS)
foreach(layer IN LISTS layers)
  file(GLOB t CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${layer}/*_test.cpp)
  if(layer IN_LIST LRID_BASE_TEST_LAYERS)
    list(APPEND base_tests ${t})
  else()
    list(APPEND torch_tests ${t})
  endif()
endforeach()

# The test sources compile as object libraries: the executables depend on
# `lrid` (CLI tests run it), and a target-level dependency would hold every
# test compilation back until the whole application is linked.
add_library(lrid_base_tests_objects OBJECT ${base_tests})
target_link_libraries(lrid_base_tests_objects PRIVATE lrid_figures lrid_test_support)
add_library(lrid_tests_objects OBJECT ${torch_tests})
target_link_libraries(lrid_tests_objects PRIVATE lrid_app lrid_test_support)
target_precompile_headers(lrid_tests_objects REUSE_FROM lrid_pch)
add_executable(lrid_base_tests)
target_link_libraries(lrid_base_tests PRIVATE lrid_base_tests_objects lrid_figures lrid_test_support)
add_executable(lrid_tests)
# CLI tests run the executable; lrid_base_tests does not, so the sanitizer build
# of it (scripts/fuzz.sh sanitize-tests) compiles no LibTorch source.
add_dependencies(lrid_tests lrid)
# ctest's audio_cochleagram_python runs the cochleagram benchmark executable.
add_dependencies(lrid_tests lrid_cochleagram_bench)
target_link_libraries(lrid_tests PRIVATE lrid_tests_objects lrid_app lrid_test_support)
# Unity groups of neighbouring layers' tests: with the torch PCH most of a test
# translation unit's cost is instantiating LibTorch and GoogleTest templates,
# paid once per unit, so a few large units build faster than many small ones
# (clean build, README "Architecture"). Test files keep their helpers in
# anonymous namespaces with names unique within a group.
set(LRID_TEST_GROUPS "core figures" "images audio rules models training observables"
                     "trajectories classifiers experiments report app")
foreach(group IN LISTS LRID_TEST_GROUPS)
  string(REPLACE " " "_" group_name "${group}")
  string(REPLACE " " ";" group_layers "${group}")
  foreach(layer IN LISTS group_layers)
    file(GLOB t CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${layer}/*_test.cpp)
    if(t)
      set_source_files_properties(${t} PROPERTIES UNITY_GROUP ${group_name})
    endif()
  endforeach()
endforeach()
foreach(t lrid_base_tests lrid_tests)
  set_target_properties(${t}_objects PROPERTIES UNITY_BUILD ${LRID_UNITY_BUILD} UNITY_BUILD_MODE GROUP)
  # ctest runs tests in parallel processes: one intra-op thread each avoids
  # oversubscribing the cores (OpenMP workers spin-wait on a busy machine).
  gtest_discover_tests(${t} DISCOVERY_TIMEOUT 120
                       PROPERTIES TIMEOUT 900 ENVIRONMENT "OMP_NUM_THREADS=1;OMP_WAIT_POLICY=PASSIVE")
endforeach()

# The NumPy/SciPy/scikit-learn reference runs against the CLI (need the venv's Python).
if(LRID_PYTHON)
  add_test(NAME observables_golden_python
           COMMAND ${LRID_PYTHON} ${CMAKE_SOURCE_DIR}/tests/observables/golden_statistics.py --check $<TARGET_FILE:lrid>)
  # Classifier parity with scikit-learn on identical splits (tables and a synthetic set).
  add_test(NAME classifiers_sklearn_parity
           COMMAND ${LRID_PYTHON} ${CMAKE_SOURCE_DIR}/tests/classifiers/sklearn_parity.py $<TARGET_FILE:lrid>)
  add_test(NAME readme_dataset_snippet
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/trajectories/readme_dataset_snippet.sh $<TARGET_FILE:lrid>
                   ${LRID_PYTHON} ${CMAKE_SOURCE_DIR})
  set_tests_properties(classifiers_sklearn_parity PROPERTIES TIMEOUT 900 ENVIRONMENT "OMP_NUM_THREADS=1")
  # The cochleagram against its NumPy reference on fresh signals (lrid_cochleagram_bench --output).
  add_test(NAME audio_cochleagram_python
           COMMAND ${LRID_PYTHON} ${CMAKE_SOURCE_DIR}/tests/audio/cochleagram_reference.py
                   --check $<TARGET_FILE:lrid_cochleagram_bench>)
endif()

# The synthetic spoken-word set (scripts/make_speech_words.sh): same seed, same bytes.
# Needs espeak-ng (scripts/setup.sh installs it); without it the test fails saying so.
add_test(NAME speech_words_determinism
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/audio/speech_words_determinism_test.sh)
set_tests_properties(speech_words_determinism PROPERTIES TIMEOUT 300)

# The layering, checked by the build itself: for every pair of layers, a
# translation unit of the lower one that includes a header of the higher one
# must fail to compile with "No such file" (and a layer's own header must not).
set(probes "")
set(expect "")
list(LENGTH layers n)
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  list(GET layers ${i} lower)
  foreach(j RANGE ${last})
    list(GET layers ${j} higher)
    if(j LESS_EQUAL i)
      continue()
    endif()
    file(GLOB hdrs ${CMAKE_SOURCE_DIR}/${higher}/*.h)
    list(GET hdrs 0 h)
    get_filename_component(h ${h} NAME)
    set(src ${CMAKE_BINARY_DIR}/layering/${lower}_includes_${higher}.cpp)
    file(CONFIGURE OUTPUT ${src} CONTENT "// Must not compile: ${lower} is below ${higher}.\n#include \"${higher}/${h}\"\n")
    add_library(lrid_probe_${lower}_includes_${higher} OBJECT EXCLUDE_FROM_ALL ${src})
    target_link_libraries(lrid_probe_${lower}_includes_${higher} PRIVATE lrid_${lower})
    list(APPEND probes lrid_probe_${lower}_includes_${higher})
    list(APPEND expect "${higher}/${h}")
  endforeach()
endforeach()
set(src ${CMAKE_BINARY_DIR}/layering/app_includes_core.cpp)
file(CONFIGURE OUTPUT ${src} CONTENT "// Must compile: the top layer sees the bottom one.\n#include \"core/errors.h\"\n")
add_library(lrid_probe_control OBJECT EXCLUDE_FROM_ALL ${src})
target_link_libraries(lrid_probe_control PRIVATE lrid_app)
add_custom_target(lrid_layering_probes)
add_dependencies(lrid_layering_probes ${probes})
add_test(NAME layering_upward_includes_fail
         COMMAND ${CMAKE_COMMAND} -DBUILD=${CMAKE_BINARY_DIR} "-DPROBES=${probes}" "-DEXPECT=${expect}"
                 -P ${CMAKE_SOURCE_DIR}/cmake/check_layering.cmake)
set_tests_properties(layering_upward_includes_fail PROPERTIES TIMEOUT 600 RUN_SERIAL ON)
