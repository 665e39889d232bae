#include "pacing/keys.hpp"

#include <algorithm>
#include <cmath>

#include "message/header.hpp"
#include "pacing/draw.hpp"

namespace brokerload::pacing {

KeyChooser::KeyChooser(std::uint32_t keys, double skew, std::uint64_t seed)
    : keys_(keys), seed_(seed) {
  if (keys_ < 2 || !(skew > 0)) return;
  cumulative_.resize(keys_);
  double sum = 0;
  for (std::uint32_t k = 0; k < keys_; ++k) {
    sum += std::pow(static_cast<double>(k) + 1, -skew);
    cumulative_[k] = sum;
  }
  for (double& c : cumulative_) c /= sum;
  cumulative_.back() = 1;
}

std::uint32_t KeyChooser::KeyOf(std::uint64_t n, std::uint32_t topics) const {
  if (keys_ == 0) return message::kNoKey;
  if (cumulative_.empty()) return static_cast<std::uint32_t>((n / topics) % keys_);
  const double u = UniformDraw(seed_, n);
  const auto at = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  return static_cast<std::uint32_t>(std::min<std::ptrdiff_t>(at - cumulative_.begin(), keys_ - 1));
}

double KeyChooser::Probability(std::uint32_t k) const {
  if (k >= keys_) return 0;
  if (cumulative_.empty()) return 1.0 / keys_;
  return cumulative_[k] - (k == 0 ? 0 : cumulative_[k - 1]);
}

}  // namespace brokerload::pacing
