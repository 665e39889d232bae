// Command k8svalidate reads Kubernetes manifests (multi-document YAML) on stdin and decodes each,
// strictly, into the Kubernetes API's own Go types (and the Prometheus operator's for its CRDs):
// an unknown or misspelt field, a wrong type or an unknown kind is an error. Exit 1 on any.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func target(apiVersion, kind string) (interface{}, bool) {
	switch apiVersion + "/" + kind {
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}, true
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "monitoring.coreos.com/v1/ServiceMonitor":
		return &monitoringv1.ServiceMonitor{}, true
	case "monitoring.coreos.com/v1/PrometheusRule":
		return &monitoringv1.PrometheusRule{}, true
	}
	return nil, false
}

func main() {
	input, err := io.ReadAll(bufio.NewReader(os.Stdin))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	failed, checked := 0, 0
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
	}
	fmt.Printf("k8svalidate: %d objects valid, %d invalid\n", checked, failed)
	if failed > 0 || checked == 0 {
		os.Exit(1)
	}
}
