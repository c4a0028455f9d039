// stats.cpp - template definitions plus explicit instantiations.
#include "stats.hpp"

#include <algorithm>
#include <numeric>

namespace sample {

template <typename T>
void Accumulator<T>::add(T value)
{
    if (count_ == 0) {
        min_ = max_ = value;
    } else {
        min_ = std::min(min_, value);
        max_ = std::max(max_, value);
    }
    ++count_;
    sum_ += value;
    const double x = static_cast<double>(value);
    const double delta = x - mean_;
    mean_ += delta / static_cast<double>(count_);
    m2_ += delta * (x - mean_);
}

template <typename T>
std::optional<T> Accumulator<T>::min() const
{
    return count_ ? std::optional<T>(min_) : std::nullopt;
}

template <typename T>
std::optional<T> Accumulator<T>::max() const
{
    return count_ ? std::optional<T>(max_) : std::nullopt;
}

template <typename T>
std::optional<double> Accumulator<T>::mean() const
{
    if (count_ == 0)
        return std::nullopt;
    return mean_;
}

template <typename T>
std::optional<double> Accumulator<T>::variance() const
{
    if (count_ < 2)
        return std::nullopt;
    return m2_ / static_cast<double>(count_ - 1);
}

template <typename T>
std::optional<T> median(std::vector<T> values)
{
    if (values.empty())
        return std::nullopt;
    const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
    std::nth_element(values.begin(), mid, values.end());
    if (values.size() % 2 == 1)
        return *mid;
    const T upper = *mid;
    const T lower = *std::max_element(values.begin(), mid);
    return lower + (upper - lower) / 2;
}

template <typename T>
std::vector<T> running_total(const std::vector<T>& values)
{
    std::vector<T> out(values.size());
    std::partial_sum(values.begin(), values.end(), out.begin());
    return out;
}

template class Accumulator<int>;
template class Accumulator<double>;
template std::optional<int> median<int>(std::vector<int>);
template std::optional<double> median<double>(std::vector<double>);
template std::vector<int> running_total<int>(const std::vector<int>&);
template std::vector<double> running_total<double>(const std::vector<double>&);

} // namespace sample
