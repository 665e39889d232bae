#pragma once

#include <prometheus/metric_type.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

// Every family the exporter exports: name, help, type and label names, in the order of the
// scrape's output. docs/metrics.md documents each; the emitters (emit.hpp) add samples to them by
// FamilyId and take their label names from here, so that a family cannot be exported unlisted.
namespace brokerload::metrics {

enum class FamilyId : std::uint8_t {
  kBuildInfo,
  kConfigLoadedTimestamp,
  kConfigReloads,
  kConfigLastReloadSuccessful,
  kReady,
  kPublished,
  kAcked,
  kPublishErrors,
  kConsumed,
  kLost,
  kUnconfirmed,
  kDeliveredAfterError,
  kOlderThanWindow,
  kDroppedByClient,
  kArrivedAfterLoss,
  kDuplicated,
  kRedelivered,
  kOutOfOrder,
  kForeign,
  kSources,
  kRoleInfo,
  kProcessed,
  kSendsLate,
  kSendsDropped,
  kPublishLatency,
  kEndToEndLatency,
  kEndToEndServiceLatency,
  kSendLag,
  kBrokerPublishLatency,
  kBrokerEndToEndLatency,
  kBrokerPublishLatencyWindow,
  kBrokerEndToEndLatencyWindow,
  kBrokerPublishErrors,
  kBrokerLost,
  kBrokerDuplicated,
  kEndToEndLatencyWindow,
  kNegativeLatency,
  kMostNegativeLatency,
  kPublishLatencyWindow,
  kSendLagWindow,
  kTargetRate,
  kInFlight,
  kStageInfo,
  kTargetInfo,
  kPublisherRealtime,
  kBrokerConnected,
  kBrokerDisconnects,
  kClientErrors,
  kTargetHealth,
  kTargetHealthy,
  kBytesPublished,
  kBytesConsumed,
  kProducerSentBytes,
  kConsumerBacklog,
  kBrokerBacklog,
  kBrokerAckPending,
  kBrokerPartitionsLed,
  // Kafka's consumer groups: coordinator and timed commits (emit_commits.cpp).
  kGroupCoordinator,
  kBrokerCommitLatency,
  kBrokerCommitFailures,
  kWorkerQueueDepth,
  kProcessCpu,
  kProcessResidentMemory,
  kProcessVirtualMemory,
  kProcessOpenFds,
  kProcessThreads,
  kProcessStartTime,
  kCount
};
inline constexpr std::size_t kFamilyCount = static_cast<std::size_t>(FamilyId::kCount);

using LabelNames = std::span<const std::string_view>;

// The label name sets, in the order the samples carry them.
inline constexpr std::array<std::string_view, 0> kNoLabels{};
inline constexpr std::array<std::string_view, 1> kVersionLabel{"version"};
inline constexpr std::array<std::string_view, 1> kResultLabel{"result"};
inline constexpr std::array<std::string_view, 1> kTargetLabel{"target"};
inline constexpr std::array<std::string_view, 2> kTargetTopic{"target", "topic"};
inline constexpr std::array<std::string_view, 3> kTargetTopicReason{"target", "topic", "reason"};
inline constexpr std::array<std::string_view, 2> kTargetRole{"target", "role"};
inline constexpr std::array<std::string_view, 2> kTargetStage{"target", "stage"};
inline constexpr std::array<std::string_view, 2> kTargetCheck{"target", "check"};
inline constexpr std::array<std::string_view, 2> kTargetBroker{"target", "broker"};
inline constexpr std::array<std::string_view, 3> kTargetQuantileWindow{"target", "quantile",
                                                                       "window"};
inline constexpr std::array<std::string_view, 4> kTargetBrokerQuantileWindow{"target", "broker",
                                                                             "quantile", "window"};
inline constexpr std::array<std::string_view, 3> kTargetBrokerReason{"target", "broker", "reason"};
inline constexpr std::array<std::string_view, 3> kTargetVersions{"target", "broker_version",
                                                                 "client_version"};

struct FamilySpec {
  FamilyId id;
  std::string_view name;
  std::string_view help;
  prometheus::MetricType type;
  LabelNames labels;
};

// Indexed by FamilyId.
const std::array<FamilySpec, kFamilyCount>& Catalogue();
inline const FamilySpec& Spec(FamilyId id) { return Catalogue()[static_cast<std::size_t>(id)]; }

}  // namespace brokerload::metrics
