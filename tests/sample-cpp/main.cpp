// main.cpp - drives every module of the sample and checks the results.
#include <cmath>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "registry.hpp"
#include "shapes.hpp"
#include "stats.hpp"
#include "text.hpp"
#include "values.hpp"

#define STRINGIFY(x) #x
#define EXPECT(cond) expect((cond), STRINGIFY(cond), __LINE__)

namespace {

int g_failures = 0;

// A static object with a constructor and destructor in this TU too.
struct Banner {
    Banner() { std::cout << "sample-cpp starting\n"; }
    ~Banner() { std::cout << "sample-cpp done\n"; }
} const g_banner;

void expect(bool ok, const char* what, int line)
{
    if (!ok) {
        ++g_failures;
        std::cout << "  FAILED (line " << line << "): " << what << '\n';
    }
}

void demo_shapes()
{
    std::cout << "[shapes]\n";
    const auto shapes = sample::make_shapes({ "circle 1", "rect 2 3", "square 4", "tri 3 4 5" });
    double total = 0;
    for (const auto& s : shapes) {
        std::cout << "  " << s->describe() << '\n';
        total += s->area();
    }
    EXPECT(shapes.size() == 4 && shapes[2]->name() == "square");
    EXPECT(total > 31.14 && total < 31.15);

    int errors = 0;
    for (const char* bad : { "hexagon 1", "circle -1", "tri 1 1 5", "rect 2", "square x" }) {
        try {
            sample::make_shape(bad);
        } catch (const sample::ShapeError& e) {
            ++errors;
            std::cout << "  rejected '" << bad << "': " << e.what() << '\n';
        }
    }
    EXPECT(errors == 5);
}

void demo_stats()
{
    std::cout << "[stats]\n";
    sample::Accumulator<int> ints;
    for (int v : { 4, 8, 15, 16, 23, 42 })
        ints.add(v);
    EXPECT(ints.sum() == 108 && ints.min() == 4 && ints.max() == 42);
    EXPECT(ints.mean() && std::abs(*ints.mean() - 18.0) < 1e-12);
    std::cout << "  ints: n=" << ints.count() << " mean=" << ints.mean().value_or(0)
              << " variance=" << ints.variance().value_or(0) << '\n';

    sample::Accumulator<double> empty;
    EXPECT(!empty.mean() && !empty.min());

    EXPECT(sample::median<int>({ 5, 1, 3 }) == 3);
    EXPECT(sample::median<double>({ 4.0, 1.0, 3.0, 2.0 }) == 2.5);
    EXPECT(!sample::median<int>({}).has_value());
    const auto totals = sample::running_total<int>({ 1, 2, 3, 4 });
    EXPECT(totals == std::vector<int>({ 1, 3, 6, 10 }));
}

void demo_text()
{
    std::cout << "[text]\n";
    const std::string text =
        "The cat sat on the mat. The dog sat on the log; the cat didn't mind.";
    const auto top = sample::top_words(text, 3);
    for (const auto& [word, count] : top)
        std::cout << "  " << word << " x" << count << '\n';
    EXPECT(top.size() == 3 && top[0].first == "the" && top[0].second == 5);
    EXPECT(top[1].first == "cat" && top[2].first == "on");
    EXPECT(sample::longest_word(sample::split_words(text)) == "didn't");
    EXPECT(sample::parse_int("-123") == -123);
    EXPECT(!sample::parse_int("12x") && !sample::parse_int(""));
}

void demo_values()
{
    std::cout << "[values]\n";
    std::vector<sample::Value> nums;
    for (const char* t : { "1", "2", "3.5" })
        nums.push_back(sample::parse_value(t));
    const auto total = sample::sum(nums);
    std::cout << "  sum = " << sample::to_string(total) << " (" << sample::type_name(total)
              << ")\n";
    EXPECT(std::get<double>(total) == 6.5);
    EXPECT(std::get<long>(sample::add(2L, 40L)) == 42);
    EXPECT(sample::to_string(sample::add(sample::parse_value("\"ab\""), std::string("cd"))) ==
           "\"abcd\"");
    EXPECT(sample::type_name(sample::parse_value("null")) == "null");

    bool threw = false;
    try {
        sample::add(true, 1L);
    } catch (const std::invalid_argument& e) {
        threw = true;
        std::cout << "  " << e.what() << '\n';
    }
    EXPECT(threw);
}

void demo_registry()
{
    std::cout << "[registry]\n";
    auto& reg = sample::Registry::instance();
    for (const auto& name : reg.names())
        std::cout << "  command: " << name << '\n';
    EXPECT(sample::static_registrations() == 3);
    EXPECT(reg.run("upper", { "hello", "world" }) == "HELLO WORLD");
    EXPECT(reg.run("reverse", { "a", "b", "c" }) == "c b a");
    EXPECT(reg.run("count", { "x", "y" }) == "2");
    bool threw = false;
    try {
        reg.run("missing", {});
    } catch (const std::out_of_range&) {
        threw = true;
    }
    EXPECT(threw && !reg.has("missing"));
}

} // namespace

int main()
{
    demo_shapes();
    demo_stats();
    demo_text();
    demo_values();
    demo_registry();
    std::cout << (g_failures == 0 ? "all checks passed" : "some checks FAILED") << '\n';
    return g_failures == 0 ? 0 : 1;
}
