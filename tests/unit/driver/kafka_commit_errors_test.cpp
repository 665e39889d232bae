// The one mapping from a failed Kafka offset commit's error to the bounded reasons of
// brokerload_broker_commit_failures_total.
#include <gtest/gtest.h>

#include "driver/kafka/kafka_errors.hpp"

namespace brokerload::driver::kafka {
namespace {

TEST(MapCommitError, EachKnownCauseHasItsReasonAndTheRestIsOther) {
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR_NO_ERROR), CommitFailure::kNone);
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR__TIMED_OUT), CommitFailure::kTimeout);
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT), CommitFailure::kTimeout);
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR_NOT_COORDINATOR), CommitFailure::kCoordinator);
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS),
            CommitFailure::kCoordinator);
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS), CommitFailure::kRebalance);
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION), CommitFailure::kRebalance);
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID), CommitFailure::kRebalance);
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR__TRANSPORT), CommitFailure::kTransport);
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED),
            CommitFailure::kUnauthorized);
  EXPECT_EQ(MapCommitError(RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE), CommitFailure::kOther);
}

TEST(CommitFailureName, NamesAreTheDocumentedLabelValues) {
  EXPECT_EQ(CommitFailureName(CommitFailure::kTimeout), "timeout");
  EXPECT_EQ(CommitFailureName(CommitFailure::kCoordinator), "coordinator");
  EXPECT_EQ(CommitFailureName(CommitFailure::kRebalance), "rebalance");
  EXPECT_EQ(CommitFailureName(CommitFailure::kTransport), "transport");
  EXPECT_EQ(CommitFailureName(CommitFailure::kUnauthorized), "unauthorized");
  EXPECT_EQ(CommitFailureName(CommitFailure::kOther), "other");
}

}  // namespace
}  // namespace brokerload::driver::kafka
