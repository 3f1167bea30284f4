package districtmetrics

import (
	"testing"

	"qiao/metrics"
)

func TestEveryIndicatorHasALabel(t *testing.T) {
	for _, k := range metrics.Indicators {
		if labels[k] == "" {
			t.Errorf("indicator %s has no English label", k)
		}
	}
	if len(labels) != len(metrics.Indicators) {
		t.Errorf("%d labels for %d indicators", len(labels), len(metrics.Indicators))
	}
	found := false
	for _, ind := range (source{}).Indicators() {
		found = found || ind.Key == (source{}).Headline()
	}
	if !found {
		t.Error("the headline is not one of the indicators")
	}
}
