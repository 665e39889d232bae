#pragma once

#include <string>
#include <vector>

#include "report/results.hpp"

// The CI gate for broker or client upgrades: judges a comparison against an earlier one, figure by
// figure (each (target, stage)'s throughput and end-to-end p99), knowing the run-to-run noise
// where the repetitions (compare --repeat) measured it.
//
// The method, for a figure with n values now (one a repetition) and m in the baseline:
// - n >= 3 and m >= 3: an exact one-sided Mann-Whitney rank test (every split of the n + m values
//   counted, ties as halves; a normal approximation past 200,000 splits) asks whether the current
//   values are worse (or better) than the baseline's by more than chance at `alpha`; a regression
//   (an improvement) is a change that test finds AND whose medians differ by more than the
//   tolerance. A difference within the noise is neither, however large its medians' gap.
// - Fewer on either side: the noise is not measured; a change of the medians beyond the tolerance
//   is a regression (or an improvement), as the fixed-tolerance gate always judged.
// A figure that a side cannot support (a rate from too short a window, a p99 from too few
// samples: NaN) is left out of that side's values.
namespace brokerload::report {

struct Tolerances {
  double throughput_drop = 0.10;  // a fall of more than 10% is a regression
  double p99_rise = 0.20;         // a rise of more than 20% is a regression
  double alpha = 0.05;            // the rank test's significance level
};

// One verdict per figure of every (target, stage) present in both with values on both sides.
std::vector<Verdict> Judge(const Comparison& current, const Comparison& baseline,
                           const Tolerances& tolerances);

// How `baseline`'s workload differs from `current`'s, as "<what>: the baseline's <x>, this
// comparison's <y>" parts joined by "; ", or "" when both measured the same messages: topics,
// message sizes (as message_sizes names them: a distribution, sample payloads, where the header
// went, extra headers), keys and their skew. A field the baseline's report.json lacks (written by
// an older brokerload: 0, "" or negative here) is not judged.
std::string WorkloadDifference(const Comparison& current, const Comparison& baseline);

// P(U >= u) for the Mann-Whitney U of `first` over `second` (pairs where first's value is the
// greater, ties as halves) when every split of the pooled values is equally likely: exact by
// enumeration up to 200,000 splits, else the normal approximation with tie correction.
double RankTestGreater(const std::vector<double>& first, const std::vector<double>& second);

double Median(std::vector<double> values);

// Adds one repetition's figures to `first` (the first repetition, whose tables the report keeps):
// call with `first` itself, then with each later repetition in order.
void AddRepetition(Comparison& first, const Comparison& repetition);

}  // namespace brokerload::report
