# One folder = one layer = one static library, lrid_<folder>.
#
# Layering is enforced by the include path. Sources include headers by folder
# ("models/model.h"), and no target sees the source root. Instead each layer
# gets a view, build/include/<layer>/, holding one link, <layer> -> the folder,
# which it exports PUBLIC: a layer compiles against its own view and the views
# of the layers it links (transitively), and never those of a higher layer, so
# an include that runs upward is "file not found" (tests/layering/ checks that).
# The DEPENDS graph is declared in CMakeLists.txt in layer order, so a cycle
# cannot be written either (a layer can only name targets defined before it).

# Shared warning flags; every target that reuses the precompiled header has them.
add_library(lrid_flags INTERFACE)
target_compile_options(lrid_flags INTERFACE -Wall -Wextra -Wno-unused-parameter)

# fmt: LibTorch's headers bundle fmt 12 (c10 includes it), which would shadow
# Debian's libfmt-dev 9 anyway; lrid uses that bundled copy, header-only, in
# every layer. Layers without LibTorch see only its fmt/ folder (a view like
# the layers'), not the rest of LibTorch's headers.
list(GET TORCH_INCLUDE_DIRS 0 LRID_TORCH_INCLUDE)
set(LRID_FMT_VIEW ${CMAKE_BINARY_DIR}/include/_fmt)
file(MAKE_DIRECTORY ${LRID_FMT_VIEW})
file(CREATE_LINK ${LRID_TORCH_INCLUDE}/fmt ${LRID_FMT_VIEW}/fmt SYMBOLIC)
add_library(lrid_fmt INTERFACE)
target_include_directories(lrid_fmt SYSTEM INTERFACE ${LRID_FMT_VIEW})
target_compile_definitions(lrid_fmt INTERFACE FMT_HEADER_ONLY=1)

# LibTorch for the layers that use tensors.
add_library(lrid_torch INTERFACE)
target_link_libraries(lrid_torch INTERFACE ${TORCH_LIBRARIES} lrid_fmt)
# libtorch.so carries GCC 13 copies of some std::filesystem functions that
# interpose the system's GCC 12 ones and crash (remove_all -> null call); loading
# the system libstdc++ first keeps the system's versions.
target_link_options(lrid_torch INTERFACE "LINKER:--no-as-needed,-lstdc++")
# at::parallel_for is an inline `#pragma omp parallel` in ATen's headers, so
# every LibTorch translation unit (and the precompiled header they share) is
# compiled with -fopenmp, as ATen itself is, and links against the wheel's own
# libgomp.so.1: the same soname as the runtime libtorch_cpu loads, so there is
# only one OpenMP pool.
# The fuzz build (clang) leaves OpenMP out: clang's -fopenmp means libomp, a
# second runtime beside the wheel's libgomp, and the fuzz targets run one thread.
if(NOT LRID_FUZZ)
  target_compile_options(lrid_torch INTERFACE -fopenmp)
endif()
find_library(LRID_TORCH_GOMP NAMES libgomp.so.1 PATHS "${TORCH_INSTALL_PREFIX}/lib" NO_DEFAULT_PATH)
if(NOT LRID_TORCH_GOMP)
  find_library(LRID_TORCH_GOMP NAMES gomp libgomp.so.1 REQUIRED)
endif()
target_link_libraries(lrid_torch INTERFACE ${LRID_TORCH_GOMP})

# The precompiled header of every LibTorch layer and test: torch/torch.h
# dominates compile time, so it is parsed once, here, and reused.
add_library(lrid_pch OBJECT ${CMAKE_SOURCE_DIR}/cmake/torch_pch.cpp)
target_link_libraries(lrid_pch PRIVATE lrid_torch yaml-cpp lrid_flags)
target_precompile_headers(lrid_pch PRIVATE ${CMAKE_SOURCE_DIR}/cmake/torch_pch.h)

# lrid_layer(NAME [TORCH] [DEPENDS layer ...] [LIBS target ...]
#            [EXCLUDE file ...] [EXTRA_SOURCES path ...])
function(lrid_layer name)
  cmake_parse_arguments(L "TORCH" "" "DEPENDS;LIBS;EXCLUDE;EXTRA_SOURCES" ${ARGN})
  set(dir ${CMAKE_SOURCE_DIR}/${name})
  set(view ${CMAKE_BINARY_DIR}/include/${name})
  file(MAKE_DIRECTORY ${view})
  file(CREATE_LINK ${dir} ${view}/${name} SYMBOLIC)
  file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  foreach(f IN LISTS L_EXCLUDE)
    list(REMOVE_ITEM srcs ${dir}/${f})
  endforeach()
  add_library(lrid_${name} STATIC ${srcs} ${L_EXTRA_SOURCES})
  set_property(GLOBAL APPEND PROPERTY LRID_LAYERS ${name})
  target_include_directories(lrid_${name} PUBLIC ${view})
  list(TRANSFORM L_DEPENDS PREPEND lrid_)
  target_link_libraries(lrid_${name} PUBLIC ${L_DEPENDS} ${L_LIBS} lrid_fmt PRIVATE lrid_flags)
  if(L_TORCH)
    target_link_libraries(lrid_${name} PUBLIC lrid_torch)
    target_precompile_headers(lrid_${name} REUSE_FROM lrid_pch)
  endif()
  set_target_properties(lrid_${name} PROPERTIES UNITY_BUILD ${LRID_UNITY_BUILD}
                        UNITY_BUILD_BATCH_SIZE ${LRID_UNITY_BATCH})
endfunction()
