// registry.cpp - a Meyers singleton filled by static objects with
// constructors that run before main().
#include "registry.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace sample {

Registry& Registry::instance()
{
    static Registry registry; // constructed on first use, thread-safe
    return registry;
}

void Registry::add(const std::string& name, Command cmd)
{
    if (!commands_.emplace(name, std::move(cmd)).second)
        throw std::logic_error("duplicate command: " + name);
}

std::string Registry::run(const std::string& name, const std::vector<std::string>& args) const
{
    auto it = commands_.find(name);
    if (it == commands_.end())
        throw std::out_of_range("no such command: " + name);
    return it->second(args);
}

std::vector<std::string> Registry::names() const
{
    std::vector<std::string> out;
    out.reserve(commands_.size());
    for (const auto& entry : commands_)
        out.push_back(entry.first);
    return out;
}

} // namespace sample

namespace {

int g_registrations = 0;

struct Registrar {
    Registrar(const char* name, sample::Command cmd)
    {
        sample::Registry::instance().add(name, std::move(cmd));
        ++g_registrations;
    }
};

std::string join(const std::vector<std::string>& parts, const std::string& sep)
{
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i)
        out += (i ? sep : "") + parts[i];
    return out;
}

// Static objects with constructors: these run during static initialisation.
const Registrar upper_cmd("upper", [](const std::vector<std::string>& args) {
    std::string s = join(args, " ");
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
});

const Registrar reverse_cmd("reverse", [](const std::vector<std::string>& args) {
    std::vector<std::string> r(args.rbegin(), args.rend());
    return join(r, " ");
});

const Registrar count_cmd("count", [](const std::vector<std::string>& args) {
    return std::to_string(args.size());
});

} // namespace

int sample::static_registrations()
{
    return g_registrations;
}
