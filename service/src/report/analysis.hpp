#pragma once

#include <string>
#include <vector>

#include "report/results.hpp"

// Everything the report says beyond the raw figures: a winner per metric (from each target's
// pooled figures, Comparison::overall), trends across stages and findings. All of it derived from
// the results; no canned sentences. Also the text every writer shares (numbers, the title, what
// an interrupted report holds), so that report.md and report.html cannot drift apart. Pure
// functions, thread-safe.
namespace brokerload::report {

struct Winner {
  std::string metric;  // e.g. "throughput"
  std::string target;  // the better target, or "tie"
  std::string detail;  // the figures behind it
};

// Two values within this relative distance are a tie.
inline constexpr double kTieTolerance = 0.02;

// `value` as printf renders it with `format`, which takes one double.
std::string FormatNumber(double value, const char* format = "%.2f");
// The targets in run order, "kafka vs nats": every report's title.
std::string Title(const Comparison& comparison);
// What an interrupted comparison's report holds; follows "Interrupted <how>: ".
inline constexpr const char* kInterruptedNote =
    "stages not begun are absent; the stage under way covers its window until the signal. Not a "
    "baseline.";

// A quantile or maximum as text, or "n/a (N samples)" when the count does not support it.
std::string Quantile(const LatencySummary& summary, double q, double value,
                     const char* format = "%.2f");
// The achieved rate as text, or why there is none.
std::string RateText(double rate, bool estimable);
// The messages' sizes as the workload line names them ("256-byte messages").
std::string SizesText(const Comparison& comparison);
// One sentence when the messages went in bursts (profile.burst_interval), preceded by a space;
// empty otherwise.
std::string BurstNote(const Comparison& comparison);
// The keys of the workload after a comma ("64 keys in turn", "64 keys drawn with Zipf skew
// 1.2"); empty without keys.
std::string KeysText(const Comparison& comparison);
// One sentence when the targets differ in durability, naming each; empty otherwise.
std::string DurabilityDifference(const Comparison& comparison);
// Per metric, for two targets over the same stages; none for an interrupted comparison.
std::vector<Winner> Winners(const Comparison& comparison);
std::vector<std::string> Trends(const Comparison& comparison);
std::vector<std::string> Findings(const Comparison& comparison);
// compare --repeat: each (target, stage)'s figures over the repetitions (median, range); empty
// with one repetition.
std::vector<std::string> RepetitionLines(const Comparison& comparison);
// With a baseline: how figures were judged, then each figure's verdict; empty without one.
std::vector<std::string> VerdictLines(const Comparison& comparison);

}  // namespace brokerload::report
