#include "driver/kafka/kafka_client.hpp"

#include <array>

#include "driver/kafka/bounded_retry.hpp"
#include "log/log.hpp"
#include "message/message_headers.hpp"

namespace brokerload::driver::kafka {

std::string LibraryVersion() { return rd_kafka_version_str(); }

std::span<const std::byte> BrokerloadHeader(const rd_kafka_message_t* message) {
  rd_kafka_headers_t* headers = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_header_get_last(headers, message::kHeaderName.data(), &value, &size) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == nullptr) {
    return {};
  }
  return {static_cast<const std::byte*>(value), size};
}

KafkaPtr NewClient(rd_kafka_type_t type, ConfPtr conf, std::string& error) {
  std::array<char, 512> text{};
  KafkaPtr rk(rd_kafka_new(type, conf.get(), text.data(), text.size()));
  if (rk) {
    conf.release();  // librdkafka owns it now
  } else {
    error = std::string("cannot create the Kafka client: ") + text.data();
  }
  return rk;
}

bool ClientSettingsRefused() { return rd_kafka_last_error() == RD_KAFKA_RESP_ERR__INVALID_ARG; }

rd_kafka_resp_err_t AskMetadata(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, nullptr, &metadata, static_cast<int>(timeout.count()));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(metadata);
  return err;
}

bool WaitForBroker(rd_kafka_t* rk, const FatalError& fatal, std::chrono::milliseconds timeout,
                   std::string& error, const std::function<bool()>& cancelled) {
  std::string problem = "no answer";
  std::string unfixable;
  bool cancel = false;
  const bool answered = RetryUntil(
      std::chrono::steady_clock::now() + timeout, {std::chrono::milliseconds(500), {}},
      [&] {
        rd_kafka_poll(rk, 0);  // a producer's error callback runs only from poll
        unfixable = fatal.Get();
        cancel = cancelled && cancelled();
        return !unfixable.empty() || cancel;
      },
      [&](std::chrono::milliseconds wait) {
        const rd_kafka_resp_err_t err = AskMetadata(rk, wait);
        problem = rd_kafka_err2str(err);
        return err == RD_KAFKA_RESP_ERR_NO_ERROR;
      });
  if (answered) return true;
  if (cancel) {
    error = "cancelled";
    return false;
  }
  if (!unfixable.empty()) {
    error = std::move(unfixable);
    return false;
  }
  error = "no broker answered within " + std::to_string(timeout.count()) + " ms (" + problem + ")";
  if (const std::string last = fatal.LastRetryable(); !last.empty()) error += ": " + last;
  return false;
}

void ForwardClientLog(int level, const char* facility, const char* line) {
  // syslog levels: 0-3 error, 4 warning, 5 notice, 6 info, 7 debug.
  if (level <= 3) {
    LOG_ERROR("kafka: librdkafka %s: %s", facility, line);
  } else if (level == 4) {
    LOG_WARN("kafka: librdkafka %s: %s", facility, line);
  } else {
    LOG_INFO("kafka: librdkafka %s: %s", facility, line);
  }
}

}  // namespace brokerload::driver::kafka
