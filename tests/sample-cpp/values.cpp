// values.cpp - std::visit with an overload set, exceptions, templates.
#include "values.hpp"

#include <cstdlib>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace {

template <class... Fs>
struct overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

template <typename T>
constexpr bool is_number_v = std::is_same_v<T, long> || std::is_same_v<T, double>;

[[noreturn]] void type_error(const sample::Value& a, const sample::Value& b)
{
    throw std::invalid_argument("cannot add " + sample::type_name(a) + " and " +
                                sample::type_name(b));
}

} // namespace

namespace sample {

std::string type_name(const Value& v)
{
    static const char* const names[] = { "null", "bool", "int", "float", "string" };
    return names[v.index()];
}

std::string to_string(const Value& v)
{
    return std::visit(overloaded{
                          [](std::monostate) -> std::string { return "null"; },
                          [](bool b) -> std::string { return b ? "true" : "false"; },
                          [](long i) -> std::string { return std::to_string(i); },
                          [](double d) -> std::string {
                              std::ostringstream out;
                              out << d;
                              return out.str();
                          },
                          [](const std::string& s) -> std::string { return '"' + s + '"'; },
                      },
                      v);
}

Value parse_value(const std::string& text)
{
    if (text == "null")
        return std::monostate{};
    if (text == "true" || text == "false")
        return text == "true";
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        return text.substr(1, text.size() - 2);
    if (!text.empty()) {
        char* end = nullptr;
        const long i = std::strtol(text.c_str(), &end, 10);
        if (*end == '\0')
            return i;
        const double d = std::strtod(text.c_str(), &end);
        if (*end == '\0')
            return d;
    }
    throw std::invalid_argument("cannot parse value: '" + text + "'");
}

Value add(const Value& a, const Value& b)
{
    return std::visit(
        [&](const auto& x, const auto& y) -> Value {
            using X = std::decay_t<decltype(x)>;
            using Y = std::decay_t<decltype(y)>;
            if constexpr (std::is_same_v<X, long> && std::is_same_v<Y, long>)
                return x + y;
            else if constexpr (is_number_v<X> && is_number_v<Y>)
                return static_cast<double>(x) + static_cast<double>(y);
            else if constexpr (std::is_same_v<X, std::string> && std::is_same_v<Y, std::string>)
                return x + y;
            else
                type_error(a, b);
        },
        a, b);
}

Value sum(const std::vector<Value>& values)
{
    if (values.empty())
        return 0L;
    return std::accumulate(values.begin() + 1, values.end(), values.front(),
                           [](const Value& acc, const Value& v) { return add(acc, v); });
}

} // namespace sample
