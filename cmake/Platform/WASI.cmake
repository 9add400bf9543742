# Minimal platform file so CMake gives WASI executables the .wasm suffix.
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
set(CMAKE_STATIC_LIBRARY_PREFIX "lib")
set(CMAKE_STATIC_LIBRARY_SUFFIX ".a")
set(UNIX 1)
# LLVM's archiver: GNU ar writes no symbol index for wasm objects, which wasm-ld then
# refuses. The versioned names come with clang-14; plain llvm-ar only with the llvm
# package. Set here (not in the toolchain file) so it also mends a build folder first
# configured with GNU ar.
find_program(ARAG_LLVM_AR NAMES llvm-ar-14 llvm-ar REQUIRED)
find_program(ARAG_LLVM_RANLIB NAMES llvm-ranlib-14 llvm-ranlib REQUIRED)
set(CMAKE_AR "${ARAG_LLVM_AR}")
set(CMAKE_RANLIB "${ARAG_LLVM_RANLIB}")
