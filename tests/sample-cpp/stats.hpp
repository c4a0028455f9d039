// stats.hpp - class and function templates, explicitly instantiated in
// stats.cpp for int and double (other TUs see only the declarations).
#ifndef SAMPLE_CPP_STATS_HPP
#define SAMPLE_CPP_STATS_HPP

#include <cstddef>
#include <optional>
#include <vector>

namespace sample {

template <typename T>
class Accumulator {
public:
    void add(T value);
    std::size_t count() const { return count_; }
    T sum() const { return sum_; }
    std::optional<T> min() const;
    std::optional<T> max() const;
    std::optional<double> mean() const;
    std::optional<double> variance() const;

private:
    std::size_t count_ = 0;
    T sum_{};
    T min_{};
    T max_{};
    double mean_ = 0.0;
    double m2_ = 0.0; // Welford's running sum of squared deviations
};

template <typename T>
std::optional<T> median(std::vector<T> values);

template <typename T>
std::vector<T> running_total(const std::vector<T>& values);

extern template class Accumulator<int>;
extern template class Accumulator<double>;
extern template std::optional<int> median<int>(std::vector<int>);
extern template std::optional<double> median<double>(std::vector<double>);
extern template std::vector<int> running_total<int>(const std::vector<int>&);
extern template std::vector<double> running_total<double>(const std::vector<double>&);

} // namespace sample

#endif
