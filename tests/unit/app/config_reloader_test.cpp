// ConfigReloader on real files in a temporary directory: what each change of the file leads to,
// the way Kubernetes updates a mounted ConfigMap included. Polls are called by hand.
#include "app/config_reloader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace brokerload::app {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Config(double rate, const std::string& extra = "") {
  return "targets: {nats: {servers: [\"nats://n:4222\"]}}\nprofile: {rate: " +
         std::to_string(rate) + "}\n" + extra;
}

class ConfigReloaderTest : public ::testing::Test {
 protected:
  ConfigReloaderTest() {
    char pattern[] = "/tmp/brokerload-reload-XXXXXX";
    dir_ = mkdtemp(pattern);
    path_ = dir_ + "/brokerload.yaml";
    Write(path_, Config(100));
    running_ = config::Parse(Config(100), path_).config.value();
  }
  ~ConfigReloaderTest() override { fs::remove_all(dir_); }

  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path + ".tmp") << text;
    fs::rename(path + ".tmp", path);  // as an editor or `kubectl cp` would: never half a file
  }

  ConfigReloader Make() {
    return ConfigReloader(
        path_, running_, {}, [this](const config::Config& next) { applied_.push_back(next); },
        exporter_);
  }

  double Count(const std::string& result) {
    const std::string text = prometheus::TextSerializer().Serialize(exporter_.Collect());
    const std::string series = "\nbrokerload_config_reloads_total{result=\"" + result + "\"} ";
    const auto at = text.find(series);
    return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size()));
  }

  std::string dir_;
  std::string path_;
  config::Config running_;
  std::vector<config::Config> applied_;
  metrics::Exporter exporter_{"test", {0.001}};
};

TEST_F(ConfigReloaderTest, TheFileAsLoadedAtStartIsNoReload) {
  ConfigReloader reloader = Make();
  reloader.Poll();
  reloader.Poll();
  EXPECT_TRUE(applied_.empty());
  for (const char* result : {"applied", "unchanged", "refused", "invalid"}) {
    EXPECT_EQ(Count(result), 0) << result;
  }
}

TEST_F(ConfigReloaderTest, ARateChangeIsAppliedOnceAndBecomesTheRunningConfig) {
  ConfigReloader reloader = Make();
  reloader.Poll();
  Write(path_, Config(250));
  reloader.Poll();
  reloader.Poll();  // the same content again: nothing more
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_EQ(applied_[0].profile.stages[0].rate, 250);
  EXPECT_EQ(reloader.Running().profile.stages[0].rate, 250);
  EXPECT_EQ(Count("applied"), 1);
}

TEST_F(ConfigReloaderTest, AChangeBeforeTheFirstPollIsAppliedByIt) {
  ConfigReloader reloader = Make();
  Write(path_, Config(300));
  reloader.Poll();
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_EQ(Count("applied"), 1);
}

TEST_F(ConfigReloaderTest, AFixedKeyChangedIsRefusedOnceAndTheRunningConfigStays) {
  ConfigReloader reloader = Make();
  Write(path_, "targets: {nats: {servers: [\"nats://other:4222\"]}}\nprofile: {rate: 999}\n");
  reloader.Poll();
  reloader.Poll();  // not tried again every second
  EXPECT_TRUE(applied_.empty());
  EXPECT_EQ(reloader.Running().profile.stages[0].rate, 100);
  EXPECT_EQ(Count("refused"), 1);
  EXPECT_EQ(reloader.Reload(ConfigReloader::Trigger::kSignal), config::ReloadResult::kRefused);
  EXPECT_EQ(Count("refused"), 2);
}

TEST_F(ConfigReloaderTest, AnInvalidFileIsRejectedAndTheRunningConfigStays) {
  ConfigReloader reloader = Make();
  Write(path_, Config(100) + "workload: {topicz: 3}\n");
  reloader.Poll();
  EXPECT_TRUE(applied_.empty());
  EXPECT_EQ(Count("invalid"), 1);
  EXPECT_EQ(reloader.Running(), running_);
  fs::remove(path_);  // gone: also invalid, once
  reloader.Poll();
  reloader.Poll();
  EXPECT_EQ(Count("invalid"), 2);
}

TEST_F(ConfigReloaderTest, OnlyCommentsChangedOrASignalWithoutAChangeIsUnchanged) {
  ConfigReloader reloader = Make();
  reloader.Poll();
  Write(path_, "# a comment\n" + Config(100));
  reloader.Poll();
  EXPECT_EQ(Count("unchanged"), 1);
  EXPECT_EQ(reloader.Reload(ConfigReloader::Trigger::kSignal), config::ReloadResult::kUnchanged);
  EXPECT_EQ(Count("unchanged"), 2);
  EXPECT_TRUE(applied_.empty());
}

TEST_F(ConfigReloaderTest, ASignalAppliesAChangeAndThePollDoesNotCountItAgain) {
  ConfigReloader reloader = Make();
  reloader.Poll();
  Write(path_, Config(400));
  EXPECT_EQ(reloader.Reload(ConfigReloader::Trigger::kSignal), config::ReloadResult::kApplied);
  reloader.Poll();
  EXPECT_EQ(applied_.size(), 1u);
  EXPECT_EQ(Count("unchanged"), 0);
}

// Kubernetes writes a ConfigMap volume as <dir>/..<timestamp>/<key>, points <dir>/..data at that
// directory and <dir>/<key> at ..data/<key>; an update writes a new timestamped directory and
// swaps ..data to it by renaming a new symlink over it.
TEST_F(ConfigReloaderTest, AConfigMapStyleSymlinkSwapIsSeenAsAChange) {
  const std::string mount = dir_ + "/mount";
  fs::create_directories(mount + "/..2024_01_01_00_00_00.1");
  std::ofstream(mount + "/..2024_01_01_00_00_00.1/brokerload.yaml") << Config(100);
  fs::create_directory_symlink("..2024_01_01_00_00_00.1", mount + "/..data");
  fs::create_symlink("..data/brokerload.yaml", mount + "/brokerload.yaml");
  path_ = mount + "/brokerload.yaml";
  ConfigReloader reloader = Make();
  reloader.Poll();
  EXPECT_TRUE(applied_.empty());

  fs::create_directories(mount + "/..2024_01_01_00_01_00.2");
  std::ofstream(mount + "/..2024_01_01_00_01_00.2/brokerload.yaml") << Config(700);
  fs::create_directory_symlink("..2024_01_01_00_01_00.2", mount + "/..data_tmp");
  fs::rename(mount + "/..data_tmp", mount + "/..data");
  fs::remove_all(mount + "/..2024_01_01_00_00_00.1");
  reloader.Poll();
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_EQ(applied_[0].profile.stages[0].rate, 700);
}

TEST(ReadConfigText, IsTheContentOrNothingForADirectoryOrAMissingFile) {
  EXPECT_EQ(ReadConfigText("/nonexistent/brokerload.yaml"), std::nullopt);
  EXPECT_EQ(ReadConfigText("/tmp"), std::nullopt);
  EXPECT_THAT(ReadConfigText(BROKERLOAD_EXAMPLE_CONFIG).value_or(""), HasSubstr("targets:"));
}

}  // namespace
}  // namespace brokerload::app
