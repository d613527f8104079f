package io.redcompress.connect.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.redis.LettuceWriteSender;
import io.redcompress.connect.redis.WriteResult;
import io.redcompress.connect.testing.RedisClusterProcess;

/**
 * Pipeline latency while slots migrate, not a test: a real 3-master Redis Cluster, the connector's own
 * {@link LettuceWriteSender} on the default settings (redis.command.timeout.ms 30 s), and one writer sending
 * pipelines of random keys one after another, as a task does for one partition. First a steady phase with no
 * migration, then the same while another thread migrates slots from the first master to the second (keys moved
 * with MIGRATE, clients redirected with ASK and MOVED), then a steady phase again. Prints, per phase, the pipelines sent, p50/p99/max latency
 * and the pipelines with a failed write, with the failure reasons.
 *
 * <p>Run: ./mvnw -q -Pbench package -Dbench.main=io.redcompress.connect.bench.MigrationBench -Dbench.args="--slots 1000"
 * <br>Flags: --slots N (slots migrated, default 1000) --pipeline N (writes per pipeline, default 100) --keys N (key
 * pool, default 50000) --steady-seconds N (default 5) --max-seconds N (stop the migration phase after, default 120)
 */
public final class MigrationBench {

    private record Phase(String name, List<Long> latenciesMicros, int failedPipelines, Map<String, Integer> reasons) {

        String line() {
            List<Long> sorted = new ArrayList<>(latenciesMicros);
            Collections.sort(sorted);
            return String.format(Locale.ROOT, "| %-32s | %9d | %8.1f | %8.1f | %9.1f | %7d |", name, sorted.size(),
                    BenchStats.percentile(sorted, 50) / 1000.0, BenchStats.percentile(sorted, 99) / 1000.0,
                    sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1) / 1000.0, failedPipelines);
        }
    }

    public static void main(String[] args) throws Exception {
        int slots = intFlag(args, "--slots", 1000);
        int pipelineSize = intFlag(args, "--pipeline", 100);
        int keys = intFlag(args, "--keys", 50_000);
        int steadySeconds = intFlag(args, "--steady-seconds", 5);
        int maxSeconds = intFlag(args, "--max-seconds", 120);

        try (RedisClusterProcess cluster = RedisClusterProcess.builder().masters(3).start()) {
            RedisSinkConfig config = new RedisSinkConfig(Map.of(
                    "redis.mode", "cluster",
                    "redis.uri", cluster.seedUris(),
                    "key.template", "${topic}:${key}"));
            Random random = new Random(7);
            byte[] value = new byte[200];
            random.nextBytes(value);
            long[] offset = {0};
            try (LettuceWriteSender sender = LettuceWriteSender.connect(config)) {
                // every key once, so the migration has keys to move
                for (int from = 0; from < keys; from += 1000) {
                    List<RedisWrite> fill = new ArrayList<>();
                    for (int k = from; k < Math.min(keys, from + 1000); k++) {
                        fill.add(write(k, value, offset[0]++));
                    }
                    sender.send(fill).toCompletableFuture().get(60, TimeUnit.SECONDS);
                }

                Phase steady = run("steady (no migration)", sender, random, keys, pipelineSize, value, offset,
                        () -> false, TimeUnit.SECONDS.toNanos(steadySeconds));

                RedisClusterProcess.Node source = cluster.masters().get(0);
                RedisClusterProcess.Node target = cluster.masters().get(1);
                List<Integer> owned = source.slots();
                int first = owned.get(owned.size() - slots);
                int last = owned.get(owned.size() - 1);
                AtomicBoolean migrating = new AtomicBoolean(true);
                RedisClusterProcess.Migration[] migration = new RedisClusterProcess.Migration[1];
                Thread migrator = new Thread(() -> {
                    try {
                        migration[0] = cluster.migrateSlots(first, last, source, target);
                    } finally {
                        migrating.set(false);
                    }
                }, "migrator");
                migrator.start();
                Phase during = run("during migration of " + slots + " slots", sender, random, keys, pipelineSize, value,
                        offset, migrating::get, TimeUnit.SECONDS.toNanos(maxSeconds));
                migrator.join();
                Phase after = run("after the migration", sender, random, keys, pipelineSize, value, offset,
                        () -> false, TimeUnit.SECONDS.toNanos(steadySeconds));

                System.out.printf(Locale.ROOT, "%nredis-server %s, 3 masters, pipelines of %d SETs of %d B over %d keys, "
                                + "one writer; migration: %d slots, %d keys moved in %d ms%n%n", cluster.versionString(),
                        pipelineSize, value.length, keys, slots, migration[0] == null ? -1 : migration[0].keysMoved(),
                        migration[0] == null ? -1 : migration[0].duration().toMillis());
                System.out.println("| phase                            | pipelines | p50 (ms) | p99 (ms) |  max (ms) | failed  |");
                System.out.println("|----------------------------------|----------:|---------:|---------:|----------:|--------:|");
                System.out.println(steady.line());
                System.out.println(during.line());
                System.out.println(after.line());
                for (Phase phase : List.of(steady, during, after)) {
                    phase.reasons().forEach((reason, count) -> System.out.printf(Locale.ROOT, "  %s: %dx %s%n",
                            phase.name(), count, reason));
                }
            }
        }
    }

    private interface Condition {
        boolean holds();
    }

    /** Pipelines one after another until {@code whileTrue} stops holding (or, for the steady phase, the time is up). */
    private static Phase run(String name, LettuceWriteSender sender, Random random, int keys, int pipelineSize, byte[] value,
                             long[] offset, Condition whileTrue, long maxNanos) throws Exception {
        List<Long> latencies = new ArrayList<>();
        Map<String, Integer> reasons = new TreeMap<>();
        int failed = 0;
        long start = System.nanoTime();
        boolean timed = !whileTrue.holds();
        while (timed ? System.nanoTime() - start < maxNanos : whileTrue.holds() && System.nanoTime() - start < maxNanos) {
            List<RedisWrite> writes = new ArrayList<>(pipelineSize);
            for (int i = 0; i < pipelineSize; i++) {
                writes.add(write(random.nextInt(keys), value, offset[0]++));
            }
            long sent = System.nanoTime();
            List<WriteResult> results;
            try {
                // what PartitionPipelines allows: redis.command.timeout.ms + 5 s
                results = sender.send(writes).toCompletableFuture().get(35, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                latencies.add(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - sent));
                failed++;
                reasons.merge("no reply within 35 s", 1, Integer::sum);
                continue;
            }
            latencies.add(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - sent));
            boolean pipelineFailed = false;
            for (WriteResult result : results) {
                if (!result.isAcknowledged()) {
                    pipelineFailed = true;
                    String reason = String.valueOf(result.reason()).replaceAll("[0-9]+", "N");
                    reasons.merge(reason.length() > 110 ? reason.substring(0, 110) : reason, 1, Integer::sum);
                }
            }
            if (pipelineFailed) {
                failed++;
            }
        }
        return new Phase(name, latencies, failed, reasons);
    }

    private static RedisWrite write(int key, byte[] value, long offset) {
        return new RedisWrite.SetValue(new RecordId("bench", 0, offset), ("bench:k" + key).getBytes(StandardCharsets.UTF_8),
                value, value.length, 0);
    }

    private static int intFlag(String[] args, String flag, int fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(flag)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }
}
