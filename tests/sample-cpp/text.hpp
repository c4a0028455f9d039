// text.hpp - word statistics with the standard containers and algorithms.
#ifndef SAMPLE_CPP_TEXT_HPP
#define SAMPLE_CPP_TEXT_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sample {

std::vector<std::string> split_words(const std::string& text);
std::unordered_map<std::string, std::size_t> word_counts(const std::vector<std::string>& words);
// The n most frequent words, ties broken alphabetically.
std::vector<std::pair<std::string, std::size_t>> top_words(const std::string& text, std::size_t n);
std::optional<int> parse_int(const std::string& s);
std::string longest_word(const std::vector<std::string>& words);

} // namespace sample

#endif
