// Package sample makes the sample school: the school, its user and sample
// records in every section, so a newcomer sees a working Qiao at once.
// Each domain that has records adds them here.
package sample

import (
	"context"
	"time"

	"qiao/classroom"
	"qiao/library"
	"qiao/metrics"
	"qiao/research"
	"qiao/school"
	"qiao/store"
)

// Use makes the sample school current and fills it with sample records.
func Use(ctx context.Context, st *store.Store, schools *school.Service) error {
	sch, err := schools.UseSample(ctx)
	if err != nil {
		return err
	}
	if err := research.New(st, sch.ID).Generate(ctx, research.SampleScale); err != nil {
		return err
	}
	if err := classroom.New(st, sch.ID).Generate(ctx, time.Now()); err != nil {
		return err
	}
	if err := metrics.NewService(st, sch.ID).Generate(ctx, time.Now()); err != nil {
		return err
	}
	lib := library.New(st, nil, sch.ID)
	if err := lib.Generate(ctx, library.SampleScale); err != nil {
		return err
	}
	return lib.GenerateUse(ctx, time.Now(), 900)
}
