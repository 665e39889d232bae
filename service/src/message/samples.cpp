#include "message/samples.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace brokerload::message {
namespace {

std::string Thousands(std::size_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Reads `path` whole, refusing what is not a regular file or exceeds `limit` bytes (checked
// before reading, and while reading: the file may grow).
bool ReadFile(const std::filesystem::path& path, std::size_t limit, std::vector<char>& out,
              std::string& error) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    error = path.string() + ": " +
            (std::filesystem::exists(path, ec) ? std::string("not a regular file")
                                               : "cannot read it (No such file or directory)");
    return false;
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > limit) {
    error = path.string() + ": " + Thousands(size) + " bytes; the samples may hold " +
            Thousands(kMaxSamplesBytes >> 20) + " MiB together";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path.string() + ": cannot read it (" + std::strerror(errno) + ")";
    return false;
  }
  out.resize(std::min<std::size_t>(ec ? 0 : size, limit) + 1);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) {
    error = path.string() + ": read failed";
    return false;
  }
  if (out.size() > limit) {
    error = path.string() + ": more than " + Thousands(limit) + " bytes; the samples may hold " +
            Thousands(kMaxSamplesBytes >> 20) + " MiB together";
    return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<const Samples> Samples::Load(const std::string& path, std::string& error) {
  auto samples = std::make_shared<Samples>();
  samples->path_ = path;
  const auto add = [&](const std::string& where, const char* data, std::size_t size) {
    if (size > kMaxSampleSize) {
      error = where + ": a sample of " + Thousands(size) + " bytes; at most " +
              Thousands(kMaxSampleSize) + " (1 MiB less brokerload's 56-byte header)";
      return false;
    }
    if (samples->Count() >= kMaxSamples) {
      error = where + ": more than " + Thousands(kMaxSamples) + " samples";
      return false;
    }
    if (samples->bytes_.size() + size > kMaxSamplesBytes) {
      error = where + ": the samples pass " + Thousands(kMaxSamplesBytes >> 20) +
              " MiB together (the most brokerload loads)";
      return false;
    }
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    samples->bytes_.insert(samples->bytes_.end(), bytes, bytes + size);
    samples->offsets_.push_back(samples->bytes_.size());
    samples->largest_ = std::max(samples->largest_, size);
    samples->smallest_ = samples->Count() == 1 ? size : std::min(samples->smallest_, size);
    return true;
  };
  std::error_code ec;
  const std::filesystem::path root(path);
  std::vector<char> content;
  const bool directory = std::filesystem::is_directory(root, ec);
  if (directory) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
      if (entry.is_regular_file() && entry.path().filename().string().front() != '.') {
        files.push_back(entry.path());
      }
    }
    if (ec) {
      error = path + ": cannot list it (" + ec.message() + ")";
      return nullptr;
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      if (!ReadFile(file, kMaxSamplesBytes - samples->bytes_.size(), content, error) ||
          !add(file.string(), content.data(), content.size())) {
        return nullptr;
      }
    }
  } else {
    // A line's end is not part of its sample: the file may hold that much more.
    if (!ReadFile(root, 2 * kMaxSamplesBytes, content, error)) return nullptr;
    std::size_t line = 0;
    for (std::size_t start = 0; start < content.size();) {
      ++line;
      const auto end_it =
          std::find(content.begin() + static_cast<std::ptrdiff_t>(start), content.end(), '\n');
      const auto end = static_cast<std::size_t>(end_it - content.begin());
      std::size_t size = end - start;
      if (size > 0 && content[start + size - 1] == '\r') --size;
      if (size > 0 && !add(path + ":" + std::to_string(line), content.data() + start, size)) {
        return nullptr;
      }
      start = end + 1;
    }
  }
  if (samples->Count() == 0) {
    error =
        path + ": no sample (" + (directory ? "no regular file in it" : "no non-empty line") + ")";
    return nullptr;
  }
  std::uint64_t digest = 0xCBF29CE484222325ULL;
  const auto mix = [&digest](std::uint64_t value) {
    for (int i = 0; i < 8; ++i) {
      digest ^= (value >> (8 * i)) & 0xFF;
      digest *= 0x100000001B3ULL;
    }
  };
  for (const std::byte b : samples->bytes_) {
    digest ^= static_cast<std::uint64_t>(b);
    digest *= 0x100000001B3ULL;
  }
  for (const std::size_t offset : samples->offsets_) mix(offset);
  samples->digest_ = digest;
  return samples;
}

}  // namespace brokerload::message
