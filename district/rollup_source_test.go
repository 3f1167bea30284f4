package district_test

import "qiao/internal/districtmetrics"

// The package's tests run with the metrics package installed, as
// qiao-district does.
func init() { districtmetrics.Install() }
