package district

import (
	"testing"

	"qiao/metrics"
)

func TestEveryIndicatorHasALabel(t *testing.T) {
	for _, k := range metrics.Indicators {
		if rollupLabels[k] == "" {
			t.Errorf("indicator %s has no English label", k)
		}
	}
	if len(rollupLabels) != len(metrics.Indicators) {
		t.Errorf("%d labels for %d indicators", len(rollupLabels), len(metrics.Indicators))
	}
	found := false
	for _, ind := range rollupIndicators() {
		found = found || ind.Key == RollupHeadline
	}
	if !found {
		t.Error("the headline is not one of the indicators")
	}
}
