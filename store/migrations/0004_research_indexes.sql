-- Indexes for teacher research at district scale (10,000 teachers, 1,000
-- groups, 100,000 activities, 1.3 million attendance rows): see
-- docs/BENCHMARKS.md, "Teacher research at district scale", and
-- research/bench_test.go. Each new index extends one of 0003 and replaces
-- it, so writes keep the same number of indexes to update.

-- The activity list pages newest first, ORDER BY day DESC, id DESC. With
-- id and deleted in the index a page is found from the index alone,
-- however deep the offset. Place and notes are there for the text filter,
-- which has to look at every activity (in a date range): it reads this
-- index, a fraction of the table's pages, and never the rows themselves.
CREATE INDEX research_activities_by_day_id ON research_activities (day, id, deleted, place, notes);
DROP INDEX research_activities_by_day;

-- The same for one group's activities (the group page), and the per-group
-- counts of the yearly assessment.
CREATE INDEX research_activities_by_group_day_id ON research_activities (group_id, day, id, deleted);
DROP INDEX research_activities_by_group;

-- Attendance is counted per activity (every list row, the assessment) and
-- listed per teacher (growth archive, "activities a teacher attended"):
-- covering indexes answer both without reading the rows.
CREATE INDEX research_attendance_by_activity_teacher ON research_attendance (activity_id, deleted, teacher_id);
DROP INDEX research_attendance_by_activity;
CREATE INDEX research_attendance_by_teacher_activity ON research_attendance (teacher_id, deleted, activity_id);
DROP INDEX research_attendance_by_teacher;

-- The assessment counts each member's accepted and returned outputs of the year.
CREATE INDEX research_outputs_by_teacher_day ON research_outputs (teacher_id, day, deleted, state);
DROP INDEX research_outputs_by_teacher;
