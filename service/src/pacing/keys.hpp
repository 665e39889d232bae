#pragma once

#include <cstdint>
#include <vector>

// The key of each message (workload.keys and workload.key_skew). Without a skew the keys come in
// turn: message n of the run, which goes to topic n % topics, gets key (n / topics) % keys, so
// each topic's messages cycle through every key. With a skew s each message's key is drawn at
// random with the Zipf law: key k (from 0) with probability (1/(k+1)^s) / sum over j of
// (1/(j+1)^s), from a table of the cumulative probabilities built once (8 bytes a key) and
// splitmix64 of the seed and n, so that message n has one key however often its send is retried;
// a draw is a binary search, no allocation.
namespace brokerload::pacing {

class KeyChooser {
 public:
  KeyChooser(std::uint32_t keys, double skew, std::uint64_t seed);

  // The key of the run's message n (message::kNoKey without keys).
  std::uint32_t KeyOf(std::uint64_t n, std::uint32_t topics) const;
  // The probability of key k under the skew (1 / keys without one).
  double Probability(std::uint32_t k) const;

 private:
  std::uint32_t keys_;
  std::vector<double> cumulative_;  // with a skew: P(key <= k), the last exactly 1
  std::uint64_t seed_;
};

}  // namespace brokerload::pacing
