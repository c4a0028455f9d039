// registry.hpp - named commands registered during static initialisation.
#ifndef SAMPLE_CPP_REGISTRY_HPP
#define SAMPLE_CPP_REGISTRY_HPP

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sample {

using Command = std::function<std::string(const std::vector<std::string>&)>;

class Registry {
public:
    static Registry& instance();
    void add(const std::string& name, Command cmd);
    bool has(const std::string& name) const { return commands_.count(name) != 0; }
    std::string run(const std::string& name, const std::vector<std::string>& args) const;
    std::vector<std::string> names() const;

private:
    Registry() = default;
    std::map<std::string, Command> commands_;
};

// Number of static registrars constructed before main() (see registry.cpp).
int static_registrations();

} // namespace sample

#endif
