package classroom

import (
	"context"
	"math/rand/v2"
	"time"

	"qiao/store"
)

// Sample lessons: a lead school's synchronous lessons over the last year
// of school weeks, so the sample school's lesson list and its indicators
// (学校数据) show a year of real-looking records.
var (
	sampleSubjects = []string{"语文", "数学", "英语", "科学", "道德与法治", "音乐", "美术", "体育"}
	sampleTitles   = map[string][]string{
		"语文":    {"《秋天的雨》", "《燕子》", "《赵州桥》", "《古诗三首》", "《花钟》", "习作：我的植物朋友"},
		"数学":    {"分数的初步认识", "两位数乘两位数", "长方形和正方形的面积", "小数的初步认识", "时、分、秒"},
		"英语":    {"Unit 1 Welcome back", "Unit 3 My friends", "Unit 5 Dinner's ready"},
		"科学":    {"水的三态变化", "植物的一生", "声音的产生"},
		"道德与法治": {"我们的班规我们订", "家乡的变化"},
		"音乐":    {"《小雨沙沙》", "《采蘑菇的小姑娘》"},
		"美术":    {"色彩的冷暖", "有趣的纸工"},
		"体育":    {"跳绳", "立定跳远"},
	}
	sampleTeachers = []string{"王老师", "李老师", "张老师", "刘老师", "陈老师", "杨老师", "赵老师"}
	// Two village schools the sample school leads and the county town's
	// school it follows; ids of schools that are not in this file.
	sampleRemote = []string{"0190a000-0000-7000-8000-00000000c001", "0190a000-0000-7000-8000-00000000c002"}
	sampleLead   = "0190a000-0000-7000-8000-00000000c0de"
)

// sampleHoliday reports whether day (China time) is in the summer or winter
// holidays, when no lessons are held.
func sampleHoliday(day time.Time) bool {
	m, d := day.Month(), day.Day()
	return m == time.July && d >= 10 || m == time.August || m == time.January && d >= 20 || m == time.February && d < 20
}

// Generate adds the sample school's ended lessons of the year before now:
// four hosted each school day for the village schools, and three a week
// received from the county town's lead school, each with its attendance.
func (s *Service) Generate(ctx context.Context, now time.Time) error {
	china := time.FixedZone("CST", 8*3600)
	g := rand.New(rand.NewPCG(2026, 11))
	today := now.In(china)
	day := time.Date(today.Year()-1, today.Month(), today.Day(), 0, 0, 0, 0, china)
	return s.st.Update(ctx, func(tx *store.Tx) error {
		for ; day.Before(today); day = day.AddDate(0, 0, 1) {
			if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday || sampleHoliday(day) {
				continue
			}
			const hosted = 4
			for i := range hosted + btoi(day.Weekday() <= time.Wednesday) {
				subject := sampleSubjects[g.IntN(len(sampleSubjects))]
				titles := sampleTitles[subject]
				l := Lesson{SchoolID: s.schoolID, Title: titles[g.IntN(len(titles))], Subject: subject, Grade: 1 + g.IntN(6),
					Teacher: sampleTeachers[g.IntN(len(sampleTeachers))], Minutes: 40, Code: newCode(), State: Ended}
				l.Starts = day.Add(time.Duration(8*60+10+i*55) * time.Minute)
				if l.Starts.After(now) {
					break
				}
				l.Started, l.Ended = l.Starts.Add(time.Duration(g.IntN(3))*time.Minute), l.Starts.Add(time.Duration(40+g.IntN(4))*time.Minute)
				if i == hosted { // received from the lead school
					if err := s.sampleReceived(tx, l); err != nil {
						return err
					}
					continue
				}
				l.Remote = sampleRemote[:1+g.IntN(len(sampleRemote))]
				if err := s.put(tx, &l); err != nil {
					return err
				}
				if _, err := s.attend(tx, Attendance{LessonID: l.ID, Role: "host", HostSchool: s.schoolID, Title: l.Title,
					Subject: l.Subject, Grade: l.Grade, Joined: l.Started, Left: l.Ended, Seconds: int64(l.Ended.Sub(l.Started).Seconds())}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// sampleReceived records a lesson of the lead school this school's
// classroom took part in as a remote classroom.
func (s *Service) sampleReceived(tx *store.Tx, l Lesson) error {
	id := store.NewID()
	joined := l.Started.Add(30 * time.Second)
	_, err := s.attend(tx, Attendance{LessonID: id, Role: "remote", HostSchool: sampleLead, Title: l.Title, Subject: l.Subject,
		Grade: l.Grade, Joined: joined, Left: l.Ended, Seconds: int64(l.Ended.Sub(joined).Seconds())})
	return err
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
