// The commands of one spec test script, as wast2json writes them (<name>.json beside <name>.<n>.wasm), and the
// spec values they carry: parsing the JSON, converting arguments to engine values, checking results bit-exactly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "stratus/common/expected.h"
#include "stratus/engine/engine.h"

namespace stratus::spec {

/// A value of a command, as written: its type ("i32", "f32", "externref", ...) and its text (a decimal integer,
/// the bit pattern of a float, "nan:canonical" / "nan:arithmetic" in expected results, "null" for references).
struct SpecValue {
  std::string type;
  std::string value;
};

/// "i32:42", "f32:0x7fc00000", "f64:nan:canonical".
std::string toString(const SpecValue& value);

/// The engine value of an argument, or kInvalidArgument when the type has no engine counterpart (references,
/// v128) or the text is not a number of that type.
Expected<engine::Value> toEngineValue(const SpecValue& value);

/// Whether `actual` is `expected`: same type and the same bits (floats compared by bit pattern); a canonical NaN
/// expectation accepts either sign of the canonical quiet NaN, an arithmetic one any NaN with the quiet bit set.
/// The error says what differed.
Expected<void> checkValue(const SpecValue& expected, const engine::Value& actual);

/// "i32:42", "f32:1.5 (0x3fc00000)".
std::string toString(const engine::Value& value);

/// An `invoke` (call an export) or `get` (read an exported global) of a named or the current module.
struct Action {
  enum class Type { kInvoke, kGet };
  Type type = Type::kInvoke;
  std::string module;  ///< "$name" of a module or a registered name; empty: the current module
  std::string field;
  std::vector<SpecValue> args;
};

/// The command kinds of the spec test format.
enum class CommandType {
  kModule,
  kRegister,
  kAction,
  kAssertReturn,
  kAssertTrap,
  kAssertExhaustion,
  kAssertInvalid,
  kAssertMalformed,
  kAssertUnlinkable,
  kAssertUninstantiable,
};

/// "assert_return", ...
std::string_view toString(CommandType type);

/// One command. Fields not used by a command type are empty.
struct Command {
  CommandType type = CommandType::kModule;
  uint32_t line = 0;        ///< line of the command in the .wast
  std::string name;         ///< module: "$name" given to it; register: the module registered (empty: current)
  std::string as;           ///< register: the import module name it is registered under
  std::string filename;     ///< module file beside the JSON (.wasm, or .wat for a text-format module)
  std::string module_type;  ///< "binary" or "text" (assert_invalid/malformed/unlinkable/uninstantiable)
  std::string text;         ///< the failure text the spec expects
  std::optional<Action> action;
  std::vector<SpecValue> expected;
};

/// A parsed script.
struct Script {
  std::filesystem::path directory;  ///< where the module files are
  std::string source_filename;      ///< the .wast it came from
  std::vector<Command> commands;
};

/// Reads and parses a wast2json output file. kIo when it cannot be read, kMalformed naming the command index
/// when its JSON does not have the expected shape.
Expected<Script> loadScript(const std::filesystem::path& json_file);

}  // namespace stratus::spec
