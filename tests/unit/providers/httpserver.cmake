# The wasmcloud:httpserver provider test (included by this folder's CMakeLists.txt). The test talks HTTP to the
# provider with a Beast client, hence Boost.
find_package(Boost 1.74 REQUIRED)
stratus_provider_test(httpserver Boost::headers)

# The server's pool for actor calls, its source compiled into the test.
stratus_add_test(httpserver_call_pool_test SOURCES httpserver_call_pool_test.cc
  ${PROJECT_SOURCE_DIR}/providers/httpserver/call_pool.cc DEPS Threads::Threads LABELS unit)
target_include_directories(httpserver_call_pool_test PRIVATE ${PROJECT_SOURCE_DIR}/providers/httpserver ${PROJECT_SOURCE_DIR}/include)
