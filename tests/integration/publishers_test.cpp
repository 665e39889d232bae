// workload.publishers against the real brokers: N producer and N consumer connections per target,
// each pair with its own topics. Checked from outside brokerload where it can be: the publisher
// threads the kernel lists, the TCP connections the process holds to nats-server; and the counts:
// every topic gets its share, every acknowledged message is consumed once, nothing is lost.
#include <dirent.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "broker_env.hpp"
#include "brokerload_process.hpp"

namespace brokerload::testing {
namespace {

// The names of the process's threads (/proc/PID/task/*/comm).
std::multiset<std::string> ThreadNames(pid_t pid) {
  std::multiset<std::string> names;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* tasks = opendir(dir.c_str());
  if (tasks == nullptr) return names;
  while (const dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream comm(dir + "/" + entry->d_name + "/comm");
    std::string name;
    std::getline(comm, name);
    names.insert(name);
  }
  closedir(tasks);
  return names;
}

// How many established TCP connections the process holds to `port` on the loopback: the
// socket inodes among its file descriptors, matched with the kernel's table (/proc/net/tcp).
int ConnectionsTo(pid_t pid, unsigned short port) {
  std::set<std::string> inodes;
  const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* fds = opendir(fd_dir.c_str());
  if (fds == nullptr) return -1;
  while (const dirent* entry = readdir(fds)) {
    char target[256];
    const ssize_t n = readlink((fd_dir + "/" + entry->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    const std::string link(target, static_cast<std::size_t>(n));
    if (link.starts_with("socket:[")) inodes.insert(link.substr(8, link.size() - 9));
  }
  closedir(fds);
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // header
  int count = 0;
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, "%04X", port);
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    if (state == "01" && remote.substr(remote.find(':') + 1) == wanted && inodes.count(inode)) {
      ++count;
    }
  }
  return count;
}

class PublishersTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PublishersTest, EachLaneHasItsOwnConnectionsAndTopicsAndTogetherTheyLoseNothing) {
  const std::string target = GetParam();
  std::string config, address;
  ASSERT_TRUE(SingleTargetYaml(target, config, address));
  constexpr int kTopics = 4;
  const std::string prefix = UniqueName("lanes");
  BrokerloadProcess process(config +
                            "workload: {topics: 4, publishers: 2, topic_prefix: " + prefix +
                            "}\n"
                            "profile:\n  stages: [{name: s, rate: 2000, duration: 1h}]\n"
                            "metrics: {listen: \"127.0.0.1:0\"}\n"
                            "run: {warmup: 1s, drain_timeout: 20s}\n");
  const unsigned short port = process.WaitForMetricsPort(std::chrono::seconds(60));
  ASSERT_NE(port, 0) << process.Log();
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string m = HttpGet(port, "/metrics").second;
        return SumMetric(m, "brokerload_messages_consumed_total", {}) > 8'000;
      },
      std::chrono::seconds(60)))
      << process.Log();
  const std::multiset<std::string> threads = ThreadNames(process.Pid());
  EXPECT_EQ(threads.count("bl-pub-" + target + "0"), 1u);
  EXPECT_EQ(threads.count("bl-pub-" + target + "1"), 1u);
  EXPECT_EQ(threads.count("bl-pub-" + target), 0u);
  if (target == "nats") {
    // A producer and a consumer connection per lane, nothing else.
    const auto nats_port =
        static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));
    EXPECT_EQ(ConnectionsTo(process.Pid(), nats_port), 4);
  }
  EXPECT_NE(process.Log().find("2 producer and 2 consumer connections"), std::string::npos)
      << process.Log();
  // Round robin over the topics, whichever lane sends them: each topic its quarter, to within
  // the messages a lane may send ahead of the other between two steps.
  const std::string m = HttpGet(port, "/metrics").second;
  const double total = SumMetric(m, "brokerload_messages_published_total", {});
  for (int t = 0; t < kTopics; ++t) {
    const std::map<std::string, std::string> topic{{"target", target},
                                                   {"topic", prefix + "-" + std::to_string(t)}};
    const double share = SumMetric(m, "brokerload_messages_published_total", topic);
    EXPECT_NEAR(share, total / kTopics, 0.01 * total) << "topic " << t;
    EXPECT_GT(SumMetric(m, "brokerload_messages_consumed_total", topic), 0) << "topic " << t;
  }
  ASSERT_EQ(process.Terminate(std::chrono::seconds(60)), 0) << process.Log();
  const std::vector<double> row = SummaryRow(process.Stdout(), target);
  ASSERT_EQ(row.size(), 7u) << process.Stdout();
  const double published = row[0], acked = row[1], consumed = row[2], errors = row[3],
               lost = row[4], duplicated = row[6];
  EXPECT_GT(published, 8'000);
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(consumed, acked);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(duplicated, 0);
}

std::string TargetName(const ::testing::TestParamInfo<std::string>& param) { return param.param; }

INSTANTIATE_TEST_SUITE_P(Targets, PublishersTest, ::testing::Values("kafka", "nats"), TargetName);

}  // namespace
}  // namespace brokerload::testing
