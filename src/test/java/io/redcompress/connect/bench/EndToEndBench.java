package io.redcompress.connect.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import io.redcompress.connect.it.ConnectAndRedis;
import io.redcompress.connect.testing.RedisClusterProcess;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.SampleData;

/**
 * End-to-end benchmark, not a test: for each deployment and codec in turn, N records of one payload kind are
 * produced to a fresh topic, then a connector streams them into a flushed Redis, and the time from the first key to
 * the last and Redis's used_memory growth are measured. Everything runs in one process against the same broker, so
 * the figures compare side by side; absolute numbers on a shared machine are noisy, the ratios less so.
 *
 * <p>Run: ./mvnw -q -Pbench package -Dbench.args="--records 100000 --payload heartbeat"
 * <br>Deployments: {@code standalone} (one redis-server), {@code cluster} (3 masters), {@code cluster-wait}
 * (3 masters with a replica each, redis.wait.replicas=1).
 */
public final class EndToEndBench {

    private record Result(String variant, String codec, long records, double seconds, long usedMemoryGrowth, long storedBytes,
                          long originalBytes) {
        double recordsPerSecond() {
            return records / seconds;
        }
    }

    /** Where the connector writes, and how the bench looks at it. */
    private interface Target extends AutoCloseable {
        void configure(Map<String, String> config);

        long dbsize();

        void flushAll();

        long usedMemory();

        long strlen(String key);

        String version();

        @Override
        void close();
    }

    private static Target standalone(ConnectAndRedis cluster) {
        RespClient redis = cluster.redisClient;
        return new Target() {
            public void configure(Map<String, String> config) {
                config.put("redis.uri", cluster.redis.uri());
            }

            public long dbsize() {
                return redis.dbsize();
            }

            public void flushAll() {
                redis.flushAll();
            }

            public long usedMemory() {
                return redis.usedMemory();
            }

            public long strlen(String key) {
                return (Long) redis.command("STRLEN", key);
            }

            public String version() {
                return cluster.redis.versionString();
            }

            public void close() {
            }
        };
    }

    private static Target cluster(int replicas, int waitReplicas) {
        RedisClusterProcess redis = RedisClusterProcess.builder().masters(3).replicasPerMaster(replicas).start();
        return new Target() {
            public void configure(Map<String, String> config) {
                config.put("redis.mode", "cluster");
                config.put("redis.uri", redis.seedUris());
                config.put("redis.wait.replicas", Integer.toString(waitReplicas));
            }

            public long dbsize() {
                return redis.dbsize();
            }

            public void flushAll() {
                redis.flushAll();
            }

            public long usedMemory() {
                return redis.masters().stream().mapToLong(m -> m.client().usedMemory()).sum();
            }

            public long strlen(String key) {
                return (Long) redis.commandForKey(key, "STRLEN", key);
            }

            public String version() {
                return redis.versionString() + " cluster";
            }

            public void close() {
                redis.close();
            }
        };
    }

    public static void main(String[] args) throws Exception {
        int records = 50_000;
        String payload = "heartbeat";
        List<String> codecs = List.of("none", "lz4", "snappy", "zstd", "gzip");
        List<String> deployments = List.of("standalone");
        int partitions = 3;
        int tasks = 1;
        int rounds = 3;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--records" -> records = Integer.parseInt(args[i + 1]);
                case "--payload" -> payload = args[i + 1];
                case "--codecs" -> codecs = List.of(args[i + 1].split(","));
                case "--deployments" -> deployments = List.of(args[i + 1].split(","));
                case "--partitions" -> partitions = Integer.parseInt(args[i + 1]);
                case "--tasks" -> tasks = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i] + "; flags: --records N "
                        + "--payload heartbeat|log|random --codecs a,b --deployments standalone,cluster,cluster-wait "
                        + "--partitions N --tasks N --rounds N");
            }
        }
        List<Result> results = new ArrayList<>();
        Map<String, Target> targets = new LinkedHashMap<>();
        try (ConnectAndRedis cluster = ConnectAndRedis.start("bench", worker -> { })) {
            for (String deployment : deployments) {
                targets.put(deployment, switch (deployment) {
                    case "standalone" -> standalone(cluster);
                    case "cluster" -> cluster(0, 0);
                    case "cluster-wait" -> cluster(1, 1);
                    default -> throw new IllegalArgumentException("deployments are standalone, cluster, cluster-wait");
                });
            }
            // a discarded warm-up pass, so the first variant measured does not pay for the JIT
            for (Map.Entry<String, Target> target : targets.entrySet()) {
                for (String codec : codecs) {
                    run(cluster, target.getValue(), target.getKey(), codec, "warmup", payload, Math.max(1000, records / 5),
                            partitions, tasks);
                }
            }
            // variants interleaved round by round, so drifting machine load hits them alike; the median round counts
            Map<String, List<Result>> byVariant = new LinkedHashMap<>();
            for (int round = 1; round <= rounds; round++) {
                for (Map.Entry<String, Target> target : targets.entrySet()) {
                    for (String codec : codecs) {
                        byVariant.computeIfAbsent(target.getKey() + "/" + codec, v -> new ArrayList<>())
                                .add(run(cluster, target.getValue(), target.getKey(), codec, "r" + round, payload, records,
                                        partitions, tasks));
                    }
                }
            }
            byVariant.values().forEach(list -> {
                list.sort(Comparator.comparingDouble(Result::seconds));
                results.add(list.get(list.size() / 2));
            });
            print(results, payload, records, partitions, tasks, rounds, targets.values().iterator().next().version());
        } finally {
            targets.values().forEach(Target::close);
        }
        System.exit(0);
    }

    private static Result run(ConnectAndRedis cluster, Target redis, String deployment, String codec, String label,
                              String payload, int records, int partitions, int tasks) throws Exception {
        String topic = "bench-" + deployment + "-" + codec + "-" + label;
        cluster.connect.kafka().createTopic(topic, partitions);
        Random random = new Random(11);
        long originalBytes = 0;
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (int i = 0; i < records; i++) {
                byte[] value = SampleData.ofKind(payload, i, random);
                originalBytes += value.length;
                producer.send(new ProducerRecord<>(topic, ("k" + i).getBytes(StandardCharsets.UTF_8), value));
            }
        }
        redis.flushAll();
        long baseline = redis.usedMemory();
        Map<String, String> config = cluster.sinkConfig(topic);
        redis.configure(config);
        config.put("compression.codec", codec);
        config.put("tasks.max", Integer.toString(tasks));
        config.put("consumer.override.max.poll.records", "2000");
        cluster.connect.configureConnector(topic, config);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        // timed from the first key in Redis, so the connector's and task's start-up is not counted
        while (redis.dbsize() == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(deployment + "/" + codec + ": no key after 10 minutes");
            }
            Thread.sleep(1);
        }
        long began = System.nanoTime();
        while (redis.dbsize() < records) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(deployment + "/" + codec + ": only " + redis.dbsize() + " of " + records
                        + " keys after 10 minutes");
            }
            Thread.sleep(20);
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        long growth = redis.usedMemory() - baseline;
        int step = Math.max(1, records / 2000);
        long stored = 0;
        for (int i = 0; i < records; i += step) {
            stored += redis.strlen(topic + ":k" + i) * step;
        }
        cluster.connect.deleteConnector(topic);
        System.out.printf(Locale.ROOT, "[bench] %-12s %-6s %-6s %,d records in %.2f s%n", deployment, codec, label, records, seconds);
        return new Result(deployment, codec, records, seconds, growth, stored, originalBytes);
    }

    private static void print(List<Result> results, String payload, int records, int partitions, int tasks, int rounds,
                              String redisVersion) {
        Result base = results.get(0);
        String baseName = base.variant() + "/" + base.codec();
        System.out.printf(Locale.ROOT, "%nEnd to end: %,d %s records, %d partitions, %d task(s), median of %d rounds, "
                        + "redis-server %s, %d cores%n",
                records, payload, partitions, tasks, rounds, redisVersion, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-20s %12s %10s %16s %10s %14s %12s%n", "deployment/codec", "records/s", "vs first",
                "used_memory +B", "vs first", "value bytes", "vs original");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-20s %,12.0f %9.2fx %,16d %9.3fx %,14d %11.3fx%n", r.variant() + "/" + r.codec(),
                    r.recordsPerSecond(), r.recordsPerSecond() / base.recordsPerSecond(), r.usedMemoryGrowth(),
                    (double) r.usedMemoryGrowth() / base.usedMemoryGrowth(), r.storedBytes(),
                    (double) r.storedBytes() / r.originalBytes());
        }
        System.out.println("(\"first\" is " + baseName + "; value bytes: sampled STRLEN scaled to all keys; used_memory also "
                + "counts keys and Redis's per-key overhead, summed over masters)");
    }

    private EndToEndBench() {
    }
}
