#pragma once

#include <functional>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "config/loader.hpp"
#include "config/reload.hpp"
#include "metrics/exporter.hpp"

// Reloads `brokerload run`'s config file in place (docs/configuration.md, "Reloading"): on SIGHUP
// and when the file's content changes. Poll() reads the file by its path, so an edit in place, a
// file renamed over it and Kubernetes' swap of a mounted ConfigMap's `..data` symlink are all
// seen alike, within a poll. Each attempt loads and validates the whole file, then applies it
// (only reloadable keys changed, see config::Diff), refuses it (a key that needs a restart
// changed; the log line names the keys) or rejects it (the file does not load; a line per
// file:line:col problem follows). A refused or invalid file leaves the running config as it was;
// the same content is not tried again until it changes or SIGHUP comes. One log line per attempt
// naming its trigger and result; each attempt is counted by the exporter.
// Not thread-safe: one thread (the runner's housekeeping) makes every call.
namespace brokerload::app {

class ConfigReloader {
 public:
  enum class Trigger { kSignal, kFileChange };
  // Puts a config that passed every check into effect; called before Running() changes to it.
  using Apply = std::function<void(const config::Config& next)>;

  // `running`: the config the process runs, as loaded from `path` at start. A change of the file
  // between that load and the first Poll() counts as a change; the same content does not.
  // `check` vets Kafka client properties, as at start.
  ConfigReloader(std::string path, config::Config running, config::PropertyCheck check, Apply apply,
                 metrics::Exporter& exporter);

  // About once a second: reloads when the file's content differs from the last one read.
  void Poll();
  // SIGHUP: reloads whatever the file holds now, changed or not.
  config::ReloadResult Reload(Trigger trigger);

  // The config in effect: the one loaded at start, or the last one applied.
  const config::Config& Running() const { return running_; }

 private:
  config::ReloadResult Attempt(Trigger trigger, const std::optional<std::string>& text);
  void Record(config::ReloadResult result);

  std::string path_;
  config::Config running_;
  config::PropertyCheck check_;
  Apply apply_;
  metrics::Exporter& exporter_;
  bool read_once_ = false;
  std::optional<std::string> last_text_;  // nullopt: the file could not be read
};

// The file's content; nullopt when it cannot be read (missing, a directory, no permission).
std::optional<std::string> ReadConfigText(const std::string& path);

}  // namespace brokerload::app
