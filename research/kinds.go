package research

import "strings"

// Group kinds.
const (
	KindSchoolGroup = "school_group" // 校本研修小组
	KindProject     = "project"      // 学科项目包
	KindStudio      = "studio"       // 名师工作室
	KindCluster     = "cluster"      // 联片教研
)

// GroupKinds lists the group kinds in the order the UI offers them.
var GroupKinds = []string{KindSchoolGroup, KindProject, KindStudio, KindCluster}

// Member roles.
const (
	RoleHost       = "host"       // 主持人
	RoleMember     = "member"     // 成员
	RoleMentor     = "mentor"     // 导师
	RoleApprentice = "apprentice" // 徒弟 (师徒结对)
)

// Roles lists the member roles.
var Roles = []string{RoleHost, RoleMember, RoleMentor, RoleApprentice}

// ActivityKinds are the activity kinds districts use; a district adds its
// own as Custom(name).
var ActivityKinds = []string{
	"personal_plan", // 个人研修计划
	"ethics",        // 师德学习
	"lesson_prep",   // 集体备课
	"observe",       // 观课议课
	"polish",        // 研课磨课
	"reflection",    // 教学反思
	"skills",        // 基本功训练
	"inquiry",       // 主题探究
	"lecture",       // 专题讲座
	"reading",       // 读书分享
	"mentoring",     // 师徒结对
	"online",        // 网络教研/直播研讨
}

// KindObserve is the kind a lesson held in Qiao's synchronous classroom is
// logged as (see LogLesson).
const KindObserve = "observe"

// OutputKinds are the kinds of research outputs (研修成果).
var OutputKinds = []string{"lesson_plan", "lesson_case", "micro_lesson", "paper", "reflection", "award"}

// Stages of schooling, as written in rosters.
var Stages = []string{"幼儿园", "小学", "初中", "高中"}

// customPrefix marks a kind a district defined itself; the rest is its name.
const customPrefix = "custom:"

// Custom returns the kind for a district-defined name.
func Custom(name string) string { return customPrefix + strings.TrimSpace(name) }

// CustomName returns the name of a district-defined kind, and whether kind is one.
func CustomName(kind string) (string, bool) {
	if strings.HasPrefix(kind, customPrefix) {
		return kind[len(customPrefix):], true
	}
	return "", false
}

func known(list []string, k string) bool {
	for _, x := range list {
		if x == k {
			return true
		}
	}
	return false
}

// validKind accepts a built-in kind of list, or a non-empty custom kind.
func validKind(list []string, k string) bool {
	if name, ok := CustomName(k); ok {
		return name != ""
	}
	return known(list, k)
}

// Names are the Chinese names of the built-in kinds and roles, as
// spreadsheets write them; imports accept them and exports write them.
var Names = map[string]string{
	KindSchoolGroup: "校本研修小组", KindProject: "学科项目包", KindStudio: "名师工作室", KindCluster: "联片教研",
	RoleHost: "主持人", RoleMember: "成员", RoleMentor: "导师", RoleApprentice: "徒弟",
	"personal_plan": "个人研修计划", "ethics": "师德学习", "lesson_prep": "集体备课", "observe": "观课议课",
	"polish": "研课磨课", "reflection": "教学反思", "skills": "基本功训练", "inquiry": "主题探究",
	"lecture": "专题讲座", "reading": "读书分享", "mentoring": "师徒结对", "online": "网络教研",
	"lesson_plan": "教案", "lesson_case": "课例", "micro_lesson": "微课", "paper": "论文", "award": "获奖",
}

// outputNames override Names where an output kind shares a key with an
// activity kind ("reflection": 教学反思 the activity, 反思 the output).
var outputNames = map[string]string{"reflection": "反思"}

// KindName names a kind for a spreadsheet: its Chinese name, or a custom
// kind's own name.
func KindName(kind string) string {
	if n, ok := CustomName(kind); ok {
		return n
	}
	if n, ok := Names[kind]; ok {
		return n
	}
	return kind
}

// activityKindOf reads an activity kind from a spreadsheet cell: a
// built-in name (or key), else a custom kind of that name.
func activityKindOf(cell string) string {
	for _, k := range ActivityKinds {
		if cell == Names[k] || cell == k {
			return k
		}
	}
	if cell == "直播研讨" || cell == "网络教研/直播研讨" {
		return "online"
	}
	return Custom(cell)
}
