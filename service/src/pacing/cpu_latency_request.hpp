#pragma once

#include <chrono>

namespace brokerload::pacing {

// A PM QoS CPU latency request (/dev/cpu_dma_latency), held from construction to destruction:
// while any process holds one, the kernel keeps every core out of idle states that take longer
// than the request to leave, so that a sleeping thread wakes promptly (docs/configuration.md,
// `run.cpu_dma_latency`). It applies to the whole machine, the brokers on it included. Opening
// the device needs write access to it (root, or a device mount in a container); when refused,
// Held() is false and the constructor has logged a warning naming the device and the reason.
// Not copyable; any thread.
class CpuLatencyRequest {
 public:
  explicit CpuLatencyRequest(std::chrono::nanoseconds latency,
                             const char* device = "/dev/cpu_dma_latency");
  ~CpuLatencyRequest();
  CpuLatencyRequest(const CpuLatencyRequest&) = delete;
  CpuLatencyRequest& operator=(const CpuLatencyRequest&) = delete;

  bool Held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace brokerload::pacing
