package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"qiao/store"
)

// Scale says how much Generate makes.
type Scale struct {
	Entries int
	School  float64 // share of the school's own entries (the rest are the district's)
	Seed    uint64
}

// SampleScale is the sample school's catalogue: a few hundred entries, so
// every library screen has something to show.
var SampleScale = Scale{Entries: 400, School: 0.2, Seed: 1}

// syllabus is, per stage and subject, units and their lessons
// ("unit title: lesson、lesson").
var syllabus = map[[2]string][]string{
	{"小学", "语文"}: {"学校生活: 大青树下的小学、花的学校、不懂就要问", "金秋时节: 铺满金色巴掌的水泥道、秋天的雨、听听，秋的声音",
		"童话世界: 去年的树、那一定会很好、在牛肚子里旅行", "预测: 总也倒不了的老屋、胡萝卜先生的长胡子、小狗学叫",
		"美丽的祖国: 古诗三首、富饶的西沙群岛、海滨小城、美丽的小兴安岭", "思维火花: 司马光、掌声、灰雀",
		"革命传统: 手术台就是阵地、一个粗瓷大碗", "民间故事: 猎人海力布、牛郎织女"},
	{"小学", "数学"}: {"时、分、秒: 秒的认识、时间的计算", "万以内的加法和减法: 两位数加两位数、几百几十加减几百几十",
		"测量: 毫米的认识、分米的认识、千米的认识、吨的认识", "倍的认识: 倍的认识、求一个数是另一个数的几倍",
		"多位数乘一位数: 口算乘法、笔算乘法", "长方形和正方形: 四边形、周长、长方形和正方形的周长",
		"分数的初步认识: 几分之一、几分之几、分数的简单计算、分数的简单应用", "数学广角: 集合、搭配问题、植树问题",
		"小数的意义和性质: 小数的意义、小数的读法和写法", "圆: 圆的认识、圆的周长、圆的面积"},
	{"小学", "英语"}: {"Hello: Let's talk、Let's learn", "Colours: Let's talk、Let's learn、Story time",
		"Look at me: Let's talk、Let's learn", "We love animals: Let's talk、Let's spell", "Let's eat: Let's talk、Let's learn"},
	{"小学", "科学"}: {"水: 水到哪里去了、水沸腾了、水结冰了", "空气: 感受空气、空气占据空间吗", "天气: 我们关心天气、风向和风速",
		"动物的一生: 蚕卵里孵出的新生命、蚕的一生"},
	{"小学", "道德与法治"}: {"快乐学习: 学习伴我成长、我学习我快乐", "我们的学校: 我们的学校、说说我们的学校", "安全护我成长: 生命最宝贵、家是最温暖的地方"},
	{"初中", "语文"}: {"四季美景: 春、济南的冬天、雨的四季、古代诗歌四首", "至爱亲情: 秋天的怀念、散步、散文诗二首、世说新语二则",
		"学习生活: 从百草园到三味书屋、再塑生命的人、论语十二章", "人生之舟: 纪念白求恩、植树的牧羊人、走一步，再走一步"},
	{"初中", "数学"}: {"有理数: 正数和负数、数轴、绝对值、有理数的加法", "整式的加减: 单项式、多项式、合并同类项",
		"一元一次方程: 从算式到方程、解一元一次方程", "几何图形初步: 几何图形、直线、射线、线段、角",
		"勾股定理: 勾股定理、勾股定理的逆定理", "一次函数: 变量与函数、一次函数的图象", "二次函数: 二次函数的图象和性质、实际问题与二次函数"},
	{"初中", "物理"}: {"机械运动: 长度和时间的测量、运动的描述、运动的快慢", "声现象: 声音的产生与传播、声音的特性",
		"光现象: 光的直线传播、光的反射、平面镜成像", "压强: 压强、液体的压强、大气压强", "浮力: 浮力、阿基米德原理、物体的浮沉条件"},
	{"初中", "化学"}: {"走进化学世界: 物质的变化和性质、化学是一门以实验为基础的科学", "我们周围的空气: 空气、氧气、制取氧气",
		"物质构成的奥秘: 分子和原子、原子的结构、元素", "自然界的水: 水的组成、化学式与化合价"},
	{"高中", "数学"}: {"集合与常用逻辑用语: 集合的概念、集合间的基本关系、充分条件与必要条件", "函数的概念与性质: 函数的概念及其表示、函数的基本性质、幂函数",
		"三角函数: 任意角和弧度制、三角函数的概念、诱导公式", "平面向量: 平面向量的概念、平面向量的运算", "概率: 随机事件与概率、事件的相互独立性"},
	{"高中", "语文"}: {"青春激扬: 沁园春·长沙、百合花、哦，香雪", "学习之道: 劝学、师说、反对党八股", "自然情怀: 故都的秋、荷塘月色、我与地坛、赤壁赋"},
	{"高中", "英语"}: {"Teenage Life: Reading and Thinking、Discovering Useful Structures", "Travelling Around: Reading and Thinking、Listening and Talking"},
}

// editions by subject ("" for any other subject).
var editions = map[string][]string{
	"英语": {"人教PEP版", "外研版", "译林版"},
	"":   {"人教版", "人教版", "北师大版", "苏教版", "部编版"},
	"语文": {"部编版", "部编版", "人教版"},
}

var gradeRange = map[string][2]int{"小学": {1, 6}, "初中": {7, 9}, "高中": {10, 12}}

var numerals = []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"}

// Generate writes sc.Entries plausible catalogue entries: the district's
// (district-wide) and, for a share of them, the school's own, across
// stages, subjects, editions, grades and units, with titles like
// 人教版 三年级上册 第七单元《几分之一》 课件 or 一师一优课《秋天的雨》. The same
// scale gives the same entries (ids aside). Files are not made: the
// entries name hashes this device does not hold, like a district
// catalogue before any download.
func (s *Service) Generate(ctx context.Context, sc Scale) error {
	g := rand.New(rand.NewPCG(sc.Seed, sc.Seed^0x11B7A7))
	keys := make([][2]string, 0, len(syllabus))
	for _, st := range Stages {
		for _, sub := range []string{"语文", "数学", "英语", "科学", "道德与法治", "物理", "化学"} {
			if _, ok := syllabus[[2]string{st, sub}]; ok {
				keys = append(keys, [2]string{st, sub})
			}
		}
	}
	teachers := []string{"王老师", "李秀英", "张建华", "刘晓东", "陈春梅", "杨志强", "赵玉兰", "周海燕"}
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC).Unix()
	const batch = 2000
	for start := 0; start < sc.Entries; start += batch {
		err := s.st.Update(ctx, func(tx *store.Tx) error {
			for i := start; i < min(sc.Entries, start+batch); i++ {
				e := generated(g, keys, teachers, i)
				e.CreatedAt = time.Unix(base-g.Int64N(3*365*86400), 0)
				e.Source, e.SchoolID = FromDistrict, ""
				if g.Float64() < sc.School {
					e.Source, e.SchoolID = FromSchool, s.schoolID
					if g.IntN(2) == 0 {
						e.Source = FromTeacher
					}
				}
				if e.Source == FromDistrict {
					e.UploadedBy = "区教研室"
				}
				if err := clean(&e); err != nil {
					return err
				}
				if _, err := tx.Put(table, e.SchoolID, "", fields(e)); err != nil {
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

// generated makes the i-th entry's catalogue data.
func generated(g *rand.Rand, keys [][2]string, teachers []string, i int) Entry {
	key := keys[g.IntN(len(keys))]
	stage, subject := key[0], key[1]
	units := syllabus[key]
	u := g.IntN(len(units))
	unitTitle, lessonList, _ := strings.Cut(units[u], ": ")
	lessons := strings.Split(lessonList, "、")
	lesson := lessons[g.IntN(len(lessons))]
	eds := editions[subject]
	if eds == nil {
		eds = editions[""]
	}
	edition := eds[g.IntN(len(eds))]
	r := gradeRange[stage]
	grade := r[0] + g.IntN(r[1]-r[0]+1)
	term := []string{"上册", "下册"}[g.IntN(2)]
	gradeName := numerals[grade-1] + "年级"
	if stage == "高中" {
		gradeName = "必修第" + numerals[grade-10] + "册"
		term = ""
	}
	unit := fmt.Sprintf("第%s单元 %s", numerals[u], unitTitle)
	book := edition + " " + gradeName + term
	e := Entry{Stage: stage, Subject: subject, Edition: edition, Grade: grade, Unit: unit,
		UploadedBy: teachers[g.IntN(len(teachers))], Licence: "仅限校内教学使用"}
	var ext string
	switch n := g.IntN(20); {
	case n < 6:
		e.Kind, ext = Courseware, ".pptx"
		e.Title = fmt.Sprintf("%s 第%s单元《%s》 课件", book, numerals[u], lesson)
		e.Tags = []string{"课件", subject}
	case n < 9:
		e.Kind, ext = Plan, ".docx"
		e.Title = fmt.Sprintf("《%s》教学设计（%s%s）", lesson, edition, subject)
		e.Tags = []string{"教案", "教学设计"}
	case n < 11:
		e.Kind, ext = Video, ".mp4"
		e.Title = fmt.Sprintf("一师一优课：%s《%s》", book, lesson)
		e.Tags = []string{"一师一优课", "部级优课"}
	case n < 13:
		e.Kind, ext = Video, ".mp4"
		e.Title = fmt.Sprintf("阳光云课 录播：%s %s", subject, lesson)
		e.Tags = []string{"阳光云课", "录播"}
	case n < 15:
		e.Kind, ext = Paper, ".pdf"
		e.Title = fmt.Sprintf("%s%s 第%s单元 单元测试卷（%s卷）", subject, strings.TrimSpace(gradeName+term), numerals[u], []string{"A", "B"}[g.IntN(2)])
		e.Tags = []string{"单元测试", "试卷"}
	case n < 17:
		e.Kind, ext = Homework, ".docx"
		e.Title = fmt.Sprintf("《%s》分层作业设计", lesson)
		e.Tags = []string{"双减", "分层作业"}
	case n < 19:
		e.Kind, ext = Material, ".zip"
		e.Title = fmt.Sprintf("%s 教学素材（图片、音频）", lesson)
		e.Tags = []string{"素材"}
	default:
		e.Kind, ext = Recording, ".qrec"
		e.Title = fmt.Sprintf("同步课堂录播：%s%s《%s》", gradeName, subject, lesson)
		e.Tags = []string{"同步课堂"}
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%d %s", i, e.Title))
	e.Hash = hex.EncodeToString(sum[:])
	e.FileName = lesson + ext
	sizes := map[Kind]int64{Courseware: 8 << 20, Plan: 400 << 10, Video: 300 << 20, Paper: 600 << 10,
		Homework: 300 << 10, Material: 40 << 20, Recording: 60 << 20}
	e.Size = sizes[e.Kind]/2 + g.Int64N(sizes[e.Kind])
	return e
}

// GenerateUse writes n usage events of the year before now on the
// catalogue's entries (opened mostly, some downloaded, and contributions of
// the school's own), on school days between 7:30 and 18:00 China time, so
// the sample school's indicators show a year of library use.
func (s *Service) GenerateUse(ctx context.Context, now time.Time, n int) error {
	g := rand.New(rand.NewPCG(7, 2026))
	var ids, own []string
	rows, err := s.st.DB.QueryContext(ctx, `SELECT id, school_id FROM library_entries WHERE deleted = 0 AND school_id IN ('', ?) ORDER BY id`, s.schoolID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, school string
		if err := rows.Scan(&id, &school); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
		if school != "" {
			own = append(own, id)
		}
	}
	if err := rows.Close(); err != nil || len(ids) == 0 {
		return err
	}
	teachers := []string{"王老师", "李秀英", "张建华", "刘晓东", "陈春梅", "杨志强"}
	china := time.FixedZone("CST", 8*3600)
	return s.st.Update(ctx, func(tx *store.Tx) error {
		for range n {
			day := now.In(china).AddDate(0, 0, -g.IntN(365))
			for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
				day = day.AddDate(0, 0, -1)
			}
			at := time.Date(day.Year(), day.Month(), day.Day(), 7, 30, 0, 0, china).Add(time.Duration(g.IntN(630)) * time.Minute)
			if at.After(now) {
				at = now
			}
			id, action := ids[g.IntN(len(ids))], ActionOpened
			switch r := g.IntN(100); {
			case r < 3 && len(own) > 0:
				id, action = own[g.IntN(len(own))], ActionContributed
			case r < 28:
				action = ActionDownloaded
			}
			if _, err := tx.Put("library_events", s.schoolID, "", store.Fields{
				"entry_id": id, "action": string(action), "teacher": teachers[g.IntN(len(teachers))], "at": at.Unix()}); err != nil {
				return err
			}
		}
		return nil
	})
}
