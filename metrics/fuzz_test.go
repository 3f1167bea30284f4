package metrics

import "testing"

// FuzzReadInventory: any CSV text gives items of known kinds with counts
// ≥ 0, or an input error; never a panic.
func FuzzReadInventory(f *testing.F) {
	f.Add([]byte("项目,数量,备注\n教师终端,80,\n学生终端,600,x\n"))
	f.Add([]byte("项目,数量\n投影仪,-1\n,\n教师终端,1e9\n"))
	f.Add([]byte("\xef\xbb\xbfkind,count\nteachers,3.0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := ReadInventory("x.csv", data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, it := range items {
			if !knownKind(it.Kind) || it.Count < 0 || seen[it.Kind] {
				t.Fatalf("accepted %+v", it)
			}
			seen[it.Kind] = true
		}
	})
}
