#include "pacing/cpu_latency_request.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

namespace brokerload::pacing::testing {
namespace {

// The request is written as the device takes it: one binary 32-bit count of microseconds.
TEST(CpuLatencyRequest, WritesTheLatencyInMicrosecondsAndHoldsItWhileAlive) {
  char path[] = "/tmp/cpu-latency-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    const CpuLatencyRequest request(std::chrono::microseconds(7), path);
    EXPECT_TRUE(request.Held());
  }
  std::ifstream written(path, std::ios::binary);
  std::int32_t value = -1;
  written.read(reinterpret_cast<char*>(&value), sizeof value);
  EXPECT_EQ(written.gcount(), static_cast<std::streamsize>(sizeof value));
  EXPECT_EQ(value, 7);
  std::remove(path);
}

TEST(CpuLatencyRequest, AnUnwritableDeviceIsRefusedNotFatal) {
  const CpuLatencyRequest request(std::chrono::microseconds(0), "/nonexistent/cpu_dma_latency");
  EXPECT_FALSE(request.Held());
}

}  // namespace
}  // namespace brokerload::pacing::testing
