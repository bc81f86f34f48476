# The wasmcloud:httpserver provider test (included by this folder's CMakeLists.txt). The test talks HTTP to the
# provider with a Beast client, hence Boost.
find_package(Boost 1.74 REQUIRED)
stratus_provider_test(httpserver Boost::headers)
