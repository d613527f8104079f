package io.redcompress.connect.cli;

import java.io.PrintWriter;
import java.time.Duration;

import io.redcompress.connect.config.RedisLayout;
import io.redcompress.connect.config.RedisMode;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.redis.BucketLayoutGuard;
import io.redcompress.connect.layout.LayoutMarker;
import io.redcompress.connect.redis.RedisBucketMigration;
import io.redcompress.connect.tools.Rebucketing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "rebucket", mixinStandardHelpOptions = true,
        description = {"Changes the bucket count of redis.layout=buckets to N, moving every entry to its new bucket. "
                + "On a single node (standalone or Sentinel) it runs while the connector writes: it marks the migration in "
                + "<redis.bucket.prefix>layout, waits until every task has seen the mark, then moves entries one atomic "
                + "script at a time. In a Redis Cluster, stop the connector and give --connector-stopped. Resumable: run it "
                + "again with the same --to after an interruption; once done, it says there is nothing to do.",
                "With the connector running, set redis.bucket.count=N in its configuration as soon as it prints 'began:' "
                        + "(tasks on the old count stop themselves); with it stopped, before starting it again."})
final class RebucketCommand extends RedisCommand {

    /** How long a task may go on sending by a marker it read last (BucketLayoutGuard.MAX_UNCHECKED_SECONDS). */
    static final Duration TASK_UNCHECKED = Duration.ofSeconds(BucketLayoutGuard.MAX_UNCHECKED_SECONDS);

    @Option(names = "--to", paramLabel = "N", required = true, description = "The new bucket count.")
    int toCount;

    @Option(names = "--grace-seconds", paramLabel = "S",
            description = "How long after the migration began tasks may still write by the old count (default and least: "
                    + "the 20 s a task may send by a marker it read last + redis.command.timeout.ms, for its last pipeline; "
                    + "give the connector's own timeout in the config).")
    Integer graceSeconds;

    @Option(names = "--connector-stopped",
            description = "No task of the connector runs: no wait, and in a Redis Cluster entries move step by step.")
    boolean connectorStopped;

    @Override
    public Integer call() {
        PrintWriter out = out();
        if (toCount < 1) {
            throw new CliException(ExitCode.USAGE, "--to must be at least 1, was " + toCount);
        }
        if (graceSeconds != null && graceSeconds < 0) {
            throw new CliException(ExitCode.USAGE, "--grace-seconds must not be negative, was " + graceSeconds);
        }
        RedisSinkConfig config = connection.config();
        if (config.layout() != RedisLayout.BUCKETS || config.bucketPrefix() == null || config.bucketPrefix().isEmpty()) {
            throw new CliException(ExitCode.USAGE, "rebucket needs the connector's redis.layout=buckets and redis.bucket.prefix");
        }
        Duration least = TASK_UNCHECKED.plus(config.commandTimeout());
        if (graceSeconds != null && !connectorStopped && Duration.ofSeconds(graceSeconds).compareTo(least) < 0) {
            throw new CliException(ExitCode.USAGE, "--grace-seconds " + graceSeconds + " is shorter than a task may still "
                    + "write by the old count (" + least.toSeconds() + " s: " + TASK_UNCHECKED.toSeconds() + " s + "
                    + RedisSinkConfig.REDIS_COMMAND_TIMEOUT_MS + "); with the connector stopped, give --connector-stopped");
        }
        Duration grace = graceSeconds != null ? Duration.ofSeconds(graceSeconds) : least;
        boolean cluster = config.redisMode() == RedisMode.CLUSTER;
        try (RedisBucketMigration redis = RedisBucketMigration.open(config)) {
            Rebucketing.Result result = new Rebucketing(redis, config.bucketPrefix(), cluster, connectorStopped, grace,
                    new Printer(out, grace)).run(toCount);
            if (result.outcome() == Rebucketing.Outcome.NOTHING_TO_DO) {
                out.println("nothing to do: " + redis.markerKeyText() + " says " + toCount + " buckets");
                return ExitCode.OK;
            }
            out.println("done:                 " + Numbers.count(result.fromCount()) + " -> " + Numbers.count(result.toCount())
                    + " buckets; " + redis.markerKeyText() + " says " + result.toCount());
            out.println("entries moved:        " + Numbers.count(result.moved().moved()));
            out.println("already in place:     " + Numbers.count(result.inPlace()));
            out.println("newer in new bucket:  " + Numbers.count(result.moved().superseded())
                    + " (written by the connector meanwhile: the old value was dropped)");
            out.println("deleted meanwhile:    " + Numbers.count(result.moved().gone()));
            out.println("buckets scanned:      " + Numbers.count(result.bucketsScanned()));
            out.println("time:                 " + String.format("%.1f s", result.took().toMillis() / 1000.0));
            out.println("connector:            redis.bucket.count=" + result.toCount() + " (if not set already)");
            return ExitCode.OK;
        } catch (Rebucketing.Refused e) {
            throw new CliException(ExitCode.USAGE, e.getMessage(), e);
        }
    }

    /** Prints the run's progress, at most one line per tenth of the old buckets. */
    private static final class Printer implements Rebucketing.Progress {

        private final PrintWriter out;
        private final Duration grace;
        private boolean toldWhyItWaits;

        Printer(PrintWriter out, Duration grace) {
            this.out = out;
            this.grace = grace;
        }

        @Override
        public void began(LayoutMarker marker) {
            out.println("began:                " + marker.previousCount() + " -> " + marker.count() + " buckets (marker: "
                    + marker.format() + ")");
            // tasks on the old count stop at their next marker check; the stream waits for the new configuration
            out.println("now:                  set redis.bucket.count=" + marker.count() + " in the connector's configuration "
                    + "(tasks on " + marker.previousCount() + " buckets stop within 10 s; tasks on " + marker.count()
                    + " write while entries move)");
        }

        @Override
        public void resumed(LayoutMarker marker, int nextBucket) {
            out.println("resuming:             " + marker.previousCount() + " -> " + marker.count() + " buckets at old bucket "
                    + nextBucket);
        }

        @Override
        public void waiting(Duration left) {
            if (!toldWhyItWaits) {
                out.println("waiting:              " + grace.toSeconds() + " s after the start, so that every task has re-read "
                        + "the marker (a task sends nothing by a marker older than " + TASK_UNCHECKED.toSeconds() + " s) and its "
                        + "writes by the old count have landed (--grace-seconds to lengthen)");
                toldWhyItWaits = true;
            }
            out.println("  " + String.format("%.1f", left.toMillis() / 1000.0) + " s left");
            out.flush();
        }

        @Override
        public void bucketDone(int bucket, int oldCount) {
            int step = Math.max(1, oldCount / 10);
            if ((bucket + 1) % step == 0 || bucket + 1 == oldCount) {
                out.println("  old bucket " + (bucket + 1) + " of " + oldCount);
                out.flush();
            }
        }
    }
}
