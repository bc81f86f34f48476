#include "support/wat.h"

#include <wabt/binary-writer.h>
#include <wabt/error-formatter.h>
#include <wabt/ir.h>
#include <wabt/resolve-names.h>
#include <wabt/stream.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

#include <cstdio>
#include <cstdlib>

namespace stratus::testing {

Bytes wat2wasm(std::string_view wat) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("test.wat", wat.data(), wat.size(), &errors);
  wabt::Features features;
  wabt::WastParseOptions options(features);
  std::unique_ptr<wabt::Module> module;
  wabt::Result r = wabt::ParseWatModule(lexer.get(), &module, &errors, &options);
  if (wabt::Succeeded(r)) r = wabt::ResolveNamesModule(module.get(), &errors);
  if (wabt::Failed(r)) {
    std::fprintf(stderr, "wat2wasm failed:\n%s\n",
                 wabt::FormatErrorsToString(errors, wabt::Location::Type::Text).c_str());
    std::abort();
  }
  wabt::MemoryStream out;
  if (wabt::Failed(wabt::WriteBinaryModule(&out, module.get(), wabt::WriteBinaryOptions()))) std::abort();
  const auto& data = out.output_buffer().data;
  return Bytes(data.begin(), data.end());
}

}  // namespace stratus::testing
