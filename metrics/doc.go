// Package metrics defines the school indicators (学校数据) in one place:
// what each number means, its formula (docs/INDICATORS.md) and the records
// behind it. The same definitions run in the app, on the school's own
// SQLite file, and in the district server, on its mirror of every school's
// synced rows (the tables in Tables, with the same names and columns), so
// a school's dashboard and the district's roll-up give the same numbers.
package metrics
