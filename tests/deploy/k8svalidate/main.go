// Command k8svalidate reads Kubernetes manifests (multi-document YAML) on stdin and decodes each,
// strictly, into the Kubernetes API's own Go types (and the Prometheus operator's for its CRDs):
// an unknown or misspelt field, a wrong type or an unknown kind is an error. The pod of every
// StatefulSet, Deployment, Job and Pod is then evaluated against a Pod Security Standards level with
// Kubernetes' own evaluator (k8s.io/pod-security-admission's policy package, the code that the
// API server's PodSecurity admission runs), at the latest version of the policy. Exit 1 on any
// error or violation.
//
// usage: k8svalidate [-pod-security restricted|baseline|privileged] [-report-level] <manifests
//
//	-pod-security  the level every pod must pass (default restricted, as a namespace labelled
//	               pod-security.kubernetes.io/enforce=restricted demands)
//	-report-level  print, per pod, the strictest level it passes ("pod-security: NAME LEVEL")
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

func target(apiVersion, kind string) (interface{}, bool) {
	switch apiVersion + "/" + kind {
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1/Secret":
		return &corev1.Secret{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "v1/Pod":
		return &corev1.Pod{}, true
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}, true
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "batch/v1/Job":
		return &batchv1.Job{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true
	case "monitoring.coreos.com/v1/ServiceMonitor":
		return &monitoringv1.ServiceMonitor{}, true
	case "monitoring.coreos.com/v1/PrometheusRule":
		return &monitoringv1.PrometheusRule{}, true
	}
	return nil, false
}

// podOf returns the pod (metadata and spec) an object runs, if it runs one.
func podOf(obj interface{}) (*metav1.ObjectMeta, *corev1.PodSpec, bool) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &o.ObjectMeta, &o.Spec, true
	case *appsv1.StatefulSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true
	case *appsv1.Deployment:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true
	case *batchv1.Job:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, true
	}
	return nil, nil, false
}

// violations lists what forbids the pod at the level, as the admission controller words it.
func violations(evaluator policy.Evaluator, level psaapi.Level, meta *metav1.ObjectMeta,
	spec *corev1.PodSpec) string {
	results := evaluator.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()},
		meta, spec)
	aggregate := policy.AggregateCheckResults(results)
	if aggregate.Allowed {
		return ""
	}
	return aggregate.ForbiddenDetail()
}

func main() {
	levelFlag := flag.String("pod-security", "restricted", "the Pod Security Standards level every pod must pass")
	report := flag.Bool("report-level", false, "print the strictest level each pod passes")
	flag.Parse()
	level, err := psaapi.ParseLevel(*levelFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	input, err := io.ReadAll(bufio.NewReader(os.Stdin))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	failed, checked, pods := 0, 0, 0
	for _, doc := range strings.Split(string(input), "\n---") {
		if len(bytes.TrimSpace([]byte(doc))) == 0 {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			fmt.Fprintf(os.Stderr, "invalid YAML: %v\n", err)
			failed++
			continue
		}
		if head.Kind == "" {
			continue // a document of comments only
		}
		obj, known := target(head.APIVersion, head.Kind)
		where := fmt.Sprintf("%s %s/%s", head.APIVersion, head.Kind, head.Metadata.Name)
		if !known {
			fmt.Fprintf(os.Stderr, "%s: kind not known to this validator\n", where)
			failed++
			continue
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", where, err)
			failed++
			continue
		}
		if head.Metadata.Name == "" {
			fmt.Fprintf(os.Stderr, "%s: no metadata.name\n", where)
			failed++
			continue
		}
		checked++
		meta, spec, runsPod := podOf(obj)
		if !runsPod {
			continue
		}
		pods++
		if *report {
			passes := psaapi.LevelPrivileged
			for _, l := range []psaapi.Level{psaapi.LevelRestricted, psaapi.LevelBaseline} {
				if violations(evaluator, l, meta, spec) == "" {
					passes = l
					break
				}
			}
			fmt.Printf("pod-security: %s %s\n", where, passes)
		}
		if v := violations(evaluator, level, meta, spec); v != "" {
			fmt.Fprintf(os.Stderr, "%s: violates PodSecurity %q: %s\n", where,
				psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, v)
			failed++
		}
	}
	fmt.Printf("k8svalidate: %d objects valid, %d invalid; %d pods evaluated against Pod Security %q\n",
		checked, failed, pods, level)
	if failed > 0 || checked == 0 {
		os.Exit(1)
	}
}
