// Counting who leads a target's partitions or streams, the log lines that name a broker leading
// none, and how often the producer is asked: pure, with the clock passed in (no sleeps).
#include "app/leader_watch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

namespace brokerload::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Leads = metrics::BrokerLeads;

TEST(CountLeads, EveryListedBrokerHasACountZeroIncludedInNumericOrder) {
  const driver::Leadership leadership{{"10", "2", "1", "3"}, {"1", "2", "2", "10", "", "1"}};
  EXPECT_THAT(CountLeads(leadership),
              ElementsAre(Leads{"1", 2}, Leads{"2", 2}, Leads{"3", 0}, Leads{"10", 1}));
}

TEST(CountLeads, ALeaderTheBrokerListLacksIsCountedAndAnUnknownOneIsNot) {
  const driver::Leadership leadership{{"1"}, {"4", "1", "", ""}};
  EXPECT_THAT(CountLeads(leadership), ElementsAre(Leads{"1", 1}, Leads{"4", 1}));
  EXPECT_THAT(CountLeads({{}, {"", ""}}), IsEmpty());
}

TEST(CountLeads, ServerNamesAreOrderedAsText) {
  const driver::Leadership leadership{{"n3", "n1", "n2"}, {"n1", "n1", "n3"}};
  EXPECT_THAT(CountLeads(leadership), ElementsAre(Leads{"n1", 2}, Leads{"n2", 0}, Leads{"n3", 1}));
}

TEST(LeaderLines, TheSpreadNamesEachBrokerWithItsCountAndTheTotal) {
  const LeaderWords kafka = WordsFor(driver::Backend::kKafka);
  EXPECT_EQ(SpreadLine("kafka", kafka, {{"1", 2}, {"2", 0}, {"3", 1}}, 0),
            "kafka: partition leaders: broker 1 leads 2, broker 2 leads 0, broker 3 leads 1 "
            "(3 partitions)");
  EXPECT_EQ(SpreadLine("kafka", kafka, {{"1", 4}}, 2),
            "kafka: partition leaders: broker 1 leads 4 (6 partitions, 2 without a leader)");
  EXPECT_EQ(SpreadLine("nats", WordsFor(driver::Backend::kNats), {{"n1", 5}}, 0),
            "nats: stream leaders: server n1 leads 5 (5 streams)");
  EXPECT_EQ(SpreadLine("nats", WordsFor(driver::Backend::kNats), {}, 1),
            "nats: stream leaders: no server known (1 stream, 1 without a leader)");
}

TEST(LeaderLines, TheWarningNamesEveryBrokerThatLeadsNoneAndHowToFixIt) {
  const LeaderWords kafka = WordsFor(driver::Backend::kKafka);
  EXPECT_EQ(NoneLedLine("kafka", kafka, {{"1", 3}, {"2", 1}}), "");
  const std::string one = NoneLedLine("kafka", kafka, {{"1", 3}, {"2", 0}});
  EXPECT_THAT(one, HasSubstr("kafka: broker 2 leads no partition of this run: brokerload does not "
                             "measure it ("));
  EXPECT_THAT(one, HasSubstr("targets.kafka.topic.partitions: per_broker"));
  EXPECT_THAT(NoneLedLine("kafka", kafka, {{"1", 0}, {"2", 6}, {"3", 0}}),
              HasSubstr("kafka: brokers 1, 3 lead no partition of this run: brokerload does not "
                        "measure them ("));
  EXPECT_THAT(NoneLedLine("nats", WordsFor(driver::Backend::kNats), {{"n1", 5}, {"n2", 0}}),
              HasSubstr("nats: server n2 leads no stream of this run"));
}

// Answers Leaders() from a script, one answer per call, recording the timeouts it was given.
class ScriptedProducer final : public driver::Producer {
 public:
  driver::Description Describe() const override { return {}; }
  driver::Status Send(std::size_t, std::span<const std::byte>,
                      std::span<const std::byte>) override {
    return driver::Status::kOk;
  }
  bool Flush(std::chrono::milliseconds) override { return true; }
  std::optional<driver::Leadership> Leaders(std::chrono::milliseconds timeout) override {
    timeouts.push_back(timeout);
    if (answers.empty()) return std::nullopt;
    std::optional<driver::Leadership> answer = answers.front();
    answers.pop_front();
    return answer;
  }
  std::deque<std::optional<driver::Leadership>> answers;
  std::vector<std::chrono::milliseconds> timeouts;
};

TEST(LeaderWatch, AsksAtOnceThenOncePerIntervalAndKeepsTheLastAnswerWhenNoneComes) {
  using std::chrono::milliseconds;
  ScriptedProducer producer;
  producer.answers = {driver::Leadership{{"1", "2", "3"}, {"1", "2", "3"}}, std::nullopt,
                      driver::Leadership{{"1", "2", "3"}, {"1", "1", "3"}}};
  LeaderWatch watch("kafka", driver::Backend::kKafka);
  EXPECT_THAT(watch.Counts(), IsEmpty());  // never asked: nothing known, nothing exported
  const LeaderWatch::Clock::time_point start{std::chrono::seconds(100)};

  watch.Refresh(producer, start, milliseconds(2'000));
  EXPECT_THAT(producer.timeouts, ElementsAre(milliseconds(2'000)));
  EXPECT_THAT(watch.Counts(), ElementsAre(Leads{"1", 1}, Leads{"2", 1}, Leads{"3", 1}));

  // Housekeeping's ticks within the interval ask nothing.
  watch.Refresh(producer, start + milliseconds(1'000));
  watch.Refresh(producer, start + LeaderWatch::kInterval - milliseconds(1));
  EXPECT_EQ(producer.timeouts.size(), 1u);

  // No answer: the last counts stay.
  watch.Refresh(producer, start + LeaderWatch::kInterval);
  EXPECT_THAT(producer.timeouts, ElementsAre(milliseconds(2'000), LeaderWatch::kTimeout));
  EXPECT_THAT(watch.Counts(), ElementsAre(Leads{"1", 1}, Leads{"2", 1}, Leads{"3", 1}));

  // A leader change shows at the next ask: broker 2 now leads none and is exported as 0.
  watch.Refresh(producer, start + 2 * LeaderWatch::kInterval);
  EXPECT_EQ(producer.timeouts.size(), 3u);
  EXPECT_THAT(watch.Counts(), ElementsAre(Leads{"1", 2}, Leads{"2", 0}, Leads{"3", 1}));
}

TEST(LeaderWatch, WithoutAnyAnswerThereIsNothingToExport) {
  ScriptedProducer producer;  // answers nothing, as a backend that cannot tell
  LeaderWatch watch("nats", driver::Backend::kNats);
  watch.Refresh(producer, LeaderWatch::Clock::time_point{});
  EXPECT_EQ(producer.timeouts.size(), 1u);
  EXPECT_THAT(watch.Counts(), IsEmpty());
}

// JetStream's per-server latencies: each stream's leader as a number that names the server back,
// the same number for the same server across answers.
TEST(LeaderWatch, LeaderNumbersNameEachServerOnceAcrossAnswers) {
  ScriptedProducer producer;
  producer.answers = {driver::Leadership{{"n1", "n2", "n3"}, {"n2", "n1", "n2"}},
                      driver::Leadership{{"n1", "n2", "n3"}, {"n3", "n1", "n2"}}};
  LeaderWatch watch("nats", driver::Backend::kNats);
  EXPECT_THAT(watch.LeaderNumbers(), IsEmpty());  // never asked
  const LeaderWatch::Clock::time_point start{std::chrono::seconds(100)};
  watch.Refresh(producer, start);
  EXPECT_THAT(watch.LeaderNumbers(), ElementsAre(0, 1, 0));
  EXPECT_EQ(watch.NameOf(0), "n2");
  EXPECT_EQ(watch.NameOf(1), "n1");
  watch.Refresh(producer, start + LeaderWatch::kInterval);
  EXPECT_THAT(watch.LeaderNumbers(), ElementsAre(2, 1, 0));
  EXPECT_EQ(watch.NameOf(2), "n3");
  EXPECT_EQ(watch.NameOf(0), "n2");
  EXPECT_EQ(watch.NameOf(3), "");
  EXPECT_EQ(watch.NameOf(driver::kUnknownBroker), "");
}

// A stream electing a leader (named none) keeps the leader named before, so that what its new
// leader acknowledges before the next ask is counted under a server, as when an ask goes
// unanswered; a stream that never had one named has none.
TEST(LeaderWatch, AStreamElectingALeaderKeepsTheOneNamedBefore) {
  ScriptedProducer producer;
  producer.answers = {driver::Leadership{{"n1", "n2", "n3"}, {"n2", ""}},
                      driver::Leadership{{"n1", "n2", "n3"}, {"", "n3"}},
                      driver::Leadership{{"n1", "n2", "n3"}, {"n1", "n3"}}};
  LeaderWatch watch("nats", driver::Backend::kNats);
  const LeaderWatch::Clock::time_point start{std::chrono::seconds(100)};
  watch.Refresh(producer, start);
  EXPECT_THAT(watch.LeaderNumbers(), ElementsAre(0, driver::kUnknownBroker));
  watch.Refresh(producer, start + LeaderWatch::kInterval);
  EXPECT_THAT(watch.LeaderNumbers(), ElementsAre(0, 1));  // stream 0 electing: still n2's
  EXPECT_EQ(watch.NameOf(0), "n2");
  // The gauge tells the truth of the answer: no server leads stream 0.
  EXPECT_THAT(watch.Counts(), ElementsAre(Leads{"n1", 0}, Leads{"n2", 0}, Leads{"n3", 1}));
  watch.Refresh(producer, start + 2 * LeaderWatch::kInterval);
  EXPECT_THAT(watch.LeaderNumbers(), ElementsAre(2, 1));
  EXPECT_EQ(watch.NameOf(2), "n1");
}

}  // namespace
}  // namespace brokerload::app
