#pragma once

#include <string>

#include "report/results.hpp"

// report.md and report.html. Every sentence in them comes from report/analysis.hpp.
namespace brokerload::report {

std::string ToMarkdown(const Comparison& comparison);

// One self-contained file: inline CSS and SVG charts, no script, no network.
std::string ToHtml(const Comparison& comparison);

}  // namespace brokerload::report
