#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

// Sample payloads (workload.payload: {samples: PATH}): real messages that brokerload sends after
// its header instead of made-up bytes. PATH is a file of newline-delimited samples (each line one
// message, without its line end: "\n" or "\r\n"; empty lines are skipped) or a directory whose
// regular files are one sample each, taken in name order (files starting with "." are skipped).
// Only regular files are read. Loaded whole into memory once and immutable after: thread-safe to
// read.
namespace brokerload::message {

// The limits a set of samples is checked against when it is loaded.
inline constexpr std::size_t kMaxSamples = 1'000'000;
inline constexpr std::size_t kMaxSamplesBytes = std::size_t{256} << 20;  // all samples together
// The largest message is 1 MiB, header included.
inline constexpr std::size_t kMaxSampleSize = (std::size_t{1} << 20) - 56;

class Samples {
 public:
  // Reads `path`; nullptr with `error` naming the file (and the line) and the limit when it
  // cannot be read, holds no sample, or a sample or the whole exceed the limits above.
  static std::shared_ptr<const Samples> Load(const std::string& path, std::string& error);

  std::size_t Count() const { return offsets_.size() - 1; }
  std::span<const std::byte> Sample(std::size_t i) const {
    return {bytes_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  std::size_t Largest() const { return largest_; }
  std::size_t Smallest() const { return smallest_; }
  double MeanSize() const {
    return static_cast<double>(bytes_.size()) / static_cast<double>(Count());
  }
  // A digest of every sample's bytes and boundaries (FNV-1a 64): equal sets have equal ones.
  std::uint64_t Digest() const { return digest_; }
  const std::string& Path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::byte> bytes_;         // every sample, one after the other
  std::vector<std::size_t> offsets_{0};  // sample i is [offsets_[i], offsets_[i + 1])
  std::size_t largest_ = 0;
  std::size_t smallest_ = 0;
  std::uint64_t digest_ = 0;
};

}  // namespace brokerload::message
