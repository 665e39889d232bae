#!/usr/bin/env python3
"""The module graph as the build declares it, enforced on the includes.

Every file under service/src belongs to one module of service/CMakeLists.txt: a source it lists,
a header whose .cpp it lists (foo.hpp with foo.cpp), or a header it lists under HEADERS. A file
may include its own module's headers and those of the modules its module depends on (DEPS,
transitively: they are linked PUBLIC), in either include form and by any path. Each module has a
LAYER and depends only on modules of lower layers. librdkafka's headers belong to driver_kafka
and cnats' to driver_nats alone. Anything else fails:

  scripts/check-modules.py              # the tree; exit 1 naming each file:line and the fix
  scripts/check-modules.py --self-test  # the checker on small trees, one of each fault
"""

import argparse
import os
import re
import sys
import tempfile

CALL = re.compile(r"\b(brokerload_module|brokerload_interface)\(([^)]*)\)", re.S)
EXECUTABLE = re.compile(r"add_executable\((\w+)\s+([^)]*)\)", re.S)
LINKS = re.compile(r"target_link_libraries\((\w+)\s+([^)]*)\)", re.S)
INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]')
# A client library's headers, and the one module that may include them.
LIBRARIES = {"librdkafka/": "driver_kafka", "nats/": "driver_nats"}


def parse_cmake(text):
    """{module: {"files": [paths relative to the CMake file], "deps": [module names]}}"""
    text = re.sub(r"#[^\n]*", "", text)
    modules = {}
    for _, body in CALL.findall(text):
        words = body.split()
        name, section = words[0], None
        entry = modules.setdefault(name, {"files": [], "deps": [], "layer": None})
        for word in words[1:]:
            if word in ("SOURCES", "HEADERS", "DEPS", "LAYER"):
                section = word
            elif section == "LAYER":
                entry["layer"] = int(word)
                section = None
            elif section in ("SOURCES", "HEADERS"):
                entry["files"].append(word)
            elif section == "DEPS" and word.startswith("brokerload::"):
                entry["deps"].append(word[len("brokerload::"):])
    executables = {name: body.split() for name, body in EXECUTABLE.findall(text)}
    for name, body in LINKS.findall(text):
        if name in executables:
            deps = [w[len("brokerload::"):] for w in body.split() if w.startswith("brokerload::")]
            modules[name] = {"files": [f for f in executables[name] if f.endswith(".cpp")],
                             "deps": deps, "layer": None}
    return modules


def closure(modules, name, seen=None):
    seen = set() if seen is None else seen
    if name in seen:
        return seen
    seen.add(name)
    for dep in modules.get(name, {}).get("deps", []):
        closure(modules, dep, seen)
    return seen


def check(cmake_file, src_dir):
    """The problems, as 'file:line: what; fix' strings (empty when the graph holds)."""
    base = os.path.dirname(os.path.abspath(cmake_file))
    with open(cmake_file) as f:
        modules = parse_cmake(f.read())
    problems = []
    owner = {}
    for name, entry in modules.items():
        executable = any(f.endswith("main.cpp") for f in entry["files"])
        if entry["layer"] is None and not executable:
            problems.append(f"{cmake_file}: module {name} has no LAYER")
        for dep in entry["deps"]:
            if dep not in modules:
                problems.append(f"{cmake_file}: {name} depends on brokerload::{dep}, "
                                "which is no module")
            elif (entry["layer"] is not None and modules[dep]["layer"] is not None
                  and modules[dep]["layer"] >= entry["layer"]):
                problems.append(f"{cmake_file}: {name} (layer {entry['layer']}) depends on "
                                f"{dep} (layer {modules[dep]['layer']}): only lower layers")
        for path in entry["files"]:
            full = os.path.normpath(os.path.join(base, path))
            owner[full] = name
            stem, ext = os.path.splitext(full)
            if ext == ".cpp":
                owner.setdefault(stem + ".hpp", name)
    src_dir = os.path.abspath(src_dir)
    for root, _, files in sorted(os.walk(src_dir)):
        for file in sorted(files):
            path = os.path.join(root, file)
            if not file.endswith((".hpp", ".cpp")):
                continue
            shown = os.path.relpath(path)
            module = owner.get(path)
            if module is None:
                problems.append(f"{shown}: belongs to no module; list it in the SOURCES or "
                                f"HEADERS of one in {cmake_file}")
                continue
            allowed = closure(modules, module)
            with open(path, errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    form, included = m.group(1), m.group(2)
                    library = next((owner_module for prefix, owner_module in LIBRARIES.items()
                                    if included.startswith(prefix)), None)
                    if library is not None and library != module:
                        problems.append(f"{shown}:{number}: includes {included}, a client "
                                        f"library's header that only {library} may include")
                        continue
                    candidates = [os.path.join(src_dir, included)]
                    if form == '"':
                        candidates.insert(0, os.path.join(root, included))
                    target = next((os.path.normpath(c) for c in candidates
                                   if os.path.exists(c)), None)
                    if target is None:
                        continue  # not one of the tree's headers
                    other = owner.get(target)
                    if other is None or other in allowed:
                        continue  # an unowned header is reported where it is
                    problems.append(
                        f"{shown}:{number}: includes {included} of module {other}, which "
                        f"{module} does not depend on; declare brokerload::{other} in its DEPS "
                        f"in {cmake_file} (if the layers allow it) or include a lower module's "
                        "header")
    return problems


def self_test():
    """Each fault once, and a sound tree; True when the checker judges them all right."""
    a_includes = '#include "a/a.hpp"\n#include "b/b.hpp"\n#include <vector>\n'
    cases = {  # label: (a's DEPS, extra files, a.cpp's includes, a's layer, sound)
        "sound": ("b", [], a_includes, 2, True),
        "upward include": ("", [], a_includes, 2, False),
        "unowned header": ("b", ["src/b/loose.hpp"], a_includes, 2, False),
        "angle-bracket include": ("", [], '#include <b/b.hpp>\n', 2, False),
        "relative include": ("", [], '#include "../b/b.hpp"\n', 2, False),
        "client library outside its driver": ("b", [], '#include <librdkafka/rdkafka.h>\n', 2,
                                               False),
        "dependency on an equal layer": ("b", [], a_includes, 1, False),
    }
    ok = True
    for label, (deps, extra, includes, layer, expect_ok) in cases.items():
        with tempfile.TemporaryDirectory() as tmp:
            def write(path, text=""):
                full = os.path.join(tmp, path)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w") as f:
                    f.write(text)
            write("src/a/a.cpp", includes)
            write("src/a/a.hpp")
            write("src/b/b.cpp", '#include "b/b.hpp"\n')
            write("src/b/b.hpp")
            write("src/b/only.hpp")
            for path in extra:
                write(path)
            write("CMakeLists.txt",
                  "brokerload_module(b LAYER 1 SOURCES src/b/b.cpp HEADERS src/b/only.hpp)\n"
                  f"brokerload_module(a LAYER {layer} SOURCES src/a/a.cpp"
                  + (f" DEPS brokerload::{deps}" if deps else "") + ")\n")
            problems = check(os.path.join(tmp, "CMakeLists.txt"), os.path.join(tmp, "src"))
            if (not problems) != expect_ok:
                print(f"self-test {label}: expected {'no problem' if expect_ok else 'a problem'},"
                      f" got {problems}")
                ok = False
    print("check-modules self-test: " + ("ok" if ok else "FAILED"))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return 0 if self_test() else 1
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    problems = check("service/CMakeLists.txt", "service/src")
    for problem in problems:
        print(problem)
    if problems:
        print(f"check-modules: {len(problems)} include(s) outside the declared module graph")
        return 1
    print("check-modules: every include follows service/CMakeLists.txt's module graph")
    return 0


if __name__ == "__main__":
    sys.exit(main())
