// values.hpp - a tiny dynamically typed value built on std::variant.
#ifndef SAMPLE_CPP_VALUES_HPP
#define SAMPLE_CPP_VALUES_HPP

#include <string>
#include <variant>
#include <vector>

namespace sample {

using Value = std::variant<std::monostate, bool, long, double, std::string>;

std::string type_name(const Value& v);
std::string to_string(const Value& v);
// Parses "null", "true"/"false", integers, decimals, or "quoted strings".
// Throws std::invalid_argument for anything else.
Value parse_value(const std::string& text);
// Adds numbers (long + long stays long) and concatenates strings;
// throws std::invalid_argument for other combinations.
Value add(const Value& a, const Value& b);
Value sum(const std::vector<Value>& values);

} // namespace sample

#endif
