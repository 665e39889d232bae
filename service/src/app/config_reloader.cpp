#include "app/config_reloader.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "app/config_checks.hpp"
#include "log/log.hpp"

namespace brokerload::app {
namespace {

const char* TriggerName(ConfigReloader::Trigger trigger) {
  return trigger == ConfigReloader::Trigger::kSignal ? "SIGHUP" : "file changed";
}

// brokerload_config_reloads_total{result}: the metrics module keeps its own outcomes, as it
// depends on config.hpp only.
metrics::ReloadOutcome Outcome(config::ReloadResult result) {
  switch (result) {
    case config::ReloadResult::kApplied:
      return metrics::ReloadOutcome::kApplied;
    case config::ReloadResult::kUnchanged:
      return metrics::ReloadOutcome::kUnchanged;
    case config::ReloadResult::kRefused:
      return metrics::ReloadOutcome::kRefused;
    case config::ReloadResult::kInvalid:
      break;
  }
  return metrics::ReloadOutcome::kInvalid;
}

std::string Join(const std::vector<std::string>& keys) {
  std::string joined;
  for (const std::string& key : keys) joined += (joined.empty() ? "" : ", ") + key;
  return joined;
}

}  // namespace

std::optional<std::string> ReadConfigText(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return std::nullopt;
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return std::nullopt;
  return text.str();
}

ConfigReloader::ConfigReloader(std::string path, config::Config running,
                               config::PropertyCheck check, Apply apply,
                               metrics::Exporter& exporter)
    : path_(std::move(path)),
      running_(std::move(running)),
      check_(std::move(check)),
      apply_(std::move(apply)),
      exporter_(exporter) {}

void ConfigReloader::Poll() {
  std::optional<std::string> text = ReadConfigText(path_);
  if (read_once_ && text == last_text_) return;
  const bool first = !read_once_;
  read_once_ = true;
  last_text_ = std::move(text);
  if (first && last_text_) {
    // The first read: most likely the very file loaded at start, which is no reload.
    const config::LoadResult loaded =
        config::Parse(*last_text_, path_, check_, CheckTrackingMemory);
    if (loaded.config && config::Diff(running_, *loaded.config).Empty()) return;
  }
  Attempt(Trigger::kFileChange, last_text_);
}

config::ReloadResult ConfigReloader::Reload(Trigger trigger) {
  read_once_ = true;
  last_text_ = ReadConfigText(path_);
  return Attempt(trigger, last_text_);
}

config::ReloadResult ConfigReloader::Attempt(Trigger trigger,
                                             const std::optional<std::string>& text) {
  // The text just compared is the text parsed: a change in between is seen at the next poll.
  config::LoadResult loaded = text ? config::Parse(*text, path_, check_, CheckTrackingMemory)
                                   : config::LoadFile(path_, check_, CheckTrackingMemory);
  if (!loaded.config) {
    LOG_WARN("config reload (%s): invalid: %zu problem(s) in %s; the running config stays",
             TriggerName(trigger), loaded.errors.size(), path_.c_str());
    for (const config::ConfigError& error : loaded.errors) {
      LOG_WARN("config reload: %s", error.ToString().c_str());
    }
    Record(config::ReloadResult::kInvalid);
    return config::ReloadResult::kInvalid;
  }
  for (const config::ConfigError& warning : loaded.warnings) {
    LOG_WARN("config reload: warning: %s", warning.ToString().c_str());
  }
  const config::ConfigDiff diff = config::Diff(running_, *loaded.config);
  if (!diff.fixed.empty()) {
    LOG_WARN(
        "config reload (%s): refused: %s cannot change while brokerload runs (restart it to "
        "apply); the running config stays",
        TriggerName(trigger), Join(diff.fixed).c_str());
    Record(config::ReloadResult::kRefused);
    return config::ReloadResult::kRefused;
  }
  if (diff.Empty()) {
    LOG_INFO("config reload (%s): unchanged: %s holds the running config", TriggerName(trigger),
             path_.c_str());
    Record(config::ReloadResult::kUnchanged);
    return config::ReloadResult::kUnchanged;
  }
  apply_(*loaded.config);
  running_ = std::move(*loaded.config);
  LOG_INFO("config reload (%s): applied: %s", TriggerName(trigger), Join(diff.reloadable).c_str());
  Record(config::ReloadResult::kApplied);
  return config::ReloadResult::kApplied;
}

void ConfigReloader::Record(config::ReloadResult result) {
  exporter_.RecordReload(Outcome(result), std::chrono::system_clock::now());
}

}  // namespace brokerload::app
