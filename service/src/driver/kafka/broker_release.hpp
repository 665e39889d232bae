#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// Which Kafka release a broker runs, as far as a client can tell: Kafka sends no release string,
// and 4.0 removed inter.broker.protocol.version, so brokerload reads the API versions each broker
// serves (its ApiVersions answer, which librdkafka shows only in its "feature" debug log) and
// matches them against the releases whose versions it knows. No librdkafka here.
namespace brokerload::driver::kafka {

// The versions of one API a broker serves; -1 for an API it does not list.
struct ApiRange {
  std::int16_t min = -1;
  std::int16_t max = -1;
};

// ApiKeys at or above this are not recorded (Kafka 4.2's highest is 92).
inline constexpr std::size_t kRecordedApiKeys = 128;

// One broker's latest ApiVersions answer. `broker` is librdkafka's name for the connection:
// "host:port/id", "host:port/bootstrap" for a bootstrap address, "TxnCoordinator/id" for a
// logical one.
struct BrokerApis {
  std::string broker;
  std::array<ApiRange, kRecordedApiKeys> apis{};
};

// librdkafka's debug property with "feature" (the context that logs ApiVersions answers) added
// to the user's value, if any: "" -> "feature", "broker" -> "broker,feature"; a value that has it
// already (or "all") is kept.
std::string WithFeatureDebug(std::string_view user_debug);

// Collects the ApiVersions answers from librdkafka's log lines of facility "APIVERSION". Record
// runs on librdkafka's broker threads (a client's log callback), Brokers on any thread; both take
// one mutex, held for no longer than a copy. Allocates only for a broker not seen before.
class ApiVersionsLog {
 public:
  // One log line as librdkafka hands it to log_cb, e.g.
  // "[thrd:h:9092/1]: h:9092/1:   ApiKey Produce (0) Versions 0..11". An answer is kept once
  // complete: after "Broker API support:", its "ApiKey" lines, and the " Feature" lines that
  // librdkafka logs right after them. A reconnection's answer replaces the broker's previous one.
  void Record(std::string_view line);

  // Every broker's latest complete answer, in the order first seen.
  std::vector<BrokerApis> Brokers() const;

 private:
  struct Entry {
    BrokerApis answered;
    std::array<ApiRange, kRecordedApiKeys> pending{};
    bool has_answer = false;
    bool reading = false;  // between "Broker API support:" and its first " Feature" line
  };
  Entry* Existing(std::string_view broker);  // null when not seen; mutex_ held
  Entry& Find(std::string_view broker);      // adds it when new; mutex_ held

  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

// True when the answers point to a release brokerload's table knows (3.9 or later) for at least
// one broker; otherwise the caller may ask for inter.broker.protocol.version (3.x has it).
bool NamesRelease(const std::vector<BrokerApis>& brokers);

// What brokerload_target_info{broker_version} and compare's report say.
struct VersionEvidence {
  std::vector<BrokerApis> brokers;   // as ApiVersionsLog recorded them
  std::string no_answer_reason;      // why `brokers` is empty
  std::string protocol_version;      // inter.broker.protocol.version as DescribeConfigs read it
  std::string protocol_version_gap;  // why not, when protocol_version is "" and it was asked
};

// The release, how it was learned and what cannot be known, e.g. "4.1 (inferred from the API
// versions it serves: Produce v13, Fetch v18; the patch level is not on the wire)". "at least 4.2"
// past the newest release in the table; "brokers differ: …" when their answers point to different
// releases. Without a release from the answers: inter.broker.protocol.version when read (3.x),
// else "unknown (…)" with the reasons.
std::string DescribeBrokerVersion(const VersionEvidence& evidence);

}  // namespace brokerload::driver::kafka
