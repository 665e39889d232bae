#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace brokerload::driver {

// The one result of a send or an acknowledgement, whatever the broker. Each backend maps its
// native error (rd_kafka_resp_err_t, natsStatus) to it in one function.
enum class Status {
  kOk,
  kQueueFull,     // the client's bound on outstanding messages: backpressure, retry later
  kTimeout,       // no acknowledgement in time
  kDisconnected,  // no connection to the broker
  kRejected,      // the broker refused it (no stream, not leader, policy)
  kUnauthorized,  // credentials, certificate or permission refused (an ACL, a NATS permission)
  kTooLarge,      // message over the broker's or client's limit
  kUnknownTopic,  // topic or stream does not exist; JetStream: no responders (also while a
                  // replicated stream elects its leader)
  kOther,
};

inline constexpr std::size_t kStatusCount = 9;

// The broker a message was produced to or read from, as the client names it: Kafka's node id
// (rd_kafka_message_broker_id); kUnknownBroker where the client does not say (JetStream).
inline constexpr std::int32_t kUnknownBroker = -1;

// Bounded label values for brokerload_publish_errors_total{reason}.
constexpr std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kQueueFull:
      return "queue_full";
    case Status::kTimeout:
      return "timeout";
    case Status::kDisconnected:
      return "disconnected";
    case Status::kRejected:
      return "rejected";
    case Status::kUnauthorized:
      return "unauthorized";
    case Status::kTooLarge:
      return "too_large";
    case Status::kUnknownTopic:
      return "unknown_topic";
    case Status::kOther:
      return "other";
  }
  return "other";
}

// Why a commit of consumed offsets failed (Consumer::TimedCommits), as
// brokerload_broker_commit_failures_total{reason} counts it. Each backend maps its native error
// to it in one function.
enum class CommitFailure {
  kNone,
  kTimeout,       // no answer in time
  kCoordinator,   // the broker asked is not (or not yet) the group's coordinator
  kRebalance,     // the group is rebalancing, or this member's generation is over
  kTransport,     // no connection to the coordinator
  kUnauthorized,  // the group or a topic refused (an ACL)
  kOther,
};

inline constexpr std::size_t kCommitFailureCount = 7;

constexpr std::string_view CommitFailureName(CommitFailure failure) {
  switch (failure) {
    case CommitFailure::kNone:
      return "none";
    case CommitFailure::kTimeout:
      return "timeout";
    case CommitFailure::kCoordinator:
      return "coordinator";
    case CommitFailure::kRebalance:
      return "rebalance";
    case CommitFailure::kTransport:
      return "transport";
    case CommitFailure::kUnauthorized:
      return "unauthorized";
    case CommitFailure::kOther:
      break;
  }
  return "other";
}

}  // namespace brokerload::driver
