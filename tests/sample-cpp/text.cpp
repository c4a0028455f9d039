// text.cpp - lambdas, algorithms, unordered_map and optional.
#include "text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sample {

std::vector<std::string> split_words(const std::string& text)
{
    std::vector<std::string> words;
    std::string current;
    auto flush = [&] {
        if (!current.empty())
            words.push_back(std::move(current));
        current.clear();
    };
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '\'')
            current += static_cast<char>(std::tolower(c));
        else
            flush();
    }
    flush();
    return words;
}

std::unordered_map<std::string, std::size_t> word_counts(const std::vector<std::string>& words)
{
    std::unordered_map<std::string, std::size_t> counts;
    for (const auto& w : words)
        ++counts[w];
    return counts;
}

std::vector<std::pair<std::string, std::size_t>> top_words(const std::string& text, std::size_t n)
{
    const auto counts = word_counts(split_words(text));
    std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (sorted.size() > n)
        sorted.resize(n);
    return sorted;
}

std::optional<int> parse_int(const std::string& s)
{
    int value = 0;
    const char* first = s.data();
    const char* last = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last || s.empty())
        return std::nullopt;
    return value;
}

std::string longest_word(const std::vector<std::string>& words)
{
    auto it = std::max_element(words.begin(), words.end(),
                               [](const std::string& a, const std::string& b) {
                                   return a.size() < b.size();
                               });
    return it == words.end() ? std::string() : *it;
}

} // namespace sample
