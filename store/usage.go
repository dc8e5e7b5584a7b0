package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UsageLimits are a cloud's plan name and the limits its usage report measures against.
type UsageLimits struct {
	Plan            string
	Objects         int64 // stored originals and derived files
	Storage         int64 // bytes of originals and derived files
	Bandwidth       int64 // bytes delivered in the report's 30 days
	Transformations int64 // derived files generated in the report's 30 days
}

// DefaultUsageLimits apply to a cloud that has none of its own: generous, since nothing here
// is billed.
var DefaultUsageLimits = UsageLimits{
	Plan:            "Free",
	Objects:         1_000_000,
	Storage:         100 << 30,
	Bandwidth:       100 << 30,
	Transformations: 1_000_000,
}

// UsageLimitsOf returns the cloud's limits, or DefaultUsageLimits when it has none set.
func (s *Store) UsageLimitsOf(ctx context.Context, cloudID int64) (UsageLimits, error) {
	var l UsageLimits
	err := s.reader.QueryRowContext(ctx, `SELECT plan, objects, storage, bandwidth, transformations
		FROM usage_limits WHERE cloud_id = ?`, cloudID).Scan(&l.Plan, &l.Objects, &l.Storage, &l.Bandwidth, &l.Transformations)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultUsageLimits, nil
	}
	if err != nil {
		return UsageLimits{}, fmt.Errorf("read usage limits: %w", err)
	}
	return l, nil
}

// SetUsageLimits replaces the cloud's plan and limits.
func (s *Store) SetUsageLimits(ctx context.Context, cloudID int64, l UsageLimits) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usage_limits (cloud_id, plan, objects, storage, bandwidth,
			transformations) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cloud_id) DO UPDATE SET plan = excluded.plan,
			objects = excluded.objects, storage = excluded.storage, bandwidth = excluded.bandwidth,
			transformations = excluded.transformations`,
			cloudID, l.Plan, l.Objects, l.Storage, l.Bandwidth, l.Transformations)
		if err != nil {
			return fmt.Errorf("set usage limits: %w", err)
		}
		return nil
	})
}

// DeliveryUsage is delivery counted for one cloud (by name) on one UTC day (YYYY-MM-DD).
type DeliveryUsage struct {
	Cloud     string
	Day       string
	Bandwidth int64
	Requests  int64
}

// AddDeliveryUsage adds the counts to the clouds' daily totals in one transaction. Counts for
// a cloud that does not exist (any more) are dropped.
func (s *Store) AddDeliveryUsage(ctx context.Context, counts []DeliveryUsage) error {
	if len(counts) == 0 {
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, u := range counts {
			_, err := tx.ExecContext(ctx, `INSERT INTO usage_days (cloud_id, day, bandwidth, requests)
				SELECT id, ?, ?, ? FROM clouds WHERE name = ?
				ON CONFLICT (cloud_id, day) DO UPDATE SET bandwidth = bandwidth + excluded.bandwidth,
				requests = requests + excluded.requests`, u.Day, u.Bandwidth, u.Requests, u.Cloud)
			if err != nil {
				return fmt.Errorf("add delivery usage: %w", err)
			}
		}
		return nil
	})
}

// Usage is what a cloud stores now and what it delivered and generated in a window of days.
type Usage struct {
	Resources       int64 // originals
	DerivedFiles    int64
	StorageBytes    int64 // originals and derived files
	Transformations int64 // derived files made in the window (that still exist)
	Bandwidth       int64 // bytes delivered in the window
	Requests        int64 // delivery requests answered in the window
}

// UsageOf reports the cloud's usage: what it stores now, and what it delivered and generated on
// the UTC days from first to last, inclusive.
func (s *Store) UsageOf(ctx context.Context, cloudID int64, first, last time.Time) (Usage, error) {
	var u Usage
	err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM assets WHERE cloud_id = ?`,
		cloudID).Scan(&u.Resources, &u.StorageBytes)
	if err != nil {
		return Usage{}, fmt.Errorf("count assets: %w", err)
	}
	from := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
	to := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	var derivedBytes int64
	err = s.reader.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(d.bytes), 0),
		COALESCE(SUM(d.created_at >= ? AND d.created_at < ?), 0)
		FROM derived d JOIN assets a ON a.id = d.asset WHERE a.cloud_id = ?`,
		from.Unix(), to.Unix(), cloudID).Scan(&u.DerivedFiles, &derivedBytes, &u.Transformations)
	if err != nil {
		return Usage{}, fmt.Errorf("count derived: %w", err)
	}
	u.StorageBytes += derivedBytes
	err = s.reader.QueryRowContext(ctx, `SELECT COALESCE(SUM(bandwidth), 0), COALESCE(SUM(requests), 0)
		FROM usage_days WHERE cloud_id = ? AND day >= ? AND day < ?`,
		cloudID, from.Format(time.DateOnly), to.Format(time.DateOnly)).Scan(&u.Bandwidth, &u.Requests)
	if err != nil {
		return Usage{}, fmt.Errorf("sum delivery usage: %w", err)
	}
	return u, nil
}
