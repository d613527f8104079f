package io.redcompress.connect.tools;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.redcompress.connect.layout.BucketLayout;
import io.redcompress.connect.layout.LayoutMarker;
import io.redcompress.connect.redis.RedisBucketMigration;
import io.redcompress.connect.redis.RedisBucketMigration.Cursor;
import io.redcompress.connect.redis.RedisBucketMigration.Move;
import io.redcompress.connect.redis.RedisBucketMigration.Moved;

/**
 * Changes the bucket count of a bucketed layout from M to N (docs/bucketed-layout.md, "Re-bucketing"): marks the
 * migration in the layout marker, waits until every running task has seen the mark, then moves each entry of old
 * bucket b in [cursor, M) whose new bucket is another one, keeping the next b in the cursor key so that a run that
 * stopped resumes there, and finally marks the layout as N buckets. While the marker says "migrating", tasks write
 * sets to the new bucket only and delete from both, and readers look in the new bucket, then the old one.
 */
public final class Rebucketing {

    /** A state or setting that forbids the re-bucketing: nothing was changed because of it. */
    public static final class Refused extends RuntimeException {

        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** What a run tells while it goes; the command prints it. */
    public interface Progress {

        /** The marker now says the layout moves to {@code marker.count()} buckets. */
        default void began(LayoutMarker marker) {
        }

        /** A re-bucketing to the same count was under way: it goes on at old bucket {@code nextBucket}. */
        default void resumed(LayoutMarker marker, int nextBucket) {
        }

        /** It waits {@code left} more (by Redis's clock) so that tasks that wrote by the old layout have stopped doing so. */
        default void waiting(Duration left) {
        }

        /** Old bucket {@code bucket} is done, and the cursor says so. */
        default void bucketDone(int bucket, int oldCount) {
        }
    }

    /** How a run ended. */
    public enum Outcome {
        /** The layout had the count asked for already. */
        NOTHING_TO_DO,
        /** Every entry is in its bucket of the new count, and the marker says so. */
        DONE
    }

    /**
     * @param inPlace        entries of the old layout whose new bucket is their old one
     * @param bucketsScanned old buckets this run went through
     */
    public record Result(Outcome outcome, int fromCount, int toCount, Moved moved, long inPlace, int bucketsScanned,
                         Duration took) {
    }

    private final RedisBucketMigration redis;
    private final byte[] prefix;
    private final boolean cluster;
    private final boolean connectorStopped;
    private final Duration grace;
    private final Progress progress;

    /**
     * @param cluster          whether Redis is a cluster, where entries can only move with the connector stopped
     * @param connectorStopped the operator says no task writes: no grace, and in a cluster entries move step by step
     * @param grace            how long after the migration began tasks may still write by the old layout
     */
    public Rebucketing(RedisBucketMigration redis, String prefix, boolean cluster, boolean connectorStopped, Duration grace,
                       Progress progress) {
        this.redis = redis;
        this.prefix = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.cluster = cluster;
        this.connectorStopped = connectorStopped;
        this.grace = grace;
        this.progress = progress;
    }

    /**
     * Moves the layout to {@code toCount} buckets, or resumes a run that stopped on the way there.
     *
     * @throws Refused when there is no marker, another re-bucketing is under way, or a cluster's connector may be running
     */
    public Result run(int toCount) {
        long started = System.nanoTime();
        if (toCount < 1) {
            throw new Refused("the bucket count must be at least 1, not " + toCount);
        }
        byte[] stored = redis.readMarker();
        if (stored == null) {
            throw new Refused("no layout marker at " + redis.markerKeyText() + ": no connector with this redis.bucket.prefix "
                    + "has started, so there are no buckets to move (set redis.bucket.count=" + toCount + " instead)");
        }
        LayoutMarker marker = parse(stored);
        Cursor cursor = cursor();
        boolean unfinished = cursor != null && cursor.to() == toCount && cursor.next() < cursor.from();
        if (!marker.migrating() && marker.count() == toCount && !unfinished) {
            if (cursor != null) {
                redis.deleteCursor(); // left by a run that stopped between its last marker change and this delete
            }
            return new Result(Outcome.NOTHING_TO_DO, toCount, toCount, Moved.NONE, 0, 0, elapsed(started));
        }
        if (marker.migrating() && marker.count() != toCount) {
            throw new Refused("a re-bucketing from " + marker.previousCount() + " to " + marker.count() + " buckets is under "
                    + "way (" + redis.markerKeyText() + "); finish it first with --to " + marker.count());
        }
        if (cluster && !connectorStopped) {
            throw new Refused("in a Redis Cluster an entry's old and new bucket live in different slots, so no script can "
                    + "move it atomically while the connector writes: stop the connector, run with --connector-stopped, "
                    + "then start it with redis.bucket.count=" + toCount);
        }
        int nextBucket;
        if (marker.migrating()) {
            if (cursor != null && (cursor.from() != marker.previousCount() || cursor.to() != marker.count()
                    || cursor.next() > cursor.from())) {
                throw new Refused(redis.cursorKeyText() + " says " + cursor + ", which is not this re-bucketing's cursor ("
                        + marker.previousCount() + " to " + marker.count() + " buckets)");
            }
            nextBucket = cursor == null ? 0 : cursor.next();
            progress.resumed(marker, nextBucket);
        } else if (marker.count() == toCount) {
            // the marker lost its migrating state mid-run (deleted or evicted, then stored by a task as a plain count):
            // tasks stopped deleting tombstones from the old buckets, so mark the migration again, wait for the tasks
            // to see it, and go on from the cursor
            LayoutMarker migrating = LayoutMarker.of(cursor.from()).migratingTo(toCount, redis.serverTimeMillis());
            replace(stored, migrating);
            stored = migrating.bytes();
            marker = migrating;
            nextBucket = cursor.next();
            progress.resumed(marker, nextBucket);
        } else {
            redis.deleteCursor(); // a cursor left by an earlier, finished run
            LayoutMarker migrating = marker.migratingTo(toCount, redis.serverTimeMillis());
            replace(stored, migrating);
            stored = migrating.bytes();
            marker = migrating;
            nextBucket = 0;
            progress.began(marker);
        }
        if (!connectorStopped) {
            awaitGrace(marker.sinceMillis());
        }
        BucketLayout newLayout = BucketLayout.of(prefix, marker.count());
        BucketLayout oldLayout = BucketLayout.of(prefix, marker.previousCount());
        Moved moved = Moved.NONE;
        long inPlace = 0;
        int scanned = 0;
        for (int bucket = nextBucket; bucket < oldLayout.count(); bucket++) {
            byte[] oldKey = oldLayout.bucketKey(bucket);
            List<Move> moves = new ArrayList<>();
            for (byte[] field : redis.fields(oldKey)) {
                byte[] newKey = newLayout.bucketKey(field);
                if (!Arrays.equals(newKey, oldKey)) {
                    moves.add(new Move(field, newKey));
                } else if (oldLayout.bucketOf(field) == bucket) {
                    inPlace++;
                } // else it came here by the new layout during this run (the connector, or a move from an earlier bucket)
            }
            try {
                moved = moved.plus(cluster ? redis.moveStepwise(oldKey, moves, stored) : redis.moveAtomically(oldKey, moves, stored));
            } catch (RedisBucketMigration.MarkerChanged e) {
                throw new Refused(e.getMessage());
            }
            redis.writeCursor(new Cursor(oldLayout.count(), newLayout.count(), bucket + 1));
            scanned++;
            progress.bucketDone(bucket, oldLayout.count());
        }
        replace(stored, marker.migrated());
        redis.deleteCursor();
        return new Result(Outcome.DONE, oldLayout.count(), newLayout.count(), moved, inPlace, scanned, elapsed(started));
    }

    /** The stored cursor, or null. */
    private Cursor cursor() {
        try {
            return redis.readCursor();
        } catch (IllegalStateException e) {
            throw new Refused(e.getMessage());
        }
    }

    private void awaitGrace(long sinceMillis) {
        long until = sinceMillis + grace.toMillis();
        for (long left = until - redis.serverTimeMillis(); left > 0; left = until - redis.serverTimeMillis()) {
            progress.waiting(Duration.ofMillis(left));
            try {
                Thread.sleep(Math.min(left, 5_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the tasks to see the marker", e);
            }
        }
    }

    private void replace(byte[] expected, LayoutMarker replacement) {
        if (!redis.replaceMarker(expected, replacement.bytes())) {
            throw new Refused(redis.markerKeyText() + " changed while this ran (another rebucket?); nothing was lost: "
                    + "run it again to see where the layout stands");
        }
    }

    private LayoutMarker parse(byte[] stored) {
        LayoutMarker marker;
        try {
            marker = LayoutMarker.parse(stored);
        } catch (IllegalArgumentException e) {
            throw new Refused(redis.markerKeyText() + ": " + e.getMessage());
        }
        if (!marker.understood()) {
            throw new Refused(redis.markerKeyText() + " describes a layout this version does not know: " + marker.format());
        }
        return marker;
    }

    private static Duration elapsed(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }
}
