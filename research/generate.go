package research

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"qiao/store"
)

// Scale says how much Generate makes.
type Scale struct {
	Teachers, Groups, Activities int
	Year                         int
	Seed                         uint64
}

// SampleScale is the sample school's research: a small district's worth,
// so every research screen has something to show.
var SampleScale = Scale{Teachers: 60, Groups: 6, Activities: 90, Year: 2026, Seed: 1}

// Generate fills the store with plausible research records: teachers of
// several schools (a third rural), groups of every kind with 8-25 members
// and a host, activities of every kind with most members attending, and
// outputs, some reviewed. It writes in batches, so a district-scale run
// (10,000 teachers, 100,000 activities) stays fast. The same scale gives
// the same records.
func (s *Service) Generate(ctx context.Context, sc Scale) error {
	g := rand.New(rand.NewPCG(sc.Seed, sc.Seed^0x5EED))
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
	given := []rune("建华丽娟志强秀英明杰海燕晓东春梅国庆玉兰振宇红霞子涵文博")
	schools := []string{"石桥镇中心小学", "青禾县实验小学", "青禾县第一中学", "柳河乡中心小学", "马场村小学", "青禾县第二初级中学", "城关镇幼儿园", "青禾县民族中学"}
	rural := map[string]bool{"石桥镇中心小学": true, "柳河乡中心小学": true, "马场村小学": true}
	stages := map[string]string{"幼儿园": "幼儿园", "小学": "小学", "初级中学": "初中", "中学": "高中"}
	subjects := []string{"语文", "数学", "英语", "科学", "道德与法治", "音乐", "美术", "体育", "物理", "化学"}
	titles := []string{"二级教师", "一级教师", "高级教师", "正高级教师"}
	const batch = 2000
	var teachers []string
	write := func(n int, fn func(tx *store.Tx, i int) error) error {
		for start := 0; start < n; start += batch {
			err := s.st.Update(ctx, func(tx *store.Tx) error {
				for i := start; i < min(n, start+batch); i++ {
					if err := fn(tx, i); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
	err := write(sc.Teachers, func(tx *store.Tx, i int) error {
		school := schools[g.IntN(len(schools))]
		stage := "小学"
		for suffix, st := range stages {
			if len(school) >= len(suffix) && school[len(school)-len(suffix):] == suffix {
				stage = st
			}
		}
		t := Teacher{Code: fmt.Sprintf("T%05d", i+1), School: school, Stage: stage, Rural: rural[school],
			Name:    string(surnames[g.IntN(len(surnames))]) + string(given[g.IntN(len(given))]) + string(given[g.IntN(len(given))]),
			Subject: subjects[g.IntN(len(subjects))], BirthYear: sc.Year - 23 - g.IntN(37), Title: titles[g.IntN(len(titles))]}
		rec, err := tx.Put("research_teachers", s.schoolID, "", teacherFields(t))
		teachers = append(teachers, rec.ID)
		return err
	})
	if err != nil || len(teachers) == 0 {
		return err
	}
	groups := make([]string, sc.Groups)
	members := make([][]string, sc.Groups)
	err = write(sc.Groups, func(tx *store.Tx, i int) error {
		kind := GroupKinds[i%len(GroupKinds)]
		subject := subjects[g.IntN(len(subjects))]
		base := schools[g.IntN(len(schools))]
		name := fmt.Sprintf("%s·%s%s%d", base, subject, Names[kind], i+1)
		var budget int64
		if kind == KindProject {
			budget = int64(20000 + g.IntN(6)*5000)
		}
		rec, err := tx.Put("research_groups", s.schoolID, "", store.Fields{"name": name, "kind": kind, "subject": subject,
			"base_school": base, "year": sc.Year, "budget": budget, "spent": budget * int64(60+g.IntN(50)) / 100})
		if err != nil {
			return err
		}
		groups[i] = rec.ID
		size := min(len(teachers), 8+g.IntN(18))
		seen := map[int]bool{}
		for j := 0; len(members[i]) < size && j < 4*size; j++ {
			t := g.IntN(len(teachers))
			if seen[t] {
				continue
			}
			seen[t] = true
			role := RoleMember
			switch {
			case len(members[i]) == 0:
				role = RoleHost
			case kind == KindStudio && j%4 == 1:
				role = RoleMentor
			case kind == KindStudio && j%4 == 2:
				role = RoleApprentice
			}
			if _, err := tx.Put("research_members", s.schoolID, "", store.Fields{"group_id": rec.ID, "teacher_id": teachers[t], "role": role}); err != nil {
				return err
			}
			members[i] = append(members[i], teachers[t])
		}
		return nil
	})
	if err != nil || sc.Groups == 0 {
		return err
	}
	start := time.Date(sc.Year, 2, 20, 0, 0, 0, 0, time.UTC)
	places := []string{"会议室", "录播教室", "多功能厅", "图书室", ""}
	err = write(sc.Activities, func(tx *store.Tx, i int) error {
		gi := g.IntN(sc.Groups)
		kind := ActivityKinds[g.IntN(len(ActivityKinds))]
		day := start.AddDate(0, 0, g.IntN(250)) // February to October: a school year's research, all in the past by November
		online := kind == "online" || g.IntN(5) == 0
		place := places[g.IntN(len(places))]
		if online {
			place = ""
		}
		rec, err := tx.Put("research_activities", s.schoolID, "", store.Fields{"group_id": groups[gi], "kind": kind,
			"day": Day(day), "minutes": 45 + 15*g.IntN(8), "place": place, "online": online,
			"notes": fmt.Sprintf("第%d次%s", i/sc.Groups+1, Names[kind]), "lesson_id": ""})
		if err != nil {
			return err
		}
		for _, t := range members[gi] {
			if g.IntN(10) < 8 {
				if _, err := tx.Put("research_attendance", s.schoolID, "", store.Fields{"activity_id": rec.ID, "teacher_id": t}); err != nil {
					return err
				}
			}
		}
		if g.IntN(3) == 0 && len(members[gi]) > 0 {
			author := members[gi][g.IntN(len(members[gi]))]
			state := []string{Submitted, Accepted, Accepted, Returned}[g.IntN(4)]
			comment := ""
			if state == Returned {
				comment = "请补充课堂实录和反思"
			}
			kindOut := OutputKinds[g.IntN(len(OutputKinds))]
			_, err := tx.Put("research_outputs", s.schoolID, "", store.Fields{"teacher_id": author, "activity_id": rec.ID,
				"kind": kindOut, "title": Names[kind] + Names[kindOut], "day": Day(day), "state": state, "comment": comment, "file_hash": ""})
			return err
		}
		return nil
	})
	return err
}
