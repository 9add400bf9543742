# find_package(arag): imported targets arag::arag (static library, cJSON inside, links
# libm itself) and, where it was built, arag::arag_shared (the shared library).
include("${CMAKE_CURRENT_LIST_DIR}/arag-targets.cmake")
