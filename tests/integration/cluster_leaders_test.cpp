// A JetStream stream's leader killed (SIGKILL) mid-run and restarted on its data, under the
// settings that promise no loss (an R3 file stream): brokerload must count no message lost and
// none duplicated, and its per-server latency label (the stream's leader as brokerload last
// asked, every 5 s) must follow the leadership as the servers themselves report it: all of the
// stream's acknowledgements under the leader the server names before the kill, under the leader it
// names after within the bound docs/metrics.md states, the old leader's count still from then on.
// Then the same for a leader asked to step down ($JS.API.STREAM.LEADER.STEPDOWN).
// The cluster comes from deploy/local/cluster.sh (ctest fixture `cluster`); server names n1..n3.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "broker_env.hpp"
#include "brokerload_process.hpp"
#include "cluster_helpers.hpp"
#include "leaders.hpp"

namespace brokerload::testing {
namespace {

using Clock = std::chrono::steady_clock;
using Counts = std::map<std::string, double>;  // by server name

const std::vector<std::string> kServers{"n1", "n2", "n3"};
const std::string kPublished = "brokerload_broker_publish_latency_seconds_count";
const std::string kReceived = "brokerload_broker_end_to_end_latency_seconds_count";

// One label's counts (`family`, target nats) in a scrape, by server.
Counts ByServer(const std::string& metrics, const std::string& family) {
  Counts counts;
  for (const std::string& server : kServers) {
    counts[server] = SumMetric(metrics, family, {{"target", "nats"}, {"broker", server}});
  }
  return counts;
}

double Sum(const Counts& counts) {
  double sum = 0;
  for (const auto& [server, count] : counts) sum += count;
  return sum;
}

std::string Show(const Counts& counts) {
  std::string text;
  for (const auto& [server, count] : counts) {
    text += (text.empty() ? "" : " ") + server + "=" + std::to_string(static_cast<long>(count));
  }
  return text;
}

// probe.py nats-stream-state's answer: the leader ("" while it elects one, or no answer) and the
// messages the stream holds (-1 without an answer).
struct StreamState {
  std::string leader;
  double messages = -1;
};
StreamState AskStream(const std::string& address, const std::string& stream) {
  const auto [status, line] = Local("probe.py", "nats-stream-state " + address + " " + stream);
  StreamState state;
  const std::size_t leader = line.find("leader="), messages = line.find(" messages=");
  if (status != 0 || leader == std::string::npos || messages == std::string::npos) return state;
  state.leader = line.substr(leader + 7, messages - leader - 7);
  state.messages = std::stod(line.substr(messages + 10));
  return state;
}

// What the test saw of one leadership change, timed from the fault (kill or step-down).
struct LabelMove {
  std::string elected;        // the new leader, as the server named it first
  double elected_after = -1;  // s: when the test first saw the server name it
  std::string moved_to;       // the first label other than the old leader's whose count grew
  double moved_after = -1;    // s: the scrape that first showed it
  Counts at_move;             // that scrape's publish counts
  Counts received_at_move;    // and its end-to-end counts
};

// Until `timeout` after `fault`: asks the server at `address` for `stream`'s leader until it names
// one other than `old_leader` (on a thread of its own: an ask may wait 1 s for an answer), and
// scrapes brokerload until a label other than `old_leader`'s has a publish count above `base`'s.
LabelMove WatchLabelMove(unsigned short port, const std::string& address, const std::string& stream,
                         const std::string& old_leader, const Counts& base, Clock::time_point fault,
                         std::chrono::seconds timeout) {
  LabelMove move;
  auto since_fault = [&] { return std::chrono::duration<double>(Clock::now() - fault).count(); };
  std::thread asker([&] {
    WaitFor(
        [&] {
          const StreamState state = AskStream(address, stream);
          if (state.leader.empty() || state.leader == old_leader) return false;
          move.elected = state.leader;
          move.elected_after = since_fault();
          return true;
        },
        timeout);
  });
  WaitFor(
      [&] {
        const std::string metrics = HttpGet(port, "/metrics").second;
        const Counts counts = ByServer(metrics, kPublished);
        for (const auto& [server, count] : counts) {
          if (server != old_leader && count > base.at(server)) {
            move.moved_to = server;
            move.moved_after = since_fault();
            move.at_move = counts;
            move.received_at_move = ByServer(metrics, kReceived);
            return true;
          }
        }
        return false;
      },
      timeout);
  asker.join();
  return move;
}

// How long after the server names a new leader the label may take to follow, as docs/metrics.md
// states it: 7 s (the next ask: every LeaderWatch::kInterval, 5 s, on housekeeping's 1 s tick,
// whose other requests and the ask itself take up to 0.5 s each), plus this test's polling
// (scrapes 200 ms apart).
constexpr double kFollowBoundSeconds = 7.0 + 1.0;

TEST(Cluster, ANatsStreamLeaderKilledUnderR3LosesAndDuplicatesNothing) {
  std::string urls;
  ASSERT_TRUE(LoadBrokerAddress("NATS_CLUSTER_URLS", urls));
  // 60 s at 200 msg/s: the kill 10 s in, the label's move, the restart, a step-down and its move.
  constexpr int kMessages = 12'000;
  const std::string topic_prefix = UniqueName("r3");
  const std::string stream = topic_prefix + "-0";
  std::vector<std::string> addresses;  // host:port of n1, n2, n3
  std::string servers;                 // ["nats://a", "nats://b", ...]
  for (std::size_t at = 0; at < urls.size();) {
    const std::size_t end = std::min(urls.find(',', at), urls.size());
    const std::string url = urls.substr(at, end - at);
    servers += (servers.empty() ? "\"" : ", \"") + url + "\"";
    addresses.push_back(url.substr(url.find("//") + 2));
    at = end + 1;
  }
  ASSERT_EQ(addresses.size(), kServers.size()) << urls;
  auto address_of = [&](const std::string& server) {
    return addresses.at(static_cast<std::size_t>(server.at(1) - '1'));
  };
  auto another_than = [&](const std::string& server) {
    return address_of(server == "n1" ? "n2" : "n1");
  };
  BrokerloadProcess process(Config("  nats:\n    servers: [" + servers +
                                       "]\n"
                                       "    stream: {storage: file, replicas: 3}\n",
                                   topic_prefix, kMessages, "10s"));
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(30));
  ASSERT_NE(port, 0) << process.Log();
  std::string metrics;
  auto value = [&](const std::string& name) {
    return SumMetric(metrics, name, {{"target", "nats"}});
  };
  ASSERT_TRUE(WaitForAbove(port, metrics, "brokerload_messages_consumed_total", "nats", 2000,
                           std::chrono::seconds(60)))
      << process.Log();

  // Before the kill: the server's leader has every acknowledgement, the gauge names it.
  const StreamState first = AskStream(addresses[0], stream);
  const std::string leader = first.leader;
  ASSERT_TRUE(leader == "n1" || leader == "n2" || leader == "n3")
      << "stream " << stream << " leader \"" << leader << "\"";
  metrics = HttpGet(port, "/metrics").second;
  std::map<std::string, int> led = PartitionsLed(metrics, "nats");
  EXPECT_EQ(led.size(), 3u) << metrics;
  EXPECT_EQ(led.count(leader) != 0 ? led.at(leader) : -1, 1) << metrics;
  const Counts before = ByServer(metrics, kPublished);
  const Counts received_before = ByServer(metrics, kReceived);
  EXPECT_GT(before.at(leader), 0) << Show(before);
  EXPECT_EQ(Sum(before), before.at(leader)) << "leader " << leader << ": " << Show(before);
  EXPECT_EQ(Sum(received_before), received_before.at(leader))
      << "leader " << leader << ": " << Show(received_before);

  const std::string node = leader.substr(1);
  const auto killed_at = Clock::now();
  const int killed = Local("cluster.sh", "kill nats " + node).first;
  const LabelMove kill_move = killed == 0
                                  ? WatchLabelMove(port, another_than(leader), stream, leader,
                                                   before, killed_at, std::chrono::seconds(40))
                                  : LabelMove{};
  // Back on its data, whatever happened, so that the next test finds the whole cluster.
  const int restarted = Local("cluster.sh", "restart nats " + node).first;
  const double down_seconds = std::chrono::duration<double>(Clock::now() - killed_at).count();
  ASSERT_EQ(killed, 0) << "cluster.sh kill nats " << node << "; see " << StateDir()
                       << "/commands.log";
  ASSERT_EQ(restarted, 0) << "see " << StateDir() << "/commands.log";
  std::printf(
      "nats stream leader %s killed: the server named %s after %.2f s, brokerload's label moved "
      "to %s by %.2f s (%.2f s after the server's answer); %s down %.1f s\n",
      leader.c_str(), kill_move.elected.c_str(), kill_move.elected_after,
      kill_move.moved_to.c_str(), kill_move.moved_after,
      kill_move.moved_after - kill_move.elected_after, leader.c_str(), down_seconds);
  ASSERT_FALSE(kill_move.elected.empty()) << "no new leader named within 40 s";
  ASSERT_FALSE(kill_move.moved_to.empty()) << "the label did not move within 40 s\n"
                                           << process.Log();
  EXPECT_EQ(kill_move.moved_to, kill_move.elected);
  EXPECT_LE(kill_move.moved_after - kill_move.elected_after, kFollowBoundSeconds);

  // A step-down of the new leader: the label follows it too.
  const std::string stepped = kill_move.elected;
  metrics = HttpGet(port, "/metrics").second;
  const Counts before_stepdown = ByServer(metrics, kPublished);
  const auto stepdown_at = Clock::now();
  const int stepped_down =
      Local("probe.py", "nats-stream-stepdown " + address_of(stepped) + " " + stream).first;
  ASSERT_EQ(stepped_down, 0) << "see " << StateDir() << "/commands.log";
  const LabelMove stepdown_move =
      WatchLabelMove(port, another_than(stepped), stream, stepped, before_stepdown, stepdown_at,
                     std::chrono::seconds(30));
  std::printf(
      "nats stream leader %s stepped down: the server named %s after %.2f s, brokerload's label "
      "moved to %s by %.2f s (%.2f s after the server's answer)\n",
      stepped.c_str(), stepdown_move.elected.c_str(), stepdown_move.elected_after,
      stepdown_move.moved_to.c_str(), stepdown_move.moved_after,
      stepdown_move.moved_after - stepdown_move.elected_after);
  ASSERT_FALSE(stepdown_move.elected.empty()) << "no new leader named within 30 s";
  ASSERT_FALSE(stepdown_move.moved_to.empty()) << "the label did not move within 30 s\n"
                                               << process.Log();
  EXPECT_EQ(stepdown_move.moved_to, stepdown_move.elected);
  EXPECT_LE(stepdown_move.moved_after - stepdown_move.elected_after, kFollowBoundSeconds);

  const bool accounted = WaitFor(
      [&] {
        metrics = HttpGet(port, "/metrics").second;
        return value("brokerload_messages_acked_total") +
                       value("brokerload_publish_errors_total") ==
                   kMessages &&
               value("brokerload_messages_consumed_total") -
                       value("brokerload_messages_redelivered_total") -
                       value("brokerload_messages_delivered_after_error_total") >=
                   value("brokerload_messages_acked_total");
      },
      std::chrono::seconds(120));
  EXPECT_TRUE(accounted) << process.Log();
  // The gauge (asked every 5 s) names the last leader too.
  led = PartitionsLed(metrics, "nats");
  EXPECT_EQ(led.count(stepdown_move.elected) != 0 ? led.at(stepdown_move.elected) : -1, 1)
      << metrics;
  // Until the two others elect a new leader, publishes fail: unanswered (timeouts) while the
  // cluster still routes to the dead leader, then "no responders" (unknown_topic). Those are
  // errors, each counted by its reason; what was acknowledged is all there, once.
  EXPECT_EQ(value("brokerload_messages_lost_total"), 0);
  EXPECT_EQ(value("brokerload_messages_duplicated_total"), 0);
  EXPECT_EQ(value("brokerload_messages_consumed_total") -
                value("brokerload_messages_redelivered_total") -
                value("brokerload_messages_delivered_after_error_total"),
            value("brokerload_messages_acked_total"));
  EXPECT_GT(value("brokerload_messages_acked_total"), kMessages / 2);
  std::printf(
      "nats stream leader %s killed: %.0f acked, %.0f timeouts, %.0f no responders, %.0f "
      "delivered after error, %.0f redelivered\n",
      leader.c_str(), value("brokerload_messages_acked_total"),
      SumMetric(metrics, "brokerload_publish_errors_total",
                {{"target", "nats"}, {"reason", "timeout"}}),
      SumMetric(metrics, "brokerload_publish_errors_total",
                {{"target", "nats"}, {"reason", "unknown_topic"}}),
      value("brokerload_messages_delivered_after_error_total"),
      value("brokerload_messages_redelivered_total"));

  // Every acknowledgement is under a server, each under the leader of its time: the killed
  // leader's count still from the label's move on (through its restart), the stepped-down one's
  // from the second move on.
  const Counts after = ByServer(metrics, kPublished);
  const Counts received_after = ByServer(metrics, kReceived);
  std::printf(
      "acknowledgements by label: before the kill %s; at the first move %s; before the "
      "step-down %s; at the second move %s; at the end %s\n",
      Show(before).c_str(), Show(kill_move.at_move).c_str(), Show(before_stepdown).c_str(),
      Show(stepdown_move.at_move).c_str(), Show(after).c_str());
  std::printf(
      "arrivals by label: before the kill %s; at the first move %s; at the second move %s; at "
      "the end %s\n",
      Show(received_before).c_str(), Show(kill_move.received_at_move).c_str(),
      Show(stepdown_move.received_at_move).c_str(), Show(received_after).c_str());
  EXPECT_EQ(Sum(after), value("brokerload_messages_acked_total")) << Show(after);
  EXPECT_EQ(Sum(received_after), value("brokerload_end_to_end_latency_seconds_count"))
      << Show(received_after);
  EXPECT_EQ(before_stepdown.at(leader), kill_move.at_move.at(leader))
      << "the killed leader's label grew after the move";
  EXPECT_EQ(after.at(stepped), stepdown_move.at_move.at(stepped))
      << "the stepped-down leader's label grew after the move";
  // Arrivals are labelled by the stream's leader as last asked when they arrive: the same.
  EXPECT_EQ(received_after.at(stepped), stepdown_move.received_at_move.at(stepped))
      << "the stepped-down leader's arrivals grew after the move";
  if (stepdown_move.elected != leader) {
    EXPECT_EQ(after.at(leader), kill_move.at_move.at(leader))
        << "the killed leader's label grew after the move";
    EXPECT_EQ(received_after.at(leader), kill_move.received_at_move.at(leader))
        << "the killed leader's arrivals grew after the move";
  }
  EXPECT_GT(after.at(stepdown_move.elected), stepdown_move.at_move.at(stepdown_move.elected));
  // What the stream holds: every acknowledged message, those that arrived after their publish
  // failed, and brokerload's readiness probes (one per round, a round every 2 s until one is back).
  const StreamState last = AskStream(addresses[0], stream);
  const double probes = last.messages - value("brokerload_messages_acked_total") -
                        value("brokerload_messages_delivered_after_error_total");
  std::printf(
      "the stream holds %.0f messages: %.0f acknowledged, %.0f after an error, %.0f probes\n",
      last.messages, value("brokerload_messages_acked_total"),
      value("brokerload_messages_delivered_after_error_total"), probes);
  EXPECT_GE(probes, 1) << "the stream holds " << last.messages;
  EXPECT_LE(probes, 30) << "the stream holds " << last.messages;
  EXPECT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
}

}  // namespace
}  // namespace brokerload::testing
