// Package research is teacher research as districts run it: teachers,
// research groups of four kinds with their members, activities with
// attendance and attachments, outputs with the host's review, credits
// computed from configurable rules, each teacher's growth archive, group
// composition reports and the yearly assessment of groups. Every table
// follows the store's synced-record convention.
package research
