// Sample payloads: what a file of lines and a directory of files load as, and each limit's
// message naming the file (and the line).
#include "message/samples.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace brokerload::message {
namespace {

using ::testing::HasSubstr;

std::string Text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string Dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(Samples, AFileIsOneSampleALineWithoutItsLineEndAndEmptyLinesSkipped) {
  const std::string path = Dir("samples_lines") + "/s.jsonl";
  std::ofstream(path, std::ios::binary) << "{\"a\":1}\n\n{\"b\":2}\r\nlast without end";
  std::string error;
  const auto samples = Samples::Load(path, error);
  ASSERT_TRUE(samples) << error;
  ASSERT_EQ(samples->Count(), 3u);
  EXPECT_EQ(Text(samples->Sample(0)), "{\"a\":1}");
  EXPECT_EQ(Text(samples->Sample(1)), "{\"b\":2}");
  EXPECT_EQ(Text(samples->Sample(2)), "last without end");
  EXPECT_EQ(samples->Largest(), 16u);
  EXPECT_EQ(samples->Smallest(), 7u);
  EXPECT_DOUBLE_EQ(samples->MeanSize(), (7 + 7 + 16) / 3.0);
}

TEST(Samples, ADirectoryIsOneSampleARegularFileInNameOrder) {
  const std::string dir = Dir("samples_dir");
  std::ofstream(dir + "/b.bin", std::ios::binary) << std::string("\0\x01\n\x02", 4);
  std::ofstream(dir + "/a.json") << "{}\n";
  std::ofstream(dir + "/.hidden") << "skipped";
  std::filesystem::create_directories(dir + "/sub");
  std::string error;
  const auto samples = Samples::Load(dir, error);
  ASSERT_TRUE(samples) << error;
  ASSERT_EQ(samples->Count(), 2u);
  EXPECT_EQ(Text(samples->Sample(0)), "{}\n");  // a file is taken whole, line ends included
  EXPECT_EQ(Text(samples->Sample(1)), std::string("\0\x01\n\x02", 4));
}

TEST(Samples, EqualSetsHaveEqualDigestsAndABoundaryMovedChangesIt) {
  const std::string dir = Dir("samples_digest");
  std::ofstream(dir + "/one") << "ab\nc\n";
  std::ofstream(dir + "/two") << "ab\nc\n";
  std::ofstream(dir + "/three") << "a\nbc\n";
  std::string error;
  EXPECT_EQ(Samples::Load(dir + "/one", error)->Digest(),
            Samples::Load(dir + "/two", error)->Digest());
  EXPECT_NE(Samples::Load(dir + "/one", error)->Digest(),
            Samples::Load(dir + "/three", error)->Digest());
}

TEST(Samples, ProblemsNameTheFileTheLineAndTheLimit) {
  const std::string dir = Dir("samples_bad");
  std::string error;
  EXPECT_FALSE(Samples::Load(dir + "/missing.jsonl", error));
  EXPECT_THAT(error, HasSubstr("missing.jsonl: cannot read it (No such file or directory)"));
  std::ofstream(dir + "/empty.jsonl") << "\n\r\n\n";
  EXPECT_FALSE(Samples::Load(dir + "/empty.jsonl", error));
  EXPECT_THAT(error, HasSubstr("empty.jsonl: no sample (no non-empty line)"));
  std::ofstream(dir + "/big.jsonl") << "ok\n" << std::string(kMaxSampleSize + 1, 'x') << "\n";
  EXPECT_FALSE(Samples::Load(dir + "/big.jsonl", error));
  EXPECT_THAT(error, HasSubstr("big.jsonl:2: a sample of 1,048,521 bytes; at most 1,048,520 "
                               "(1 MiB less brokerload's 56-byte header)"));
  EXPECT_FALSE(Samples::Load("/dev/zero", error));
  EXPECT_THAT(error, HasSubstr("/dev/zero: not a regular file"));
  const std::string empty_dir = Dir("samples_empty_dir");
  EXPECT_FALSE(Samples::Load(empty_dir, error));
  EXPECT_THAT(error, HasSubstr("no sample (no regular file in it)"));
}

}  // namespace
}  // namespace brokerload::message
