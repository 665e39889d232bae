#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <string>

#include "driver/kafka/kafka_errors.hpp"
#include "driver/kafka/kafka_handles.hpp"

// A Kafka client's life: creating it, waiting for a broker to answer, forwarding its log.
namespace brokerload::driver::kafka {

// The librdkafka this process runs with, as it reports itself.
std::string LibraryVersion();

// Creates the client; the conf passes to librdkafka only on success.
KafkaPtr NewClient(rd_kafka_type_t type, ConfPtr conf, std::string& error);
// After NewClient failed on this thread: whether librdkafka refused the settings themselves
// (conflicting properties, SASL or TLS material it cannot use), which no retry can change, rather
// than a resource of the machine (a thread it could not start).
bool ClientSettingsRefused();

// Asks for metadata once, waiting up to `timeout`: NO_ERROR when a broker answered. Polls
// nothing, so no callback runs on the caller's thread (housekeeping may ask: an idle client's way
// back to "up").
rd_kafka_resp_err_t AskMetadata(rd_kafka_t* rk, std::chrono::milliseconds timeout);

// Waits until a broker answers (the connection, TLS and SASL are through), serving the client's
// callbacks meanwhile; false with `error` at once when `fatal` is recorded, or after `timeout`
// naming the client's last error (librdkafka's words: the host and the cause). Returns within
// `timeout`: each request waits at most 500 ms or what is left of it. `cancelled`, when set, is
// asked between requests: true ends the wait (false, "cancelled").
bool WaitForBroker(rd_kafka_t* rk, const FatalError& fatal, std::chrono::milliseconds timeout,
                   std::string& error, const std::function<bool()>& cancelled = {});

// The value of a produced or consumed message's record header "brokerload" (brokerload's header,
// with workload.brokerload_header: message_header); empty where it has none. librdkafka parses a
// consumed message's headers at the first call (on that message's thread).
std::span<const std::byte> BrokerloadHeader(const rd_kafka_message_t* message);

// A client's log_cb's way into brokerload's log, with librdkafka's facility: syslog levels 0-3 as
// errors, 4 as warnings, 5-7 as info (the caller decides which levels to forward). Runs on
// librdkafka's threads.
void ForwardClientLog(int level, const char* facility, const char* line);

}  // namespace brokerload::driver::kafka
