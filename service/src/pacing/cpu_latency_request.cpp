#include "pacing/cpu_latency_request.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "log/log.hpp"

namespace brokerload::pacing {

CpuLatencyRequest::CpuLatencyRequest(std::chrono::nanoseconds latency, const char* device) {
  // The device takes the request in microseconds as a binary 32-bit integer; it lasts while the
  // file stays open.
  const auto us = static_cast<std::int32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(latency).count());
  fd_ = open(device, O_WRONLY | O_CLOEXEC);
  if (fd_ >= 0 && write(fd_, &us, sizeof us) != static_cast<ssize_t>(sizeof us)) {
    const int error = errno;
    close(fd_);
    fd_ = -1;
    errno = error;
  }
  if (fd_ < 0) {
    LOG_WARN(
        "run.cpu_dma_latency: cannot hold a CPU latency request of %d us on %s (%s); it needs "
        "write access to the device (root, or the device mounted into the container); running "
        "without it",
        us, device, std::strerror(errno));
    return;
  }
  LOG_INFO("run.cpu_dma_latency: holding a CPU latency request of %d us on %s (machine-wide)", us,
           device);
}

CpuLatencyRequest::~CpuLatencyRequest() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace brokerload::pacing
