#!/usr/bin/env python3
"""What the Helm chart rendered, taken apart for the deploy tests.

usage: rendered.py config MANIFESTS OUTDIR
         Writes OUTDIR/brokerload.yaml: the config of the ConfigMap that the StatefulSet mounts at
         /etc/brokerload, as `brokerload validate-config` can read it outside the pod: each
         *_file path must lie in a directory the container mounts (a Secret), and is replaced by
         a file of that name under OUTDIR/files; each ${env:NAME} must be an environment
         variable of the container, and OUTDIR/env gets NAME=placeholder for it. Exit 1 when the
         pod could not start with this config (a file not mounted, a variable not set).
       rendered.py pod MANIFESTS [NAME]
         Prints the StatefulSet's pod template as a Pod named NAME (default <statefulset>-0, as
         the StatefulSet names its first pod), for `podman kube play`.
"""
import os
import re
import sys

import yaml

CONFIG_DIR = "/etc/brokerload"
ENV_RE = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def statefulset(docs):
    found = [d for d in docs if d.get("kind") == "StatefulSet"]
    if len(found) != 1:
        sys.exit(f"rendered.py: expected one StatefulSet, found {len(found)}")
    return found[0]


def mounted_config(docs, sts):
    """The ConfigMap data the StatefulSet's container mounts at CONFIG_DIR, and the container."""
    spec = sts["spec"]["template"]["spec"]
    container = spec["containers"][0]
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == CONFIG_DIR)
    name = volumes[mount["name"]]["configMap"]["name"]
    cm = next(d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == name)
    return yaml.safe_load(cm["data"]["brokerload.yaml"]), container, spec


def walk(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")
    else:
        yield path, node


def replace(node, path, value):
    keys = re.findall(r"[^.\[\]]+", path)
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def config_command(manifests, outdir):
    docs = load(manifests)
    config, container, spec = mounted_config(docs, statefulset(docs))
    secret_volumes = {v["name"] for v in spec.get("volumes", []) if "secret" in v}
    secret_dirs = [m["mountPath"].rstrip("/") + "/" for m in container.get("volumeMounts", [])
                   if m["name"] in secret_volumes]
    env_names = {e["name"] for e in container.get("env", [])}
    problems, env_lines = [], []
    for path, value in list(walk(config)):
        if not isinstance(value, str):
            continue
        if path.endswith("_file"):
            if not any(value.startswith(d) for d in secret_dirs):
                problems.append(f"config {path}: {value} is in no Secret the pod mounts "
                                f"(secretMounts: {secret_dirs or 'none'})")
                continue
            local = os.path.join(outdir, "files", value.lstrip("/"))
            os.makedirs(os.path.dirname(local), exist_ok=True)
            with open(local, "w") as f:
                f.write("placeholder\n")
            replace(config, path, local)
        match = ENV_RE.match(value)
        if match:
            if match.group(1) not in env_names:
                problems.append(f"config {path}: ${{env:{match.group(1)}}} is no variable of the "
                                "container (secretEnv)")
            else:
                env_lines.append(f"{match.group(1)}=placeholder")
    with open(os.path.join(outdir, "brokerload.yaml"), "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    with open(os.path.join(outdir, "env"), "w") as f:
        f.write("".join(line + "\n" for line in env_lines))
    for problem in problems:
        print(f"rendered.py: {problem}", file=sys.stderr)
    return 1 if problems else 0


def pod_command(manifests, name=None):
    sts = statefulset(load(manifests))
    template = sts["spec"]["template"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": dict(template.get("metadata", {}),
                         name=name or f"{sts['metadata']['name']}-0"),
        "spec": template["spec"],
    }
    yaml.safe_dump(pod, sys.stdout, sort_keys=False)
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "config":
        return config_command(argv[2], argv[3])
    if len(argv) in (3, 4) and argv[1] == "pod":
        return pod_command(argv[2], argv[3] if len(argv) == 4 else None)
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
